"""Shared read helpers: batched gets and paged queries with validated page tokens, and the
request's read cache.

The read cache: a route request opens it (`request_reads()`, around the whole invocation);
the access check's one BatchGetItem reads the route's own items too (`read_keys`, keys under
the caller's handle partition) and remembers each of them, found or absent. The getters then
serve those keys from it (`get_item`, `batch_get`) instead of calling DynamoDB again. It lives
in a ContextVar, so it is this request's alone (the local stack serves requests on threads),
is gone when the invocation ends, and is dropped at the request's first DynamoDB write, so
nothing read before a write is ever served after it.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from boto3.dynamodb.conditions import ConditionBase
from boto3.dynamodb.conditions import Key as KeyCondition

from tenx_email import keys
from tenx_email.dal import pagination
from tenx_email.dal.table import table

T = TypeVar("T")

# DynamoDB's limit on the keys of one BatchGetItem.
BATCH_LIMIT = 100
# Operations that change nothing; any other DynamoDB call drops the request's read cache.
_READ_OPERATIONS = frozenset(
    {"GetItem", "BatchGetItem", "Query", "Scan", "TransactGetItems", "DescribeTable"}
)
_WRITE_WATCH_ID = "tenx-email-request-reads"

ItemKey = tuple[str, str]


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    next_token: str | None


@dataclass
class _RequestReads:
    items: dict[ItemKey, dict[str, Any] | None] = field(default_factory=dict)
    # Keys of `items` that an eventually consistent read remembered (`confirmed`).
    eventual: set[ItemKey] = field(default_factory=set)
    written: bool = False


_request_reads: ContextVar[_RequestReads | None] = ContextVar("tenx_request_reads", default=None)


def item_key(key: keys.Key) -> ItemKey:
    return key[keys.PK], key[keys.SK]


@contextmanager
def request_reads() -> Iterator[None]:
    """One request's read cache: empty when it opens, gone when it closes."""
    token = _request_reads.set(_RequestReads())
    try:
        yield
    finally:
        _request_reads.reset(token)


def _forget_on_write(event_name: str = "", **_: Any) -> None:
    """botocore's before-call hook on the table's client: a write ends the cache's use."""
    reads = _request_reads.get()
    if reads is not None and event_name.rsplit(".", 1)[-1] not in _READ_OPERATIONS:
        reads.items.clear()
        reads.eventual.clear()
        reads.written = True


def _watch_writes() -> None:
    # unique_id: registering again on the same client is a no-op.
    events = table().meta.client.meta.events
    events.register("before-call.dynamodb", _forget_on_write, unique_id=_WRITE_WATCH_ID)


class _Miss:
    """Not in the request's read cache (as opposed to remembered as absent: None)."""


MISS = _Miss()


def cached(key: keys.Key) -> dict[str, Any] | _Miss | None:
    """The request's remembered item for `key`: the item, None (read and absent) or MISS."""
    reads = _request_reads.get()
    if reads is None:
        return MISS
    return reads.items.get(item_key(key), MISS)


def get_item(key: keys.Key, *, consistent: bool = False) -> dict[str, Any] | None:
    """One item by key: from the request's read cache if it was read there, else GetItem."""
    remembered = cached(key)
    if not isinstance(remembered, _Miss):
        return remembered
    found: dict[str, Any] | None = table().get_item(Key=key, ConsistentRead=consistent).get("Item")
    return found


def _unique(wanted: Iterable[keys.Key]) -> list[keys.Key]:
    # BatchGetItem refuses a request that names one key twice.
    return list({item_key(key): key for key in wanted}.values())


def _batch_read(wanted: Sequence[keys.Key], *, consistent: bool = True) -> list[dict[str, Any]]:
    """BatchGetItem (consistent reads unless told), at most BATCH_LIMIT keys a call,
    following UnprocessedKeys until all are read."""
    client, name = table().meta.client, table().name
    found: list[dict[str, Any]] = []
    for start in range(0, len(wanted), BATCH_LIMIT):
        chunk = list(wanted[start : start + BATCH_LIMIT])
        request: Any = {name: {"Keys": chunk, "ConsistentRead": consistent}}
        while request:
            response = client.batch_get_item(RequestItems=request)
            found += response["Responses"].get(name, [])
            request = response.get("UnprocessedKeys") or None
    return found


def read_keys(
    wanted: Iterable[keys.Key], *, consistent: bool = True
) -> dict[ItemKey, dict[str, Any] | None]:
    """Read these keys (consistently unless told, in as few BatchGetItems as DynamoDB allows)
    and remember every one, found or absent, in the request's read cache (if one is open and
    nothing was written yet). Returns each key's item or None."""
    unique = _unique(wanted)
    if not unique:
        return {}
    by_key = {item_key(item): item for item in _batch_read(unique, consistent=consistent)}
    result = {item_key(key): by_key.get(item_key(key)) for key in unique}
    reads = _request_reads.get()
    if reads is not None and not reads.written:
        _watch_writes()
        reads.items.update(result)
        if consistent:
            reads.eventual.difference_update(result)
        else:
            reads.eventual.update(result)
    return result


def batch_get(wanted: list[keys.Key]) -> list[dict[str, Any]]:
    """The items of these keys that exist: those the request's read cache holds from it,
    the rest by BatchGetItem with consistent reads."""
    found: list[dict[str, Any]] = []
    missing: list[keys.Key] = []
    for key in _unique(wanted):
        remembered = cached(key)
        if isinstance(remembered, _Miss):
            missing.append(key)
        elif remembered is not None:
            found.append(remembered)
    read = read_keys(missing) if missing else {}
    return found + [item for item in read.values() if item]


def confirmed(wanted: list[keys.Key]) -> list[dict[str, Any]]:
    """`batch_get`, except that keys an eventually consistent read remembered are read again
    consistently (to confirm what such a read found missing); a key remembered from a
    consistent read needs no second call."""
    reads = _request_reads.get()
    eventual = reads.eventual if reads is not None else set()
    again = [key for key in _unique(wanted) if item_key(key) in eventual]
    fresh = read_keys(again) if again else {}
    rest = [key for key in wanted if item_key(key) not in fresh]
    return [item for item in fresh.values() if item] + batch_get(rest)


def items_by_key(wanted: Iterable[keys.Key]) -> dict[ItemKey, dict[str, Any]]:
    """`batch_get` of these keys (each once, as many calls as the key limit needs): the items
    found, by (PK, SK)."""
    return {item_key(item): item for item in batch_get(list(wanted))}


def query_all(query: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Every item a Query finds, page after page."""
    while True:
        response = table().query(**query)
        yield from response["Items"]
        if "LastEvaluatedKey" not in response:
            return
        query = {**query, "ExclusiveStartKey": response["LastEvaluatedKey"]}


def query_page(
    *,
    index: str | None,
    partition: tuple[str, str],
    sort: tuple[str, str],
    since: str | None,
    newest_first: bool,
    limit: int,
    next_token: str | None,
    exact: dict[str, str],
    filters: ConditionBase | None = None,
    scope: dict[str, str] | None = None,
) -> tuple[list[dict[str, Any]], str | None]:
    """One page of a Query, and the token of the next. `scope`: the filters the page tokens
    are bound to (`pagination`), for a list whose filters do not choose its partition.
    DynamoDB applies `limit` before `filters`: a filtered page may hold fewer items than
    `limit`, even none, and still have a next page."""
    (partition_name, partition_value), (sort_name, sort_prefix) = partition, sort
    sort_condition = (
        KeyCondition(sort_name).between(sort_prefix + since, sort_prefix + "\uffff")
        if since
        else KeyCondition(sort_name).begins_with(sort_prefix)
    )
    condition: ConditionBase = KeyCondition(partition_name).eq(partition_value) & sort_condition
    query: dict[str, Any] = {
        "KeyConditionExpression": condition,
        "ScanIndexForward": not newest_first,
        "Limit": limit,
    }
    if index:
        query["IndexName"] = index
    if filters is not None:
        query["FilterExpression"] = filters
    start = pagination.decode(
        next_token,
        exact={partition_name: partition_value, **exact},
        prefixes={sort_name: sort_prefix},
        scope=scope,
    )
    if start:
        query["ExclusiveStartKey"] = start
    response = table().query(**query)
    return response["Items"], pagination.encode(response.get("LastEvaluatedKey"), scope=scope)
