"""The single table, created lazily so tests and the local stack can point boto3 elsewhere."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from functools import cache
from typing import TYPE_CHECKING, Any

import boto3
from botocore.exceptions import ClientError

from tenx_email.settings import data_settings

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.service_resource import Table


# The condition of a put that never overwrites.
ABSENT = "attribute_not_exists(PK)"
# A cancelled transaction's reason for an item whose condition did not hold.
CONDITION_FAILED = "ConditionalCheckFailed"

# DynamoDB's limit on the requests of one BatchWriteItem.
_PUTS_PER_BATCH_WRITE = 25
_BATCH_WRITE_ATTEMPTS = 5


@cache
def table() -> Table:
    return boto3.resource("dynamodb").Table(data_settings().table_name)


def reset() -> None:
    """Forget the cached client (tests and the admin command switch endpoints)."""
    table.cache_clear()
    data_settings.cache_clear()


def conditional(write: Callable[[], object]) -> bool:
    """Run one conditional write; False when its condition did not hold."""
    try:
        write()
    except ClientError as error:
        if error.response["Error"]["Code"] == "ConditionalCheckFailedException":
            return False
        raise
    return True


def put_new(item: dict[str, Any]) -> bool:
    """Put a whole item unless one with its key exists; returns whether it was put."""
    return conditional(lambda: table().put_item(Item=item, ConditionExpression=ABSENT))


def transact(items: list[dict[str, Any]]) -> list[str]:
    """Run a write transaction; on cancellation return each item's cancellation code."""
    try:
        table().meta.client.transact_write_items(TransactItems=items)  # type: ignore[arg-type]
    except ClientError as error:
        if error.response["Error"]["Code"] != "TransactionCanceledException":
            raise
        reasons = error.response.get("CancellationReasons", [])
        return [reason.get("Code", "None") for reason in reasons]
    return []


def once_per_batch(marker: dict[str, Any], update: dict[str, Any]) -> bool:
    """Run `update` (an UpdateItem's arguments) together with a put of `marker`, an item that
    names a stream batch, in one transaction that the marker's existence cancels: however often
    the batch is retried, and whatever other batches wrote in between, the update happens once.
    Returns whether it happened."""
    name = table().name
    reasons = transact(
        [
            {"Put": {"TableName": name, "Item": marker, "ConditionExpression": ABSENT}},
            {"Update": {"TableName": name, **update}},
        ]
    )
    if reasons and reasons[0] != CONDITION_FAILED:
        raise RuntimeError(f"a once-per-batch write was cancelled: {reasons}")
    return not reasons


def put_all(items: Sequence[dict[str, Any]]) -> None:
    """Plain puts of whole items (no conditions, so only for puts safe to repeat), in as few
    BatchWriteItems as DynamoDB allows; what it leaves unprocessed is retried with backoff.
    The items must have distinct keys (DynamoDB refuses a batch naming one twice)."""
    client, name = table().meta.client, table().name
    for start in range(0, len(items), _PUTS_PER_BATCH_WRITE):
        chunk = items[start : start + _PUTS_PER_BATCH_WRITE]
        request: Any = {name: [{"PutRequest": {"Item": item}} for item in chunk]}
        for attempt in range(_BATCH_WRITE_ATTEMPTS):
            request = client.batch_write_item(RequestItems=request).get("UnprocessedItems")
            if not request:
                break
            time.sleep(0.05 * 2**attempt)  # DynamoDB's advice for unprocessed items: back off
        else:
            raise RuntimeError("the table kept leaving items of a batch write unwritten")
