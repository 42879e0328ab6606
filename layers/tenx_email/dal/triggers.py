"""Campaign trigger jobs: leads, the rules an event meets, rule messages and rule runs."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from tenx_email import keys
from tenx_email.dal.items import (
    CampaignEventItem,
    EventItem,
    LeadItem,
    MessageItem,
    RuleRunItem,
)
from tenx_email.dal.messages import QuotaExhausted, UsageCharge, charge_usage, put_new
from tenx_email.dal.queries import Page, query_page
from tenx_email.dal.table import table, transact
from tenx_email.models import CampaignEvent, DeliveryEvent, Lead, Message, RuleRun, RuleRunOutcome


class AlreadyCreated(Exception):
    """The (rule, event) message exists: a repeated trigger job."""


def put_lead(handle_name: str, campaign_id: str, lead: Lead, captured_at: datetime) -> None:
    """Store the latest snapshot of a campaign's lead (PK=HANDLE#h, SK=LEAD#campaign#lead)."""
    item = LeadItem(
        **keys.lead(handle_name, campaign_id, lead.lead_id),
        handle=handle_name,
        campaign_id=campaign_id,
        lead=lead,
        captured_at=captured_at,
    )
    table().put_item(Item=item.to_item())


def get_lead(handle_name: str, campaign_id: str, lead_id: str) -> Lead | None:
    """A lead captured on a campaign."""
    found = table().get_item(Key=keys.lead(handle_name, campaign_id, lead_id), ConsistentRead=True)
    item = found.get("Item")
    return LeadItem.from_item(item).lead if item else None


def put_event(event: CampaignEvent, keep_until: datetime) -> None:
    """Keep a campaign event (PK=HANDLE#h, SK=CEVT#campaign#event) until `keep_until`."""
    item = CampaignEventItem(
        **keys.campaign_event(event.handle, event.campaign_id, event.event_id),
        event=event,
        expires_at=int(keep_until.timestamp()),
    )
    table().put_item(Item=item.to_item())


def get_event(handle_name: str, campaign_id: str, event_id: str) -> CampaignEvent | None:
    """A kept campaign event."""
    key = keys.campaign_event(handle_name, campaign_id, event_id)
    item = table().get_item(Key=key, ConsistentRead=True).get("Item")
    return CampaignEventItem.from_item(item).event if item else None


def accept_rule_message(
    message: Message, queued: DeliveryEvent, run: RuleRun, usage: UsageCharge
) -> None:
    """Store a rule's message with its QUEUED event, the rule run and the day's usage, all or
    nothing; the message id is derived from (rule, event), so a repeat finds it."""
    reasons = transact(
        [
            put_new(MessageItem.from_domain(message).to_item()),
            put_new(EventItem.from_domain(queued).to_item()),
            {"Put": {"TableName": table().name, "Item": RuleRunItem.from_domain(run).to_item()}},
            charge_usage(message.handle, usage),
        ]
    )
    if reasons and reasons[0] == "ConditionalCheckFailed":
        raise AlreadyCreated(message.message_id)
    if reasons and reasons[3] == "ConditionalCheckFailed":
        raise QuotaExhausted(message.handle)
    if reasons:
        raise RuntimeError(f"rule message write cancelled: {reasons}")


def record_run(run: RuleRun) -> bool:
    """Record what a rule did with an event. A run only moves on from SCHEDULED: a repeated
    job never overwrites what a rule already did. Returns whether it was recorded."""
    condition: dict[str, Any] = {"ConditionExpression": "attribute_not_exists(PK)"}
    if run.outcome is not RuleRunOutcome.SCHEDULED:
        condition = {
            "ConditionExpression": "attribute_not_exists(PK) OR outcome = :scheduled",
            "ExpressionAttributeValues": {":scheduled": RuleRunOutcome.SCHEDULED.value},
        }
    try:
        table().put_item(Item=RuleRunItem.from_domain(run).to_item(), **condition)
    except ClientError as error:
        if error.response["Error"]["Code"] == "ConditionalCheckFailedException":
            return False
        raise
    return True


def list_runs(handle_name: str, rule_id: str, limit: int, next_token: str | None) -> Page[RuleRun]:
    """A rule's runs by event, oldest first (PK=HANDLE#h, SK begins_with RULERUN#rule#)."""
    items, token = query_page(
        index=None,
        partition=(keys.PK, keys.handle(handle_name)["PK"]),
        sort=(keys.SK, keys.rule_runs_prefix(rule_id)),
        since=None,
        newest_first=False,
        limit=limit,
        next_token=next_token,
        exact={},
    )
    return Page([RuleRunItem.from_item(item).to_domain() for item in items], token)
