"""DynamoDB request units the bench charges per call, by the published sizing rules."""

from __future__ import annotations

import json
from typing import Any

import pytest

from devstack.bench.capacity import (
    CapacityMeter,
    IndexKey,
    attribute_size,
    index_write_units,
    item_size,
    read_units,
    write_units,
)

GSI1 = IndexKey("GSI1PK", "GSI1SK", "GSI1")
GSI2 = IndexKey("GSI2PK", "GSI2SK", "GSI2")


def s(text: str) -> dict[str, str]:
    return {"S": text}


def test_attribute_sizes() -> None:
    assert attribute_size(s("abc")) == 3
    assert attribute_size(s("é")) == 2  # UTF-8 bytes
    assert attribute_size({"N": "12345"}) == 4  # (5 digits + 1) // 2 + 1
    assert attribute_size({"BOOL": True}) == 1
    assert attribute_size({"NULL": True}) == 1
    assert attribute_size({"B": "AAEC"}) == 3  # base64 of three bytes
    # Lists and maps: 3 bytes, plus 1 per element, plus the elements (and map keys).
    assert attribute_size({"L": [s("ab"), s("c")]}) == 3 + (1 + 2) + (1 + 1)
    assert attribute_size({"M": {"k": s("vv")}}) == 3 + 1 + 1 + 2
    assert attribute_size({"SS": ["a", "bc"]}) == 3
    with pytest.raises(ValueError, match="unknown"):
        attribute_size({"X": 1})


def test_item_size_counts_names_and_values() -> None:
    assert item_size({"PK": s("HANDLE#acme"), "n": {"N": "7"}}) == 2 + 11 + 1 + 2
    assert item_size(None) == 0


@pytest.mark.parametrize(
    ("size", "consistent", "transactional", "units"),
    [
        (0, True, False, 1.0),  # a miss still costs the minimum
        (0, False, False, 0.5),
        (4096, True, False, 1.0),
        (4097, True, False, 2.0),
        (4097, False, False, 1.0),
        (100, True, True, 2.0),
    ],
)
def test_read_units(size: int, consistent: bool, transactional: bool, units: float) -> None:
    assert read_units(size, consistent=consistent, transactional=transactional) == units


@pytest.mark.parametrize(
    ("size", "transactional", "units"),
    [(1, False, 1.0), (1024, False, 1.0), (1025, False, 2.0), (800, True, 2.0), (2100, True, 6.0)],
)
def test_write_units(size: int, transactional: bool, units: float) -> None:
    assert write_units(size, transactional=transactional) == units


def test_index_writes() -> None:
    base = {"PK": s("H"), "SK": s("M"), "GSI1PK": s("QUEUED"), "GSI1SK": s("1")}
    changed = {**base, "note": s("x")}
    moved = {**changed, "GSI1PK": s("SENT")}
    # Unchanged: no index write. Changed outside the key: one write per index holding it.
    assert index_write_units(base, base, [GSI1, GSI2]) == 0
    assert index_write_units(base, changed, [GSI1, GSI2]) == 1
    # A changed index key: the old entry is deleted and the new one put.
    assert index_write_units(changed, moved, [GSI1]) == 2
    # A new item: one write in each index it belongs to.
    assert index_write_units(None, {**moved, "GSI2PK": s("P"), "GSI2SK": s("1")}, [GSI1, GSI2]) == 2


class FakeTable:
    """A stand-in for moto's backend: the meter reads items before and after each write."""

    def __init__(self) -> None:
        self.items: dict[str, dict[str, Any]] = {}

    @staticmethod
    def key(item: dict[str, Any]) -> str:
        return json.dumps({"PK": item["PK"], "SK": item["SK"]}, sort_keys=True)

    def lookup(self, _table: str, key: Any) -> dict[str, Any] | None:
        return self.items.get(self.key(dict(key)))

    def put(self, item: dict[str, Any]) -> None:
        self.items[self.key(item)] = item


def _call(
    meter: CapacityMeter,
    operation: str,
    body: dict[str, Any],
    parsed: dict[str, Any],
    between: Any = None,
) -> None:
    context: dict[str, Any] = {}
    params = {"body": json.dumps(body).encode()}
    meter.on_before_call(f"before-call.dynamodb.{operation}", params=params, context=context)
    if between is not None:
        between()
    meter.on_after_call(parsed=parsed, context=context)


def test_the_meter_charges_a_transaction_double_and_its_index_writes() -> None:
    table = FakeTable()
    meter = CapacityMeter(table.lookup, indexes=[GSI1, GSI2])
    message = {"PK": s("HANDLE#a"), "SK": s("MSG#1"), "GSI1PK": s("Q"), "GSI1SK": s("1")}
    event = {
        "PK": s("HANDLE#a"),
        "SK": s("MEVT#1"),
        "GSI1PK": s("R"),
        "GSI1SK": s("1"),
        "GSI2PK": s("E"),
        "GSI2SK": s("1"),
    }
    table.put(message)
    body = {
        "TransactItems": [
            {"Put": {"TableName": "t", "Item": event}},
            {"Update": {"TableName": "t", "Key": {"PK": message["PK"], "SK": message["SK"]}}},
        ]
    }

    def apply() -> None:
        table.put(event)
        table.put({**message, "GSI1PK": s("SENT")})

    with meter.window() as window:
        _call(meter, "TransactWriteItems", body, {}, between=apply)

    usage = window.usage
    # The event: 2 (transactional) + 2 index puts; the message: 2 + 2 (its GSI1 key moved).
    assert usage.write_units == 8
    assert usage.index_write_units == 4
    assert window.by_operation()["dynamodb:TransactWriteItems"].write_units == 8
    # Per item: the base items, and each index item written (the message's old GSI1 item
    # removed, its new one put).
    assert [(u.partition, u.item, u.write_units) for u in window.item_units] == [
        ("HANDLE#a", "MEVT#1", 2.0),
        ("GSI1:R", "1", 1.0),
        ("GSI2:E", "1", 1.0),
        ("HANDLE#a", "MSG#1", 2.0),
        ("GSI1:Q", "1", 1.0),
        ("GSI1:SENT", "1", 1.0),
    ]


def test_the_meter_charges_a_failed_conditional_write() -> None:
    table = FakeTable()
    meter = CapacityMeter(table.lookup, indexes=[GSI1])
    item = {"PK": s("A"), "SK": s("B"), "GSI1PK": s("x"), "GSI1SK": s("y")}
    table.put(item)
    with meter.window() as window:
        _call(meter, "PutItem", {"TableName": "t", "Item": item}, {"Error": {}})
    # Nothing changed: the base write is charged, no index write.
    assert (window.usage.write_units, window.usage.index_write_units) == (1, 0)


def test_the_meter_charges_reads_from_what_came_back() -> None:
    meter = CapacityMeter(FakeTable().lookup, indexes=[GSI1])
    big = {"PK": s("A"), "SK": s("B"), "blob": s("x" * 5000)}
    key = {"PK": s("A"), "SK": s("B")}
    missing = [{"PK": s("A"), "SK": s("C")}, {"PK": s("Z"), "SK": s("D")}]
    indexed = {**big, "GSI1PK": s("G"), "GSI1SK": s("1")}
    with meter.window() as window:
        _call(meter, "GetItem", {"Key": key, "ConsistentRead": True}, {"Item": big})
        _call(
            meter,
            "BatchGetItem",
            {"RequestItems": {"t": {"Keys": [key, *missing], "ConsistentRead": False}}},
            {"Responses": {"t": [big]}},
        )
        _call(
            meter,
            "Query",
            {"IndexName": "GSI1", "ConsistentRead": False},
            {"Items": [indexed, indexed], "Count": 2, "ScannedCount": 2},
        )
    gets = [record.usage.read_units for record in window.records]
    # 5 KB consistent: 2; batch: 1 (5 KB, eventually consistent) + 2 misses x 0.5;
    # query over an index: 10 KB eventually consistent -> 3 x 0.5.
    assert gets == [2.0, 2.0, 1.5]
    assert window.usage.read_units == 5.5
    # Each unit is charged to the item it read: a miss to the key asked for, a query's to
    # the items it returned (here twice the same index item), under the index's partition.
    assert [(u.partition, u.item, u.read_units) for u in window.item_units] == [
        ("A", "B", 2.0),
        ("A", "B", 1.0),
        ("A", "C", 0.5),
        ("Z", "D", 0.5),
        ("GSI1:G", "1", 0.75),
        ("GSI1:G", "1", 0.75),
    ]


def test_a_query_charges_the_partition_its_key_condition_names() -> None:
    meter = CapacityMeter(FakeTable().lookup)
    query = {
        "KeyConditionExpression": "#pk = :pk AND begins_with(#sk, :prefix)",
        "ExpressionAttributeNames": {"#pk": "PK", "#sk": "SK"},
        "ExpressionAttributeValues": {":pk": s("HANDLE#a"), ":prefix": s("EVFEED#")},
        "ProjectionExpression": "SK",
    }
    with meter.window() as window:
        # The projection leaves PK out of what comes back; the condition still names it.
        _call(meter, "Query", query, {"Items": [{"SK": s("EVFEED#1")}], "Count": 1})
        _call(meter, "Query", query, {"Items": [], "Count": 0})
    assert [(u.partition, u.item) for u in window.item_units] == [
        ("HANDLE#a", "EVFEED#1"),
        ("HANDLE#a", "(nothing found)"),
    ]
