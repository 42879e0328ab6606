"""DynamoDB on-demand request units, from the sizes of the items each call reads or writes.

moto reports no real consumed capacity, so the units are computed from DynamoDB's published
rules (Developer Guide, "Read/write capacity mode" and "Item sizes and formats"):

- item size: attribute names plus values (strings and binaries by byte length, numbers about
  one byte per two significant digits plus one, booleans and nulls one byte, lists and maps
  three bytes plus one per element plus the elements);
- reads: one read request unit per 4 KB, halved when eventually consistent (GSI queries
  always are); a query sums the sizes of the items it reads before rounding; a key that finds
  nothing still costs the minimum; transactional reads cost double;
- writes: one write request unit per 1 KB of the larger of the item before and after, at
  least one, also when a condition fails; transactional writes (a ConditionCheck included,
  an assumption on the conservative side) cost double; each global secondary index the item
  is in (projection ALL) costs one more write of the item's size, two when its index key
  changes; an unchanged item writes no index.

A `CapacityMeter` hooks a session's DynamoDB calls like `counter.CallCounter`; it reads each
written item before and after the call through `lookup` (in the bench: moto's backend, so
the lookup itself is no API call).
"""

from __future__ import annotations

import base64
import json
import math
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from devstack.bench.counter import EventEmitter

READ_UNIT_BYTES = 4096
WRITE_UNIT_BYTES = 1024
CONTAINER_OVERHEAD_BYTES = 3
ELEMENT_OVERHEAD_BYTES = 1

WireItem = Mapping[str, Mapping[str, Any]]
# (table name, key in wire format) -> the stored item in wire format, or None.
ItemLookup = Callable[[str, WireItem], "dict[str, Any] | None"]

_CONTEXT_KEY = "tenx_bench_capacity"
_READS = frozenset({"GetItem", "BatchGetItem", "Query", "Scan", "TransactGetItems"})
_WRITES = frozenset({"PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems"})


def _number_size(text: str) -> int:
    digits = text.lstrip("-").replace(".", "").lstrip("0") or "0"
    digits = digits.split("e")[0].split("E")[0]
    return (len(digits) + 1) // 2 + 1


def attribute_size(value: Mapping[str, Any]) -> int:
    """Size of one attribute value in DynamoDB's wire format ({"S": "..."}, {"M": {...}})."""
    ((kind, data),) = value.items()
    if kind == "S":
        return len(str(data).encode())
    if kind == "N":
        return _number_size(str(data))
    if kind == "B":
        return len(data) if isinstance(data, bytes) else len(base64.b64decode(data))
    if kind in {"BOOL", "NULL"}:
        return 1
    if kind == "SS":
        return sum(len(str(member).encode()) for member in data)
    if kind == "NS":
        return sum(_number_size(str(member)) for member in data)
    if kind == "BS":
        return sum(attribute_size({"B": member}) for member in data)
    if kind == "L":
        return CONTAINER_OVERHEAD_BYTES + sum(
            ELEMENT_OVERHEAD_BYTES + attribute_size(member) for member in data
        )
    if kind == "M":
        return CONTAINER_OVERHEAD_BYTES + sum(
            ELEMENT_OVERHEAD_BYTES + len(name.encode()) + attribute_size(member)
            for name, member in data.items()
        )
    raise ValueError(f"unknown DynamoDB type {kind!r}")


def item_size(item: WireItem | None) -> int:
    """Size of an item (0 for no item): every attribute's name and value."""
    if not item:
        return 0
    return sum(len(name.encode()) + attribute_size(value) for name, value in item.items())


def read_units(size: int, *, consistent: bool, transactional: bool = False) -> float:
    """Read request units for reading `size` bytes (one item, or a query's total)."""
    units = float(max(1, math.ceil(size / READ_UNIT_BYTES)))
    if transactional:
        return 2 * units
    return units if consistent else units / 2


def write_units(size: int, *, transactional: bool = False) -> float:
    """Write request units for writing one item of `size` bytes."""
    units = float(max(1, math.ceil(size / WRITE_UNIT_BYTES)))
    return 2 * units if transactional else units


@dataclass(frozen=True)
class IndexKey:
    partition_key: str
    sort_key: str

    def of(self, item: WireItem | None) -> tuple[str, str] | None:
        """The item's key in this index, or None when the item is not in the index."""
        if not item or self.partition_key not in item or self.sort_key not in item:
            return None
        return (
            json.dumps(item[self.partition_key], sort_keys=True),
            json.dumps(item[self.sort_key], sort_keys=True),
        )


def index_write_units(
    before: WireItem | None, after: WireItem | None, indexes: Sequence[IndexKey]
) -> float:
    """Extra write units a base-table write causes in the indexes (projection ALL)."""
    if before == after:
        return 0.0
    units = 0.0
    for index in indexes:
        old, new = index.of(before), index.of(after)
        if old is not None and new is not None and old == new:
            units += write_units(item_size(after))
        else:
            if old is not None:
                units += write_units(item_size(before))
            if new is not None:
                units += write_units(item_size(after))
    return units


@dataclass
class Usage:
    read_units: float = 0.0
    write_units: float = 0.0
    # Of write_units, those the global secondary indexes cost.
    index_write_units: float = 0.0

    def add(self, other: Usage) -> None:
        self.read_units += other.read_units
        self.write_units += other.write_units
        self.index_write_units += other.index_write_units


@dataclass
class _Write:
    table: str
    key: dict[str, Any]
    transactional: bool
    before: dict[str, Any] | None = None


@dataclass
class _Pending:
    operation: str
    body: dict[str, Any]
    writes: list[_Write] = field(default_factory=list)


@dataclass
class CapacityRecord:
    operation: str
    usage: Usage
    # Sizes of the items the call read or wrote, in bytes (for the cost model's inputs).
    item_sizes: list[int]


@dataclass
class CapacityWindow:
    records: list[CapacityRecord] = field(default_factory=list)

    @property
    def usage(self) -> Usage:
        total = Usage()
        for record in self.records:
            total.add(record.usage)
        return total

    @property
    def item_sizes(self) -> list[int]:
        return [size for record in self.records for size in record.item_sizes]

    def by_operation(self) -> dict[str, Usage]:
        """`dynamodb:Operation` -> the units those calls cost."""
        usage: dict[str, Usage] = {}
        for record in self.records:
            usage.setdefault(f"dynamodb:{record.operation}", Usage()).add(record.usage)
        return dict(sorted(usage.items()))


class CapacityMeter:
    def __init__(
        self,
        lookup: ItemLookup,
        *,
        key_names: tuple[str, str] = ("PK", "SK"),
        indexes: Sequence[IndexKey] = (),
    ) -> None:
        self._lookup = lookup
        self._key_names = key_names
        self._indexes = tuple(indexes)
        self.records: list[CapacityRecord] = []

    def attach(self, events: EventEmitter) -> None:
        # More specific than boto3's own `after-call.dynamodb` handler, so this one sees the
        # response in wire format before boto3 turns it into Python values.
        events.register(
            "before-call.dynamodb.*", self.on_before_call, unique_id="tenx-bench-capacity-before"
        )
        events.register(
            "after-call.dynamodb.*", self.on_after_call, unique_id="tenx-bench-capacity-after"
        )

    @contextmanager
    def window(self) -> Iterator[CapacityWindow]:
        window = CapacityWindow()
        start = len(self.records)
        try:
            yield window
        finally:
            window.records = self.records[start:]

    # --- hooks -----------------------------------------------------------------------------

    def on_before_call(
        self, event_name: str, params: Mapping[str, Any], context: dict[str, Any], **_: Any
    ) -> None:
        operation = event_name.rsplit(".", 1)[1]
        raw = params.get("body") or b"{}"
        body: dict[str, Any] = json.loads(raw.decode() if isinstance(raw, bytes) else raw)
        pending = _Pending(operation=operation, body=body, writes=self._writes_of(operation, body))
        for write in pending.writes:
            write.before = self._lookup(write.table, write.key)
        context[_CONTEXT_KEY] = pending

    def on_after_call(self, parsed: Mapping[str, Any], context: dict[str, Any], **_: Any) -> None:
        pending: _Pending | None = context.pop(_CONTEXT_KEY, None)
        if pending is None:
            return
        if pending.operation in _WRITES:
            self.records.append(self._write_record(pending))
        elif pending.operation in _READS:
            self.records.append(self._read_record(pending, parsed))

    # --- writes ----------------------------------------------------------------------------

    def _key(self, item: Mapping[str, Any]) -> dict[str, Any]:
        return {name: item[name] for name in self._key_names if name in item}

    def _writes_of(self, operation: str, body: Mapping[str, Any]) -> list[_Write]:
        if operation == "PutItem":
            return [_Write(body["TableName"], self._key(body["Item"]), transactional=False)]
        if operation in {"UpdateItem", "DeleteItem"}:
            return [_Write(body["TableName"], dict(body["Key"]), transactional=False)]
        if operation == "BatchWriteItem":
            writes = []
            for table, requests in body.get("RequestItems", {}).items():
                for request in requests:
                    if "PutRequest" in request:
                        key = self._key(request["PutRequest"]["Item"])
                    else:
                        key = dict(request["DeleteRequest"]["Key"])
                    writes.append(_Write(table, key, transactional=False))
            return writes
        if operation == "TransactWriteItems":
            writes = []
            for entry in body.get("TransactItems", []):
                ((action, spec),) = entry.items()
                key = self._key(spec["Item"]) if action == "Put" else dict(spec["Key"])
                writes.append(_Write(spec["TableName"], key, transactional=True))
            return writes
        return []

    def _write_record(self, pending: _Pending) -> CapacityRecord:
        usage, sizes = Usage(), []
        for write in pending.writes:
            after = self._lookup(write.table, write.key)
            size = max(item_size(write.before), item_size(after))
            sizes.append(size)
            index_units = index_write_units(write.before, after, self._indexes)
            usage.write_units += write_units(size, transactional=write.transactional) + index_units
            usage.index_write_units += index_units
        return CapacityRecord(pending.operation, usage, sizes)

    # --- reads -----------------------------------------------------------------------------

    def _read_record(self, pending: _Pending, parsed: Mapping[str, Any]) -> CapacityRecord:
        body, operation = pending.body, pending.operation
        if operation == "GetItem":
            size = item_size(parsed.get("Item"))
            units = read_units(size, consistent=bool(body.get("ConsistentRead")))
            return CapacityRecord(operation, Usage(read_units=units), [size])
        if operation == "BatchGetItem":
            return self._batch_get_record(body, parsed)
        if operation == "TransactGetItems":
            sizes = [item_size(response.get("Item")) for response in parsed.get("Responses", [])]
            units = sum(read_units(size, consistent=True, transactional=True) for size in sizes)
            return CapacityRecord(operation, Usage(read_units=units), sizes)
        # Query and Scan: the items read before any filter, estimated from those returned.
        sizes = [item_size(item) for item in parsed.get("Items", [])]
        returned, scanned = int(parsed.get("Count", len(sizes))), int(parsed.get("ScannedCount", 0))
        total = sum(sizes)
        if returned and scanned > returned:
            total = round(total * scanned / returned)
        consistent = bool(body.get("ConsistentRead")) and "IndexName" not in body
        return CapacityRecord(
            operation, Usage(read_units=read_units(total, consistent=consistent)), sizes
        )

    def _batch_get_record(
        self, body: Mapping[str, Any], parsed: Mapping[str, Any]
    ) -> CapacityRecord:
        usage, sizes = Usage(), []
        responses = parsed.get("Responses", {})
        unprocessed = parsed.get("UnprocessedKeys", {})
        for table, request in body.get("RequestItems", {}).items():
            consistent = bool(request.get("ConsistentRead"))
            found = [item_size(item) for item in responses.get(table, [])]
            skipped = len(unprocessed.get(table, {}).get("Keys", []))
            missing = len(request.get("Keys", [])) - len(found) - skipped
            sizes += found
            usage.read_units += sum(read_units(size, consistent=consistent) for size in found)
            usage.read_units += max(0, missing) * read_units(0, consistent=consistent)
        return CapacityRecord("BatchGetItem", usage, sizes)
