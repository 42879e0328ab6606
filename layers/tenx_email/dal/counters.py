"""Counters that the event projection adds to once per stream batch: flat number attributes of
one item, created by the ADD itself (so concurrent batches of other stream shards add without
reading), together with a marker item that names the batch and whose existence refuses the
batch's second count however often Lambda retries it (dal/table.py, `once_per_batch`)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from tenx_email import keys
from tenx_email.dal.table import once_per_batch

# A stream batch can be retried while the stream keeps it (24 hours): its marker outlives that.
CHARGE_RETENTION = timedelta(days=2)


def add_once(
    key: keys.Key,
    marker: dict[str, Any],
    counts: Mapping[str, int],
    also_set: Mapping[str, Any],
) -> bool:
    """Add `counts` (attribute -> amount, may be negative) to the item at `key` and set the
    attributes `also_set`, unless the marker exists; whether it added."""
    names: dict[str, str] = {}
    values: dict[str, Any] = {}
    adds, sets = [], []
    for n, (attribute, amount) in enumerate(sorted(counts.items())):
        names[f"#c{n}"], values[f":c{n}"] = attribute, amount
        adds.append(f"#c{n} :c{n}")
    for n, (attribute, value) in enumerate(sorted(also_set.items())):
        names[f"#s{n}"], values[f":s{n}"] = attribute, value
        sets.append(f"#s{n} = :s{n}")
    expression = f"ADD {', '.join(adds)}" + (f" SET {', '.join(sets)}" if sets else "")
    return once_per_batch(
        marker,
        {
            "Key": key,
            "UpdateExpression": expression,
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": values,
        },
    )
