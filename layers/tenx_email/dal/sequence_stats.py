"""A sequence's counters (PK=HANDLE#h, SK=SEQSTATS#<sequenceId>), one flat number attribute per
counter, added to once per stream batch (a marker item per batch and sequence refuses a
retried batch's second count, as the reputation counts do)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime

from tenx_email import keys
from tenx_email.dal import counters
from tenx_email.dal.counters import CHARGE_RETENTION
from tenx_email.dal.items import StoredItem
from tenx_email.dal.table import table

COUNTER = re.compile(r"^(enrolled|active|completed|stopped|exited_[A-Z]+|sent_[0-9]+)$")


class SequenceStatsItem(StoredItem):
    entity_type = "SEQUENCE_STATS"


class SequenceStatsChargeItem(StoredItem):
    entity_type = "SEQUENCE_STATS_CHARGE"
    expires_at: int


def add(
    handle_name: str, sequence_id: str, counts: Mapping[str, int], batch: str, now: datetime
) -> bool:
    """Add `counts` (counter name -> amount, may be negative) once for the stream batch."""
    marker = SequenceStatsChargeItem(
        **keys.sequence_stats_charge(handle_name, sequence_id, batch),
        expires_at=int((now + CHARGE_RETENTION).timestamp()),
    )
    for counter in counts:
        if not COUNTER.fullmatch(counter):
            raise ValueError(f"not a counter name: {counter!r}")
    return counters.add_once(
        keys.sequence_stats(handle_name, sequence_id),
        marker.to_item(),
        counts,
        {"entity": SequenceStatsItem.entity_type},
    )


def read(handle_name: str, sequence_id: str) -> dict[str, int]:
    """The sequence's counters (none yet: empty)."""
    item = (
        table()
        .get_item(Key=keys.sequence_stats(handle_name, sequence_id), ConsistentRead=True)
        .get("Item", {})
    )
    return {name: int(str(value)) for name, value in item.items() if COUNTER.fullmatch(name)}
