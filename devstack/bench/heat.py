"""Partition heat: the request units one handle's mail puts on each partition key and item,
per 1,000 emails, and from the hottest, the emails per second one handle can sustain.

The in-process bench sends a run of emails through the whole path (the send route, delivery,
SES's feedback, the event projection) inside one capacity window; every unit the window saw
is charged to the item it went to (capacity.py, `ItemUnits`). This module does the
arithmetic, on what DynamoDB documents and on one assumption it cannot be measured against:

- a partition serves at most 1,000 write units and 3,000 read units per second; on-demand
  capacity and adaptive capacity raise a table's throughput, never one partition's;
- DynamoDB splits a hot partition by sort key range ("split for heat"), down to one item
  alone on a partition: so one item is bound by the per-partition limits;
- (assumption) a split does not help a *time-ordered* collection: new items land at the end
  of its key range, which stays on one partition however often it splits. Such a collection
  (`MONOTONIC_COLLECTIONS`: messages, the event feed, one recipient's messages) counts as one
  item; every other item (configuration, idempotency keys, the day's usage) can be isolated.

The limit on one handle is then the heat unit (an item, or a time-ordered collection) closest
to its partition's limits: `maxEmailsPerSecondPerHandle = 1000 / (its share of a partition's
capacity per email)`, and at that rate the hottest single item spends `hottestItemUnitsPerSecond`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

from devstack.bench.capacity import ItemUnits
from devstack.bench.targets import MIN_EMAILS_PER_SECOND_PER_HANDLE, MISS, PASS

PARTITION_WRITE_UNITS_PER_SECOND = 1000.0
PARTITION_READ_UNITS_PER_SECOND = 3000.0
PER_EMAILS = 1000
# Sort key shapes whose new items are time-ordered, with the collection each belongs to:
# every message (MSG#<msg_ULID>), every feed page (EVFEED#<time>#...), and the messages of
# one recipient (RCPT#<email>#<msg_ULID>).
MONOTONIC_COLLECTIONS = (
    (re.compile(r"^(MSG#)msg_[0-9a-z]{26}(_[0-9]+)?$"), "MSG#*"),
    (re.compile(r"^(EVFEED#).+$"), "EVFEED#*"),
    (re.compile(r"^(RCPT#.+#)msg_[0-9a-z]{26}(_[0-9]+)?$"), "RCPT#<email>#*"),
)
MESSAGES = "MSG#*"
# A message shard's partition (keys.message_partition): HANDLE#<handle>#SHARD<k>.
_SHARD = re.compile(r"#SHARD[0-9]+$")
# Names ids in reports, so that the items of one kind read as one row.
_IDS = re.compile(r"msg_[0-9a-z]{26}|[0-9A-Z]{26}")

ASSUMPTIONS = (
    f"a partition serves at most {PARTITION_WRITE_UNITS_PER_SECOND:,.0f} write units and "
    f"{PARTITION_READ_UNITS_PER_SECOND:,.0f} read units per second (DynamoDB's documented "
    "per-partition limit; on-demand mode does not raise it)",
    "split for heat can isolate any single item, so one item is bound by those limits",
    "a time-ordered collection (messages, feed pages, one recipient's messages) stays on one "
    "partition: its new items always land at the end of its key range",
    "idempotency keys are not time-ordered (clients choose them; the API reference asks for "
    "unique keys)",
    "a handle's messages spread evenly over its message shards (a direct send picks one at "
    "random, a rule message one by a hash of its rule and event): each of N shards takes 1/N "
    "of the messages' units (the run's own split, a sample, is in `kinds`)",
    "one email = one recipient, sent by the API, delivered, reported by SES (Delivery) and "
    "projected; recipients all differ",
)


def heat_unit(item: str) -> tuple[str, bool]:
    """The unit a split cannot divide that `item` (a sort key) belongs to, and whether it is a
    time-ordered collection."""
    for pattern, _ in MONOTONIC_COLLECTIONS:
        match = pattern.match(item)
        if match:
            return f"{match.group(1)}*", True
    return item, False


def item_kind(item: str) -> str:
    """What a report row calls the items of one kind: ids replaced by `*`."""
    for pattern, label in MONOTONIC_COLLECTIONS:
        if pattern.match(item):
            return label
    return _IDS.sub("*", item)


@dataclass
class Load:
    read_units: float = 0.0
    write_units: float = 0.0
    items: set[str] = field(default_factory=set)

    def add(self, units: ItemUnits) -> None:
        self.read_units += units.read_units
        self.write_units += units.write_units
        self.items.add(units.item)

    def share(self) -> float:
        """Of one partition's capacity per second, the fraction this load takes (per email
        when the load is per email)."""
        return max(
            self.write_units / PARTITION_WRITE_UNITS_PER_SECOND,
            self.read_units / PARTITION_READ_UNITS_PER_SECOND,
        )


@dataclass(frozen=True)
class HeatRow:
    partition: str
    kind: str
    read_units_per_1000: float
    write_units_per_1000: float
    items: int


@dataclass(frozen=True)
class HeatFigure:
    emails: int
    message_shards: int  # the handle's (tenx-admin set-message-shards)
    partitions: list[HeatRow]  # per partition key: every item under it
    kinds: list[HeatRow]  # per partition key and kind of item, hottest first
    binding: HeatRow  # the unit (item or time-ordered collection) that limits the handle
    binding_is_collection: bool
    max_emails_per_second: float
    hottest_item: HeatRow  # the single hottest item
    hottest_item_read_units_per_second: float
    hottest_item_write_units_per_second: float


def _pressure(row: HeatRow) -> float:
    return max(
        row.write_units_per_1000 / PARTITION_WRITE_UNITS_PER_SECOND,
        row.read_units_per_1000 / PARTITION_READ_UNITS_PER_SECOND,
    )


def _row(partition: str, kind: str, load: Load, emails: int) -> HeatRow:
    scale = PER_EMAILS / emails
    return HeatRow(
        partition=partition,
        kind=kind,
        read_units_per_1000=round(load.read_units * scale, 2),
        write_units_per_1000=round(load.write_units * scale, 2),
        items=len(load.items),
    )


def _per_email(load: Load, emails: int) -> Load:
    return Load(load.read_units / emails, load.write_units / emails, load.items)


def _messages_of(partition: str) -> str:
    """The label of a handle's messages across its shards."""
    return f"{_SHARD.sub('', partition)}[#SHARD*]"


def heat_figure(charges: Iterable[ItemUnits], emails: int, shards: int = 1) -> HeatFigure:
    if emails <= 0:
        raise ValueError("the heat run sent no email")
    partitions: dict[str, Load] = {}
    kinds: dict[tuple[str, str], Load] = {}
    units: dict[tuple[str, str], tuple[Load, bool]] = {}
    items: dict[tuple[str, str], Load] = {}
    for charge in charges:
        partitions.setdefault(charge.partition, Load()).add(charge)
        unit, collection = heat_unit(charge.item)
        kind = item_kind(charge.item)
        # A handle's messages, in whichever shard, are one load spread over its shards.
        where = _messages_of(charge.partition) if kind == MESSAGES else charge.partition
        kinds.setdefault((where, kind), Load()).add(charge)
        units.setdefault((where, unit), (Load(), collection))[0].add(charge)
        items.setdefault((charge.partition, charge.item), Load()).add(charge)
    if not items:
        raise ValueError("the heat run touched no item")

    def pressure(entry: tuple[tuple[str, str], tuple[Load, bool]]) -> float:
        (_, unit), (load, _) = entry
        return load.share() / (shards if unit == MESSAGES else 1)

    binding = max(units.items(), key=pressure)
    (partition, unit), (load, collection) = binding
    rate = emails / pressure(binding)
    (hot_partition, hot_item), hot = max(
        items.items(), key=lambda entry: _per_email(entry[1], emails).share()
    )
    return HeatFigure(
        emails=emails,
        message_shards=shards,
        partitions=sorted(
            (_row(p, "*", load, emails) for p, load in partitions.items()),
            key=_pressure,
            reverse=True,
        ),
        kinds=sorted(
            (_row(p, kind, load, emails) for (p, kind), load in kinds.items()),
            key=_pressure,
            reverse=True,
        ),
        binding=_row(partition, unit, load, emails),
        binding_is_collection=collection,
        max_emails_per_second=round(rate, 1),
        hottest_item=_row(hot_partition, hot_item, hot, emails),
        hottest_item_read_units_per_second=round(hot.read_units / emails * rate, 1),
        hottest_item_write_units_per_second=round(hot.write_units / emails * rate, 1),
    )


def document(figure: HeatFigure) -> dict[str, Any]:
    """bench.json's `partitionHeat`: the figure, its target (a floor) and its assumptions."""
    met = figure.max_emails_per_second >= MIN_EMAILS_PER_SECOND_PER_HANDLE
    return {
        **asdict(figure),
        "target": MIN_EMAILS_PER_SECOND_PER_HANDLE,
        "verdict": PASS if met else MISS,
        "limits": {
            "partitionWriteUnitsPerSecond": PARTITION_WRITE_UNITS_PER_SECOND,
            "partitionReadUnitsPerSecond": PARTITION_READ_UNITS_PER_SECOND,
        },
        "assumptions": list(ASSUMPTIONS),
    }
