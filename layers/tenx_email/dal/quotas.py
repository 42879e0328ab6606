"""A handle's daily sending limit (PK=HANDLE#h, SK=QUOTA) and usage per UTC day
(SK=USAGE#<day>, expiring after a few days), which the event projection charges."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from boto3.dynamodb.conditions import Attr
from boto3.dynamodb.conditions import Key as KeyCondition

from tenx_email import ids, keys
from tenx_email.dal import reputation, sharded
from tenx_email.dal.message_items import QuotaItem, UsageChargeItem, UsageItem, real_sends
from tenx_email.dal.queries import batch_get
from tenx_email.dal.table import once_per_batch, table
from tenx_email.reputation import Counts


def set_limit(handle_name: str, daily_limit: int) -> None:
    """Set the handle's daily limit."""
    item = QuotaItem(**keys.quota(handle_name), daily_limit=daily_limit)
    table().put_item(Item=item.to_item())


@dataclass(frozen=True)
class QuotaReading:
    limit: int | None  # None: the default applies
    used: int  # the day's usage
    reputation: dict[datetime, Counts]  # the handle's reputation counts by bucket


def read(handle_name: str, day: str) -> QuotaReading:
    """The handle's limit, the day's usage and its reputation counts, in one BatchGetItem."""
    wanted = [keys.quota(handle_name), keys.usage(handle_name, day), keys.reputation(handle_name)]
    found = {item["SK"]: item for item in batch_get(wanted)}
    quota, usage, counts = (found.get(key["SK"]) for key in wanted)
    return QuotaReading(
        limit=QuotaItem.from_item(quota).daily_limit if quota else None,
        used=UsageItem.from_item(usage).used if usage else 0,
        reputation=reputation.buckets_of(counts),
    )


def charge(handle_name: str, day: str, recipients: int, batch: str, expires_at: int) -> bool:
    """Add `recipients` to the day's usage for the stream batch `batch` (an id of its
    records), once: the charge and an item naming the batch are written in one transaction,
    which that item's existence cancels. So a retried batch is never charged twice, whatever
    other batches (another stream shard's, concurrently) charged in between. Returns whether
    it charged."""
    marker = UsageChargeItem(**keys.usage_charge(handle_name, day, batch), expires_at=expires_at)
    return once_per_batch(
        marker.to_item(),
        {
            "Key": keys.usage(handle_name, day),
            "UpdateExpression": "ADD used :n SET entity = :entity, expiresAt = :expires",
            "ExpressionAttributeValues": {
                ":n": recipients,
                ":entity": UsageItem.entity_type,
                ":expires": expires_at,
            },
        },
    )


def recipients_stored_on(
    handle_name: str, shards: int, day: str, day_start: datetime, lookback: timedelta
) -> int:
    """Recipients of the handle's messages created on `day` (YYYY-MM-DD, starting at
    `day_start`), counted from the messages themselves in each of its `shards`: SK between
    MSG#msg_<day_start - lookback> and MSG#msg_<day's end>, filter createdAt on the day,
    paged. A message id's time is when it was made, or for a rule message the campaign
    event's, which a delayed rule's message follows by up to `lookback`."""
    first = ids.ulid_time_prefix(day_start - lookback).lower()
    last = ids.ulid_time_prefix(day_start + timedelta(days=1)).lower()
    stored = sharded.every_shard(
        handle_name,
        shards,
        KeyCondition(keys.SK).between(
            f"{keys.MESSAGE_PREFIX}msg_{first}", f"{keys.MESSAGE_PREFIX}msg_{last}"
        ),
        # Test sends are outside the quota.
        filters=Attr("createdAt").begins_with(day) & real_sends(),
        extra={"ProjectionExpression": "recipients", "ConsistentRead": True},
    )
    return sum(len(cast(list[Any], item["recipients"])) for item in stored)


def set_usage(handle_name: str, day: str, used: int, expires_at: int) -> None:
    """Set the day's usage to `used` (an operator's recount); the batches' charge items stay,
    so a batch retried after the recount is not charged again."""
    table().update_item(
        Key=keys.usage(handle_name, day),
        UpdateExpression="SET used = :n, entity = :entity, expiresAt = :expires",
        ExpressionAttributeValues={
            ":n": used,
            ":entity": UsageItem.entity_type,
            ":expires": expires_at,
        },
    )
