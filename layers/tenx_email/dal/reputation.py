"""A handle's reputation counts (PK=HANDLE#h, SK=REPUTATION): sends, hard bounces and
complaints per 10-minute bucket, as flat attributes `s<bucket>`, `b<bucket>`, `c<bucket>`
(bucket = its start, YYYYMMDDHHMM UTC) that an ADD creates, so concurrent batches of
different stream shards add without reading. Buckets past the window are removed when they
are seen (`forget`); a restart (an operator resuming the handle) replaces the whole item."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

from tenx_email import keys
from tenx_email.dal.items import StoredItem
from tenx_email.dal.table import once_per_batch, table
from tenx_email.reputation import Counts

# A stream batch can be retried while the stream keeps it (24 hours): its marker outlives that.
CHARGE_RETENTION = timedelta(days=2)
_BUCKET_FORMAT = "%Y%m%d%H%M"
_COUNTER = re.compile(r"^([sbc])(\d{12})$")
_FIELDS = {"s": "sent", "b": "bounced", "c": "complained"}


class ReputationItem(StoredItem):
    entity_type = "REPUTATION"


class ReputationChargeItem(StoredItem):
    """Names a stream batch counted in a handle's reputation: its existence refuses the
    batch's second count."""

    entity_type = "REPUTATION_CHARGE"
    expires_at: int


def _name(field: str, bucket: datetime) -> str:
    return f"{field}{bucket.astimezone(UTC).strftime(_BUCKET_FORMAT)}"


def add(handle_name: str, bucket: datetime, counts: Counts, batch: str, now: datetime) -> bool:
    """Add `counts` to the bucket once for the stream batch `batch`; whether it added."""
    expires_at = int((now + CHARGE_RETENTION).timestamp())
    marker = ReputationChargeItem(
        **keys.reputation_charge(handle_name, batch), expires_at=expires_at
    )
    names, values, adds = {"#entity": "entity"}, {":entity": ReputationItem.entity_type}, []
    for field, attribute in _FIELDS.items():
        amount = getattr(counts, attribute)
        if amount:
            names[f"#{field}"] = _name(field, bucket)
            values[f":{field}"] = amount
            adds.append(f"#{field} :{field}")
    return once_per_batch(
        marker.to_item(),
        {
            "Key": keys.reputation(handle_name),
            "UpdateExpression": f"ADD {', '.join(adds)} SET #entity = :entity",
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": values,
        },
    )


def buckets_of(item: dict[str, Any] | None) -> dict[datetime, Counts]:
    """The item's counts by bucket start."""
    found: dict[datetime, dict[str, int]] = {}
    for attribute, value in (item or {}).items():
        match = _COUNTER.match(attribute)
        if match:
            start = datetime.strptime(match[2], _BUCKET_FORMAT).replace(tzinfo=UTC)
            found.setdefault(start, {})[_FIELDS[match[1]]] = int(value)
    return {start: Counts(**fields) for start, fields in found.items()}


def read(handle_name: str) -> dict[datetime, Counts]:
    found = table().get_item(Key=keys.reputation(handle_name), ConsistentRead=True).get("Item")
    return buckets_of(found)


def forget(handle_name: str, buckets: Iterable[datetime]) -> None:
    """Remove buckets that have left the window (removing one already gone changes nothing)."""
    names = {
        f"#n{n}": _name(field, bucket)
        for n, (field, bucket) in enumerate((f, b) for b in buckets for f in _FIELDS)
    }
    if names:
        table().update_item(
            Key=keys.reputation(handle_name),
            UpdateExpression=f"REMOVE {', '.join(names)}",
            ExpressionAttributeNames=names,
        )


def restart(handle_name: str) -> None:
    """Start the counts again from nothing (a concurrent batch's count may be lost with them)."""
    table().put_item(Item=ReputationItem(**keys.reputation(handle_name)).to_item())
