"""A sequence's counters (PK=HANDLE#h, SK=SEQSTATS#<sequenceId>), one flat number attribute per
counter, added to once per stream batch (a marker item per batch and sequence refuses a
retried batch's second count, as the reputation counts do)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from tenx_email import keys
from tenx_email.dal.items import StoredItem
from tenx_email.dal.table import once_per_batch, table

# A stream batch can be retried while the stream keeps it (24 hours): its marker outlives that.
CHARGE_RETENTION = timedelta(days=2)
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
    names: dict[str, str] = {"#entity": "entity"}
    values: dict[str, Any] = {":entity": SequenceStatsItem.entity_type}
    adds: list[str] = []
    for n, (counter, amount) in enumerate(sorted(counts.items())):
        if not COUNTER.fullmatch(counter):
            raise ValueError(f"not a counter name: {counter!r}")
        names[f"#c{n}"], values[f":c{n}"] = counter, amount
        adds.append(f"#c{n} :c{n}")
    return once_per_batch(
        marker.to_item(),
        {
            "Key": keys.sequence_stats(handle_name, sequence_id),
            "UpdateExpression": f"ADD {', '.join(adds)} SET #entity = :entity",
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": values,
        },
    )


def read(handle_name: str, sequence_id: str) -> dict[str, int]:
    """The sequence's counters (none yet: empty)."""
    item = (
        table()
        .get_item(Key=keys.sequence_stats(handle_name, sequence_id), ConsistentRead=True)
        .get("Item", {})
    )
    return {name: int(str(value)) for name, value in item.items() if COUNTER.fullmatch(name)}
