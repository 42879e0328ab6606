"""Shared read helpers: batched gets and paged queries with validated page tokens."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from boto3.dynamodb.conditions import ConditionBase
from boto3.dynamodb.conditions import Key as KeyCondition

from tenx_email import keys
from tenx_email.dal import pagination
from tenx_email.dal.table import table

T = TypeVar("T")


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    next_token: str | None


def batch_get(wanted: list[keys.Key]) -> list[dict[str, Any]]:
    """BatchGetItem with consistent reads, following UnprocessedKeys until all are read."""
    client, name = table().meta.client, table().name
    request: Any = {name: {"Keys": wanted, "ConsistentRead": True}}
    found: list[dict[str, Any]] = []
    while request:
        response = client.batch_get_item(RequestItems=request)
        found += response["Responses"].get(name, [])
        request = response.get("UnprocessedKeys") or None
    return found


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
) -> tuple[list[dict[str, Any]], str | None]:
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
    )
    if start:
        query["ExclusiveStartKey"] = start
    response = table().query(**query)
    return response["Items"], pagination.encode(response.get("LastEvaluatedKey"))
