"""What a campaign lately sent each lead (PK=HANDLE#h, SK=PACING#<campaignId>#<leadId>), kept
while the campaign has a cooldown or a daily cap: services/campaign_pacing.py decides from it,
the trigger batch writes it before it queues the messages it counted."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from tenx_email.campaign_models import ContactPacing
from tenx_email.dal.campaign_items import ContactPacingItem
from tenx_email.dal.table import conditional, table

# The longest cooldown is 30 days; a record untouched for longer can no longer defer anything.
RETENTION = timedelta(days=31)


class ConcurrentChange(Exception):
    """Another batch counted a message for the lead since we read its record."""


def save(records: Iterable[ContactPacing]) -> None:
    """Write each record (its version one more than the version read, 1 for a new one) only
    if it is still at the version read: one conditional PutItem each."""
    for pacing in records:
        if pacing.last_sent_at is None:
            raise ValueError("a pacing record is written only when a message was counted")
        expires_at = int((pacing.last_sent_at + RETENTION).timestamp())
        item = ContactPacingItem.from_domain(pacing, expires_at).to_item()
        seen = pacing.version - 1
        condition: dict[str, Any] = (
            {"ConditionExpression": "attribute_not_exists(PK)"}
            if seen == 0
            else {
                "ConditionExpression": "version = :seen",
                "ExpressionAttributeValues": {":seen": seen},
            }
        )
        if not _put(item, condition):
            raise ConcurrentChange(pacing.lead_id)


def _put(item: dict[str, Any], condition: dict[str, Any]) -> bool:
    return conditional(lambda: table().put_item(Item=item, **condition))
