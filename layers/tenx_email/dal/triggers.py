"""Campaign trigger jobs: leads, the rules an event meets, rule messages and rule runs.

The trigger Lambda works on a whole SQS batch at once: what its jobs read is read together
(`read_together`), the leads and kept events they write are written together
(`put_leads_and_events`), and the rule messages of one handle are stored together
(`accept_rule_messages`)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from botocore.exceptions import ClientError

from tenx_email import keys
from tenx_email.dal.items import (
    CampaignEventItem,
    EmailRuleItem,
    LeadItem,
    MessageItem,
    QuotaItem,
    RuleRunItem,
    SenderItem,
    TemplateItem,
)
from tenx_email.dal.messages import UsageCharge, charge_usage, put_new
from tenx_email.dal.queries import ItemKey, Page, item_key, items_by_key, query_page
from tenx_email.dal.table import put_all, table, transact
from tenx_email.models import (
    CampaignEvent,
    DeliveryEvent,
    EmailRule,
    Lead,
    Message,
    RuleRun,
    RuleRunOutcome,
    Sender,
    Template,
)

# DynamoDB's limit of 100 actions per transaction: a rule message is two puts (message,
# run); the day's usage is one more.
MESSAGES_PER_TRANSACTION = 49
_TRANSACTION_ATTEMPTS = 3
_FAILED = "ConditionalCheckFailed"


def put_lead(handle_name: str, campaign_id: str, lead: Lead, captured_at: datetime) -> None:
    """Store the latest snapshot of a campaign's lead (PK=HANDLE#h, SK=LEAD#campaign#lead)."""
    table().put_item(Item=_lead_item(handle_name, campaign_id, lead, captured_at))


def _lead_item(
    handle_name: str, campaign_id: str, lead: Lead, captured_at: datetime
) -> dict[str, Any]:
    return LeadItem(
        **keys.lead(handle_name, campaign_id, lead.lead_id),
        handle=handle_name,
        campaign_id=campaign_id,
        lead=lead,
        captured_at=captured_at,
    ).to_item()


def get_lead(handle_name: str, campaign_id: str, lead_id: str) -> Lead | None:
    """A lead captured on a campaign."""
    found = table().get_item(Key=keys.lead(handle_name, campaign_id, lead_id), ConsistentRead=True)
    item = found.get("Item")
    return LeadItem.from_item(item).lead if item else None


def _event_item(event: CampaignEvent, keep_until: datetime) -> dict[str, Any]:
    return CampaignEventItem(
        **keys.campaign_event(event.handle, event.campaign_id, event.event_id),
        event=event,
        expires_at=int(keep_until.timestamp()),
    ).to_item()


def put_leads_and_events(
    leads: Iterable[tuple[str, str, Lead, datetime]],
    events: Iterable[tuple[CampaignEvent, datetime]],
) -> None:
    """Store leads (handle, campaign id, lead, captured at; SK=LEAD#campaign#lead) and keep
    campaign events until a time (SK=CEVT#campaign#event), with BatchWriteItem, 25 puts a
    call. Plain puts, safe to repeat: of two puts of one key the later one is kept."""
    items: dict[ItemKey, dict[str, Any]] = {}
    for handle_name, campaign_id, lead, captured_at in leads:
        item = _lead_item(handle_name, campaign_id, lead, captured_at)
        items[item_key(item)] = item
    for event, keep_until in events:
        item = _event_item(event, keep_until)
        items[item_key(item)] = item
    put_all(list(items.values()))


# --- what a batch of jobs reads at once ----------------------------------------------------


@dataclass
class Wanted:
    """Items a batch of trigger jobs needs, by their ids."""

    campaigns: set[tuple[str, str]] = field(default_factory=set)  # (handle, campaign)
    leads: set[tuple[str, str, str]] = field(default_factory=set)  # (handle, campaign, lead)
    events: set[tuple[str, str, str]] = field(default_factory=set)  # (handle, campaign, event)
    rules: set[tuple[str, str, str]] = field(default_factory=set)  # (handle, campaign, rule)
    senders: set[tuple[str, str]] = field(default_factory=set)  # (handle, sender)
    templates: set[tuple[str, str]] = field(default_factory=set)  # (handle, template)
    quotas: set[str] = field(default_factory=set)  # handles


@dataclass
class Found:
    """What `read_together` found; a missing id has no entry."""

    campaigns: set[tuple[str, str]] = field(default_factory=set)
    leads: dict[tuple[str, str, str], Lead] = field(default_factory=dict)
    events: dict[tuple[str, str, str], CampaignEvent] = field(default_factory=dict)
    rules: dict[tuple[str, str, str], EmailRule] = field(default_factory=dict)
    senders: dict[tuple[str, str], Sender] = field(default_factory=dict)
    templates: dict[tuple[str, str], Template] = field(default_factory=dict)
    daily_limits: dict[str, int] = field(default_factory=dict)
    # Everything asked for so far, found or not (so a second read asks only for the rest).
    asked: Wanted = field(default_factory=Wanted)

    def missing(self, wanted: Wanted) -> Wanted:
        """Of `wanted`, what was not asked for yet."""
        asked = self.asked
        return Wanted(
            campaigns=wanted.campaigns - asked.campaigns,
            leads=wanted.leads - asked.leads,
            events=wanted.events - asked.events,
            rules=wanted.rules - asked.rules,
            senders=wanted.senders - asked.senders,
            templates=wanted.templates - asked.templates,
            quotas=wanted.quotas - asked.quotas,
        )

    def merge(self, other: Found) -> None:
        self.campaigns |= other.campaigns
        self.leads.update(other.leads)
        self.events.update(other.events)
        self.rules.update(other.rules)
        self.senders.update(other.senders)
        self.templates.update(other.templates)
        self.daily_limits.update(other.daily_limits)
        for name in ("campaigns", "leads", "events", "rules", "senders", "templates", "quotas"):
            getattr(self.asked, name).update(getattr(other.asked, name))


def read_together(wanted: Wanted) -> Found:
    """A batch's campaigns (bus events), leads (bus conversions), kept events and rules
    (delayed rules' schedules), senders and templates (the rules that make messages) and
    quotas, in one consistent BatchGetItem per 100 keys: SK in (CAMPAIGN#c, LEAD#c#l,
    CEVT#c#e, RULE#c#r, SENDER#s, TEMPLATE#t, QUOTA) under each PK=HANDLE#h."""
    found = Found(asked=wanted)
    requests: list[tuple[str, tuple[str, ...], keys.Key]] = [
        *(("campaign", ids, keys.campaign(*ids)) for ids in wanted.campaigns),
        *(("lead", ids, keys.lead(*ids)) for ids in wanted.leads),
        *(("event", ids, keys.campaign_event(*ids)) for ids in wanted.events),
        *(("rule", ids, keys.rule(*ids)) for ids in wanted.rules),
        *(("sender", ids, keys.sender(*ids)) for ids in wanted.senders),
        *(("template", ids, keys.template(*ids)) for ids in wanted.templates),
        *(("quota", (handle_name,), keys.quota(handle_name)) for handle_name in wanted.quotas),
    ]
    items = items_by_key([key for _, _, key in requests])
    for kind, ids, key in requests:
        item = items.get(item_key(key))
        if item is None:
            continue
        if kind == "campaign":
            found.campaigns.add((ids[0], ids[1]))
        elif kind == "lead":
            found.leads[(ids[0], ids[1], ids[2])] = LeadItem.from_item(item).lead
        elif kind == "event":
            found.events[(ids[0], ids[1], ids[2])] = CampaignEventItem.from_item(item).event
        elif kind == "rule":
            found.rules[(ids[0], ids[1], ids[2])] = EmailRuleItem.from_item(item).to_domain()
        elif kind == "sender":
            found.senders[(ids[0], ids[1])] = SenderItem.from_item(item).to_domain()
        elif kind == "template":
            found.templates[(ids[0], ids[1])] = TemplateItem.from_item(item).to_domain()
        else:
            found.daily_limits[ids[0]] = QuotaItem.from_item(item).daily_limit
    return found


# --- rule messages and runs ----------------------------------------------------------------


@dataclass(frozen=True)
class RuleMessage:
    """A rule's message for an event, as it is stored: the message, its QUEUED event and the
    MESSAGE_CREATED run."""

    message: Message
    queued: DeliveryEvent
    run: RuleRun


@dataclass(frozen=True)
class Usage:
    """The day a handle's rule messages count against, and its limit."""

    day: str
    daily_limit: int
    expires_at: int


class Accepted(StrEnum):
    STORED = "stored"
    ALREADY_CREATED = "already_created"  # a repeated job: the (rule, event) message exists
    QUOTA_EXHAUSTED = "quota_exhausted"


def accept_rule_messages(made: Sequence[RuleMessage], usage: Usage) -> dict[str, Accepted]:
    """Store one handle's rule messages (at most MESSAGES_PER_TRANSACTION), each with its
    QUEUED event on its timeline and its rule run, and charge them to the day's usage, in one
    transaction: a message is stored with its event, run and charge or not at all. Message
    ids derive from (rule, event), so a repeat finds its message (ALREADY_CREATED). When the
    day has no room for them all, they are stored one at a time until it is full
    (QUOTA_EXHAUSTED after)."""
    if len(made) > MESSAGES_PER_TRANSACTION:
        raise ValueError("too many rule messages for one transaction")
    outcome: dict[str, Accepted] = {}
    pending = list(made)
    conflicts = 0
    while pending:
        recipients = sum(len(one.message.recipients) for one in pending)
        # The usage condition lets any charge through on a day without usage yet, so a charge
        # larger than the whole limit is never tried: one message at a time instead (and a
        # limit of 0 stops every rule message).
        if usage.daily_limit < recipients:
            return outcome | _one_at_a_time(pending, usage)
        items = [
            entry
            for one in pending
            for entry in (
                put_new(MessageItem.from_domain(one.message, [one.queued]).to_item()),
                {
                    "Put": {
                        "TableName": table().name,
                        "Item": RuleRunItem.from_domain(one.run).to_item(),
                    }
                },
            )
        ]
        handle_name = pending[0].message.handle
        charge = UsageCharge(
            day=usage.day,
            recipients=recipients,
            daily_limit=usage.daily_limit,
            expires_at=usage.expires_at,
        )
        items.append(charge_usage(handle_name, charge))
        reasons = transact(items)
        if not reasons:
            outcome.update({one.message.message_id: Accepted.STORED for one in pending})
            return outcome
        reasons += ["None"] * (len(items) - len(reasons))
        taken = {
            one.message.message_id
            for position, one in enumerate(pending)
            if reasons[2 * position] == _FAILED
        }
        if taken:  # stored before: the rest again, without them
            outcome.update(dict.fromkeys(taken, Accepted.ALREADY_CREATED))
            pending = [one for one in pending if one.message.message_id not in taken]
        elif reasons[-1] == _FAILED:  # the day is full for them all
            return outcome | _one_at_a_time(pending, usage)
        elif "TransactionConflict" in reasons and conflicts < _TRANSACTION_ATTEMPTS - 1:
            conflicts += 1
        else:
            raise RuntimeError(f"rule message write cancelled: {reasons}")
    return outcome


def _one_at_a_time(pending: Sequence[RuleMessage], usage: Usage) -> dict[str, Accepted]:
    """Messages the day has no room for together: each on its own, until it is full."""
    if len(pending) == 1:
        return {pending[0].message.message_id: Accepted.QUOTA_EXHAUSTED}
    outcome: dict[str, Accepted] = {}
    for one in pending:
        outcome.update(accept_rule_messages([one], usage))
    return outcome


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
