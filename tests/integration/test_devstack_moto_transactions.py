"""The local stack's cheap undo of a cancelled transaction (devstack/moto_transactions.py):
it undoes exactly what moto's whole-table copy undid, and copies only what the transaction
can change."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto.dynamodb.models import dynamodb_backends
from moto.dynamodb.models.table import Table

from devstack.moto_transactions import CheapTransactionUndo
from tests.conftest import REGION, TABLE_NAME


@pytest.fixture
def dynamodb(aws: None) -> Iterator[Any]:
    undo = CheapTransactionUndo()
    undo.install()
    yield boto3.client("dynamodb", region_name=REGION)
    undo.uninstall()


def moto_table() -> Table:
    table: Table = dynamodb_backends["123456789012"][REGION].tables[TABLE_NAME]
    return table


def key(sort_key: str) -> dict[str, Any]:
    return {"PK": {"S": "H#acme"}, "SK": {"S": sort_key}}


def put(dynamodb: Any, sort_key: str, count: int) -> None:
    dynamodb.put_item(TableName=TABLE_NAME, Item={**key(sort_key), "n": {"N": str(count)}})


def counts(dynamodb: Any) -> dict[str, int]:
    found = dynamodb.query(
        TableName=TABLE_NAME,
        KeyConditionExpression="PK = :pk",
        ExpressionAttributeValues={":pk": {"S": "H#acme"}},
        ConsistentRead=True,
    )["Items"]
    return {item["SK"]["S"]: int(item["n"]["N"]) for item in found}


def update(sort_key: str, condition: str | None = None) -> dict[str, Any]:
    operation: dict[str, Any] = {
        "TableName": TABLE_NAME,
        "Key": key(sort_key),
        "UpdateExpression": "ADD n :one",
        "ExpressionAttributeValues": {":one": {"N": "1"}},
    }
    if condition:
        operation["ConditionExpression"] = condition
    return {"Update": operation}


def writes(dynamodb: Any, *, cancelled: bool) -> None:
    dynamodb.transact_write_items(
        TransactItems=[
            update("A"),
            {"Put": {"TableName": TABLE_NAME, "Item": {**key("NEW"), "n": {"N": "7"}}}},
            {"Delete": {"TableName": TABLE_NAME, "Key": key("B")}},
            update("C", "n = :one" if cancelled else None),
        ]
    )


def stored(sort_key: str) -> Any:
    """moto's own object for an item of the table."""
    from moto.dynamodb.models.dynamo_type import DynamoType

    return moto_table().get_item(DynamoType({"S": "H#acme"}), DynamoType({"S": sort_key}))


def seed(dynamodb: Any) -> None:
    for sort_key, count in (("A", 1), ("B", 2), ("C", 3), ("UNTOUCHED", 4)):
        put(dynamodb, sort_key, count)


def stream_records() -> int:
    shard = moto_table().stream_shard
    assert shard is not None
    return len(shard.items)


def test_a_cancelled_transaction_leaves_the_table_and_its_stream_as_they_were(
    dynamodb: Any,
) -> None:
    seed(dynamodb)
    before, records = counts(dynamodb), stream_records()
    untouched = stored("UNTOUCHED")

    with pytest.raises(ClientError, match="TransactionCanceled"):
        writes(dynamodb, cancelled=True)

    assert counts(dynamodb) == before  # A not incremented, NEW not there, B not deleted
    assert stream_records() == records
    # What the transaction could not change was never copied.
    assert stored("UNTOUCHED") is untouched


def test_a_transaction_that_goes_through_is_applied_whole(dynamodb: Any) -> None:
    seed(dynamodb)
    records = stream_records()

    writes(dynamodb, cancelled=False)

    assert counts(dynamodb) == {"A": 2, "C": 4, "NEW": 7, "UNTOUCHED": 4}
    assert stream_records() == records + 4


def test_a_deep_copy_outside_a_transaction_is_still_deep(dynamodb: Any) -> None:
    seed(dynamodb)
    table = moto_table()

    backup = copy.deepcopy(table)

    assert backup is not table
    (partition,) = backup.items.values()
    assert partition.keys() == table.items[next(iter(table.items))].keys()
    assert all(partition[k] is not v for k, v in table.items[next(iter(table.items))].items())
