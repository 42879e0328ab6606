"""A handle's messages, read across its message shards as if they were one partition.

A handle keeps its messages in `count` shards (keys.message_partition: shard 0 is the handle's
own partition). Every message's sort key holds its id, a ULID: one order for all shards. A
page queries each shard from the same position, newest first, up to `limit` items each, and
merges them. It then keeps only the items above the highest place any shard's query stopped
at (below it, that shard may still hold items not read yet), at most `limit` of them; the next
page starts from the last item kept. So the page token holds one position, the sort key of
that item, which stands for every shard's: with one shard it is exactly the token of a plain
query (dal/queries.py, `query_page`), and the list's order and items are those one partition
would give.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from boto3.dynamodb.conditions import ConditionBase
from boto3.dynamodb.conditions import Key as KeyCondition

from tenx_email import keys
from tenx_email.dal import pagination
from tenx_email.dal.table import table


def message_partitions(handle_name: str, count: int) -> list[str]:
    return [keys.message_partition(handle_name, shard) for shard in range(count)]


def _query(
    partition: str,
    sort: ConditionBase,
    *,
    limit: int | None,
    start: str | None,
    filters: ConditionBase | None,
    extra: dict[str, Any],
) -> dict[str, Any]:
    query: dict[str, Any] = {
        "KeyConditionExpression": KeyCondition(keys.PK).eq(partition) & sort,
        "ScanIndexForward": False,
        **extra,
    }
    if limit is not None:
        query["Limit"] = limit
    if filters is not None:
        query["FilterExpression"] = filters
    if start is not None:
        # Need not be an item of this shard: a query starts after any key in its order.
        query["ExclusiveStartKey"] = {keys.PK: partition, keys.SK: start}
    return dict(table().query(**query))


def newest_messages_page(
    handle_name: str,
    shards: int,
    *,
    limit: int,
    next_token: str | None,
    filters: ConditionBase | None,
    scope: dict[str, str],
) -> tuple[list[dict[str, Any]], str | None]:
    """One page of the handle's messages, newest first, and the next page's token. A
    filtered page is read `limit` items deep in each shard, so it may hold fewer (even none)
    and still have a next page. Tokens are bound to the handle and `scope` (its filters)."""
    handle_pk = keys.handle(handle_name)[keys.PK]
    start = pagination.decode(
        next_token,
        exact={keys.PK: handle_pk},
        prefixes={keys.SK: keys.MESSAGE_PREFIX},
        scope=scope,
    )
    position = start[keys.SK] if start else None
    sort = KeyCondition(keys.SK).begins_with(keys.MESSAGE_PREFIX)
    found: list[dict[str, Any]] = []
    # The highest sort key a shard's query stopped at: above it, every shard was read.
    frontier: str | None = None
    for partition in message_partitions(handle_name, shards):
        response = _query(partition, sort, limit=limit, start=position, filters=filters, extra={})
        found += response["Items"]
        stopped = response.get("LastEvaluatedKey")
        if stopped is not None and (frontier is None or stopped[keys.SK] > frontier):
            frontier = stopped[keys.SK]
    found.sort(key=lambda item: str(item[keys.SK]), reverse=True)
    if frontier is not None:
        found = [item for item in found if item[keys.SK] >= frontier]
    if len(found) > limit:
        found = found[:limit]
        frontier = found[-1][keys.SK]
    if frontier is None:
        return found, None
    return found, pagination.encode({keys.PK: handle_pk, keys.SK: frontier}, scope=scope)


def every_shard(
    handle_name: str,
    shards: int,
    sort: ConditionBase,
    *,
    filters: ConditionBase | None = None,
    extra: dict[str, Any] | None = None,
) -> Iterator[dict[str, Any]]:
    """Every item of the handle's shards whose sort key meets `sort` (each shard to its end,
    page by page): for an operator's recount, not a route."""
    for partition in message_partitions(handle_name, shards):
        start: str | None = None
        while True:
            response = _query(
                partition, sort, limit=None, start=start, filters=filters, extra=extra or {}
            )
            yield from response["Items"]
            if "LastEvaluatedKey" not in response:
                break
            start = response["LastEvaluatedKey"][keys.SK]
