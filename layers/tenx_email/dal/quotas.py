"""A handle's daily sending limit (PK=HANDLE#h, SK=QUOTA) and usage per UTC day
(SK=USAGE#<day>, expiring after a few days), which the event projection charges."""

from __future__ import annotations

from tenx_email import keys
from tenx_email.dal.items import QuotaItem, UsageItem
from tenx_email.dal.queries import batch_get
from tenx_email.dal.table import conditional, table


def set_limit(handle_name: str, daily_limit: int) -> None:
    """Set the handle's daily limit."""
    item = QuotaItem(**keys.quota(handle_name), daily_limit=daily_limit)
    table().put_item(Item=item.to_item())


def read(handle_name: str, day: str) -> tuple[int | None, int]:
    """The handle's limit (None: the default applies) and the day's usage, in one BatchGetItem."""
    found = {
        item["SK"]: item
        for item in batch_get([keys.quota(handle_name), keys.usage(handle_name, day)])
    }
    quota = found.get(keys.quota(handle_name)["SK"])
    usage = found.get(keys.usage(handle_name, day)["SK"])
    return (
        QuotaItem.from_item(quota).daily_limit if quota else None,
        UsageItem.from_item(usage).used if usage else 0,
    )


def charge(handle_name: str, day: str, recipients: int, batch: str, expires_at: int) -> bool:
    """Add `recipients` to the day's usage for the stream batch `batch` (an id of its
    records), unless that batch was the last to charge it: a retried batch is charged once.
    Returns whether it charged."""
    return conditional(
        lambda: table().update_item(
            Key=keys.usage(handle_name, day),
            UpdateExpression=(
                "ADD used :n SET entity = :entity, expiresAt = :expires, chargedBy = :batch"
            ),
            ConditionExpression="attribute_not_exists(chargedBy) OR chargedBy <> :batch",
            ExpressionAttributeValues={
                ":n": recipients,
                ":entity": UsageItem.entity_type,
                ":expires": expires_at,
                ":batch": batch,
            },
        )
    )
