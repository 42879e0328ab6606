"""A handle's email counts per UTC hour (PK=HANDLE#h, SK=STATS#H#<YYYYMMDDHH>): one flat number
attribute per count, `<metric>` for all of the handle's mail and `<metric>:<PURPOSE>` for
each purpose's, added to once per stream batch and hour (dal/counters.py). An hour's item is
kept RETENTION past its hour (the table's TTL), which bounds what the stats route may ask."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from boto3.dynamodb.conditions import Key as KeyCondition

from tenx_email import keys
from tenx_email.dal import counters
from tenx_email.dal.items import StoredItem
from tenx_email.dal.queries import query_all

RETENTION = timedelta(days=35)
HOUR_FORMAT = "%Y%m%d%H"


class EmailStatsItem(StoredItem):
    entity_type = "EMAIL_STATS"


class EmailStatsChargeItem(StoredItem):
    entity_type = "EMAIL_STATS_CHARGE"
    expires_at: int


def hour_label(hour: datetime) -> str:
    return hour.astimezone(UTC).strftime(HOUR_FORMAT)


def add(
    handle_name: str, hour: datetime, counts: Mapping[str, int], batch: str, now: datetime
) -> bool:
    """Add `counts` (attribute -> amount) to the hour's item once for the stream batch."""
    label = hour_label(hour)
    marker = EmailStatsChargeItem(
        **keys.email_stats_charge(handle_name, label, batch),
        expires_at=int((now + counters.CHARGE_RETENTION).timestamp()),
    )
    return counters.add_once(
        keys.email_stats(handle_name, label),
        marker.to_item(),
        counts,
        {
            "entity": EmailStatsItem.entity_type,
            "expiresAt": int((hour + RETENTION).timestamp()),
        },
    )


def between(handle_name: str, first: datetime, last: datetime) -> dict[datetime, dict[str, int]]:
    """Each stored hour from `first` to `last` (both hour starts, inclusive): its counts by
    attribute. Hours without mail have no item. Eventually consistent: the counts lag the
    stream anyway."""
    query: dict[str, Any] = {
        "KeyConditionExpression": KeyCondition(keys.PK).eq(keys.email_stats(handle_name, "")["PK"])
        & KeyCondition(keys.SK).between(
            keys.email_stats(handle_name, hour_label(first))["SK"],
            keys.email_stats(handle_name, hour_label(last))["SK"],
        ),
    }
    found: dict[datetime, dict[str, int]] = {}
    for item in query_all(query):
        hour = datetime.strptime(
            str(item[keys.SK]).removeprefix(keys.EMAIL_STATS_PREFIX), HOUR_FORMAT
        ).replace(tzinfo=UTC)
        found[hour] = {
            name: int(value)
            for name, value in item.items()
            if isinstance(value, Decimal) and name != "expiresAt"
        }
    return found
