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

Each record also says which items the units went to (`ItemUnits`: the partition key, or an
index's, and the item), for the partition-heat figure (heat.py): a query's units are shared
among the items it returned by size; GSI writes go to the item's key in that index.

A `CapacityMeter` hooks a session's DynamoDB calls like `counter.CallCounter`; it reads each
written item before and after the call through `lookup` (in the bench: moto's backend, so
the lookup itself is no API call).
"""

from __future__ import annotations

import base64
import json
import math
import re
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
_SCANNED = "(scan)"  # the partition of a Scan, or of a query whose condition names none
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
    name: str = "index"

    def of(self, item: WireItem | None) -> tuple[str, str] | None:
        """The item's key in this index, or None when the item is not in the index."""
        if not item or self.partition_key not in item or self.sort_key not in item:
            return None
        return (
            json.dumps(item[self.partition_key], sort_keys=True),
            json.dumps(item[self.sort_key], sort_keys=True),
        )

    def item_of(self, item: WireItem | None) -> tuple[str, str] | None:
        """(partition, item) as the heat figure names them: `GSI1:<pk>`, `<sk>`."""
        if not item or self.partition_key not in item or self.sort_key not in item:
            return None
        return f"{self.name}:{_plain(item[self.partition_key])}", _plain(item[self.sort_key])


def _plain(value: Mapping[str, Any]) -> str:
    ((_, data),) = value.items()
    return str(data)


def index_item_writes(
    before: WireItem | None, after: WireItem | None, indexes: Sequence[IndexKey]
) -> list[tuple[tuple[str, str], float]]:
    """The index items a base-table write changes (projection ALL), with their write units."""
    if before == after:
        return []
    writes = []
    for index in indexes:
        old, new = index.item_of(before), index.item_of(after)
        if old is not None and new is not None and old == new:
            writes.append((new, write_units(item_size(after))))
        else:
            if old is not None:
                writes.append((old, write_units(item_size(before))))
            if new is not None:
                writes.append((new, write_units(item_size(after))))
    return writes


def index_write_units(
    before: WireItem | None, after: WireItem | None, indexes: Sequence[IndexKey]
) -> float:
    """Extra write units a base-table write causes in the indexes (projection ALL)."""
    return sum(units for _, units in index_item_writes(before, after, indexes))


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


@dataclass(frozen=True)
class ItemUnits:
    """Units one call spent on one item: `partition` is the partition key's value (an
    index's is prefixed with the index name), `item` the sort key's."""

    partition: str
    item: str
    read_units: float = 0.0
    write_units: float = 0.0


@dataclass
class CapacityRecord:
    operation: str
    usage: Usage
    # Sizes of the items the call read or wrote, in bytes (for the cost model's inputs).
    item_sizes: list[int]
    items: list[ItemUnits] = field(default_factory=list)


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

    @property
    def item_units(self) -> list[ItemUnits]:
        return [units for record in self.records for units in record.items]

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

    def attach(self, events: EventEmitter, wrap: Callable[[Any], Any] = lambda hook: hook) -> None:
        """`wrap` wraps each hook (the call counter's `timed`: the meter's time is not the
        function's)."""
        # More specific than boto3's own `after-call.dynamodb` handler, so this one sees the
        # response in wire format before boto3 turns it into Python values.
        events.register(
            "before-call.dynamodb.*",
            wrap(self.on_before_call),
            unique_id="tenx-bench-capacity-before",
        )
        events.register(
            "after-call.dynamodb.*", wrap(self.on_after_call), unique_id="tenx-bench-capacity-after"
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

    def _item(self, key: Mapping[str, Any]) -> tuple[str, str]:
        pk, sk = self._key_names
        return _plain(key[pk]) if pk in key else "", _plain(key[sk]) if sk in key else ""

    def _write_record(self, pending: _Pending) -> CapacityRecord:
        usage, sizes, items = Usage(), [], []
        for write in pending.writes:
            after = self._lookup(write.table, write.key)
            size = max(item_size(write.before), item_size(after))
            sizes.append(size)
            base_units = write_units(size, transactional=write.transactional)
            items.append(ItemUnits(*self._item(write.key), write_units=base_units))
            index_writes = index_item_writes(write.before, after, self._indexes)
            items += [ItemUnits(*where, write_units=units) for where, units in index_writes]
            index_units = sum(units for _, units in index_writes)
            usage.write_units += base_units + index_units
            usage.index_write_units += index_units
        return CapacityRecord(pending.operation, usage, sizes, items)

    # --- reads -----------------------------------------------------------------------------

    def _read_record(self, pending: _Pending, parsed: Mapping[str, Any]) -> CapacityRecord:
        body, operation = pending.body, pending.operation
        if operation == "GetItem":
            size = item_size(parsed.get("Item"))
            units = read_units(size, consistent=bool(body.get("ConsistentRead")))
            item = ItemUnits(*self._item(body["Key"]), read_units=units)
            return CapacityRecord(operation, Usage(read_units=units), [size], [item])
        if operation == "BatchGetItem":
            return self._batch_get_record(body, parsed)
        if operation == "TransactGetItems":
            sizes = [item_size(response.get("Item")) for response in parsed.get("Responses", [])]
            each = [read_units(size, consistent=True, transactional=True) for size in sizes]
            gets = [entry["Get"]["Key"] for entry in body.get("TransactItems", [])]
            pairs = zip(gets, each, strict=True)
            items = [ItemUnits(*self._item(key), read_units=units) for key, units in pairs]
            return CapacityRecord(operation, Usage(read_units=sum(each)), sizes, items)
        return self._query_record(operation, body, parsed)

    def _query_record(
        self, operation: str, body: Mapping[str, Any], parsed: Mapping[str, Any]
    ) -> CapacityRecord:
        """Query and Scan: the items read before any filter, estimated from those returned;
        the units are shared among the returned items by size."""
        found = list(parsed.get("Items", []))
        sizes = [item_size(item) for item in found]
        returned, scanned = int(parsed.get("Count", len(sizes))), int(parsed.get("ScannedCount", 0))
        total = sum(sizes)
        if returned and scanned > returned:
            total = round(total * scanned / returned)
        consistent = bool(body.get("ConsistentRead")) and "IndexName" not in body
        units = read_units(total, consistent=consistent)
        index = next((i for i in self._indexes if i.name == body.get("IndexName")), None)
        # The partition from the key condition: a projection may leave the key out of the items.
        partition = self._queried_partition(body, index)
        where = [index.item_of(item) if index else self._item(item) for item in found]
        if partition != _SCANNED:
            where = [(partition, spot[1]) if spot else None for spot in where]
        read = sum(sizes)
        items = [
            ItemUnits(*spot, read_units=units * size / read)
            for spot, size in zip(where, sizes, strict=True)
            if spot is not None and read
        ]
        if not items:
            items = [ItemUnits(partition, "(nothing found)", units)]
        return CapacityRecord(operation, Usage(read_units=units), sizes, items)

    def _queried_partition(self, body: Mapping[str, Any], index: IndexKey | None) -> str:
        """The partition a query that found nothing read: its key condition's `pk = :value`."""
        names = body.get("ExpressionAttributeNames", {})
        values = body.get("ExpressionAttributeValues", {})
        partition_key = index.partition_key if index else self._key_names[0]
        condition = body.get("KeyConditionExpression", "")
        for name, placeholder in re.findall(r"([#\w]+)\s*=\s*(:\w+)", condition):
            if placeholder in values and names.get(name, name) == partition_key:
                value = _plain(values[placeholder])
                return f"{index.name}:{value}" if index else value
        return _SCANNED

    def _batch_get_record(
        self, body: Mapping[str, Any], parsed: Mapping[str, Any]
    ) -> CapacityRecord:
        usage, sizes, items = Usage(), [], []
        responses = parsed.get("Responses", {})
        unprocessed = parsed.get("UnprocessedKeys", {})
        for table, request in body.get("RequestItems", {}).items():
            consistent = bool(request.get("ConsistentRead"))
            found = {self._item(item): item_size(item) for item in responses.get(table, [])}
            skipped = {self._item(key) for key in unprocessed.get(table, {}).get("Keys", [])}
            for key in request.get("Keys", []):
                spot = self._item(key)
                if spot in skipped:
                    continue
                size = found.get(spot, 0)
                units = read_units(size, consistent=consistent)
                sizes += [size] if spot in found else []
                usage.read_units += units
                items.append(ItemUnits(*spot, read_units=units))
        return CapacityRecord("BatchGetItem", usage, sizes, items)
