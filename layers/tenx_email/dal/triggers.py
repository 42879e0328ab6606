"""Campaign trigger jobs: leads, the rules an event meets, rule messages and rule runs.

The trigger Lambda works on a whole SQS batch at once: what its jobs read is read together
(`read_together`) and the leads they capture are written together (`put_leads`)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from tenx_email import keys
from tenx_email.campaign_models import (
    CampaignEvent,
    CampaignSettings,
    ContactPacing,
    EmailRule,
    Lead,
    RuleRun,
    RuleRunOutcome,
)
from tenx_email.dal.campaign_items import (
    CampaignEventKeyItem,
    CampaignSettingsItem,
    ContactPacingItem,
    EmailRuleItem,
    LeadItem,
    RuleRunItem,
)
from tenx_email.dal.identity_items import SenderItem
from tenx_email.dal.items import HandleItem
from tenx_email.dal.message_items import MessageItem, QuotaItem, UsageItem
from tenx_email.dal.queries import ItemKey, Page, item_key, items_by_key, query_page
from tenx_email.dal.table import conditional, put_all, put_new, table
from tenx_email.dal.template_items import TemplateItem
from tenx_email.identity_models import Sender
from tenx_email.message_models import DeliveryEvent, Message
from tenx_email.models import Handle
from tenx_email.template_models import Template


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


def put_event_key(
    handle_name: str, idempotency_key: str, event: CampaignEvent, request_hash: str, expires_at: int
) -> CampaignEventKeyItem | None:
    """Keep the event made under an idempotency key (PK=HANDLE#h,
    SK=EVTKEY#campaign#key) unless the key already names one: then that one is returned."""
    item = CampaignEventKeyItem(
        **keys.campaign_event_key(handle_name, event.campaign_id, idempotency_key),
        event=event,
        request_hash=request_hash,
        expires_at=expires_at,
    )
    key = keys.campaign_event_key(handle_name, event.campaign_id, idempotency_key)
    while not put_new(item.to_item()):
        found = table().get_item(Key=key, ConsistentRead=True).get("Item")
        if found is not None:  # else it expired between the two: put ours again
            return CampaignEventKeyItem.from_item(found)
    return None


def put_leads(leads: Iterable[tuple[str, str, Lead, datetime]]) -> None:
    """Store leads (handle, campaign id, lead, captured at; SK=LEAD#campaign#lead) with
    BatchWriteItem, 25 puts a call. Plain puts, safe to repeat: of two puts of one key the
    later one is kept."""
    items: dict[ItemKey, dict[str, Any]] = {}
    for handle_name, campaign_id, lead, captured_at in leads:
        item = _lead_item(handle_name, campaign_id, lead, captured_at)
        items[item_key(item)] = item
    put_all(list(items.values()))


# --- what a batch of jobs reads at once ----------------------------------------------------


@dataclass
class Wanted:
    """Items a batch of trigger jobs needs, by their ids."""

    campaigns: set[tuple[str, str]] = field(default_factory=set)  # (handle, campaign)
    leads: set[tuple[str, str, str]] = field(default_factory=set)  # (handle, campaign, lead)
    # A delayed rule's SCHEDULED run, which keeps its campaign event: (handle, rule, event)
    scheduled: set[tuple[str, str, str]] = field(default_factory=set)
    rules: set[tuple[str, str, str]] = field(default_factory=set)  # (handle, campaign, rule)
    senders: set[tuple[str, str]] = field(default_factory=set)  # (handle, sender)
    templates: set[tuple[str, str]] = field(default_factory=set)  # (handle, template)
    quotas: set[tuple[str, str]] = field(default_factory=set)  # (handle, day): limit, usage
    settings: set[tuple[str, str]] = field(default_factory=set)  # (handle, campaign)
    pacing: set[tuple[str, str, str]] = field(default_factory=set)  # (handle, campaign, lead)


_WANTED_KINDS = (
    "campaigns",
    "leads",
    "scheduled",
    "rules",
    "senders",
    "templates",
    "quotas",
    "settings",
    "pacing",
)


@dataclass
class Found:
    """What `read_together` found; a missing id has no entry."""

    campaigns: set[tuple[str, str]] = field(default_factory=set)
    sequenced: set[tuple[str, str]] = field(default_factory=set)  # campaigns with sequences
    leads: dict[tuple[str, str, str], Lead] = field(default_factory=dict)
    # The campaign events kept by SCHEDULED runs, by (handle, rule, event), and the runs that
    # moved on since (a schedule that fired before)
    scheduled: dict[tuple[str, str, str], CampaignEvent] = field(default_factory=dict)
    settled: set[tuple[str, str, str]] = field(default_factory=set)
    rules: dict[tuple[str, str, str], EmailRule] = field(default_factory=dict)
    senders: dict[tuple[str, str], Sender] = field(default_factory=dict)
    templates: dict[tuple[str, str], Template] = field(default_factory=dict)
    daily_limits: dict[str, int] = field(default_factory=dict)  # by handle
    # The handles whose messages the batch makes (read with their quotas): their shards.
    handles: dict[str, Handle] = field(default_factory=dict)
    used: dict[tuple[str, str], int] = field(default_factory=dict)  # by (handle, day)
    settings: dict[tuple[str, str], CampaignSettings] = field(default_factory=dict)
    pacing: dict[tuple[str, str, str], ContactPacing] = field(default_factory=dict)
    # Everything asked for so far, found or not (so a second read asks only for the rest).
    asked: Wanted = field(default_factory=Wanted)

    def missing(self, wanted: Wanted) -> Wanted:
        """Of `wanted`, what was not asked for yet."""
        return Wanted(
            **{kind: getattr(wanted, kind) - getattr(self.asked, kind) for kind in _WANTED_KINDS}
        )

    def merge(self, other: Found) -> None:
        self.campaigns |= other.campaigns
        self.sequenced |= other.sequenced
        self.leads.update(other.leads)
        self.scheduled.update(other.scheduled)
        self.settled |= other.settled
        self.rules.update(other.rules)
        self.senders.update(other.senders)
        self.templates.update(other.templates)
        self.daily_limits.update(other.daily_limits)
        self.handles.update(other.handles)
        self.used.update(other.used)
        self.settings.update(other.settings)
        self.pacing.update(other.pacing)
        for kind in _WANTED_KINDS:
            getattr(self.asked, kind).update(getattr(other.asked, kind))


def read_together(wanted: Wanted) -> Found:
    """A batch's campaigns (bus events), leads (bus conversions), SCHEDULED runs with their
    kept events and rules (delayed rules' schedules), senders and templates (the rules that
    make messages) and their handles, quotas and the day's usage, campaign settings and what
    the campaigns lately sent their leads, in one consistent BatchGetItem per 100 keys: SK in
    (CAMPAIGN#c, LEAD#c#l, RULERUN#r#e, RULE#c#r, SENDER#s, TEMPLATE#t, QUOTA, HANDLE,
    USAGE#day, CAMPAIGN#c#SETTINGS, PACING#c#l) under each PK=HANDLE#h."""
    found = Found(asked=wanted)
    requests: list[tuple[str, tuple[str, ...], keys.Key]] = [
        *(("campaign", ids, keys.campaign(*ids)) for ids in wanted.campaigns),
        *(("lead", ids, keys.lead(*ids)) for ids in wanted.leads),
        *(("scheduled", ids, keys.rule_run(*ids)) for ids in wanted.scheduled),
        *(("rule", ids, keys.rule(*ids)) for ids in wanted.rules),
        *(("sender", ids, keys.sender(*ids)) for ids in wanted.senders),
        *(("template", ids, keys.template(*ids)) for ids in wanted.templates),
        *(("quota", (handle_name,), keys.quota(handle_name)) for handle_name, _ in wanted.quotas),
        *(("handle", (handle_name,), keys.handle(handle_name)) for handle_name, _ in wanted.quotas),
        *(("usage", ids, keys.usage(*ids)) for ids in wanted.quotas),
        *(("settings", ids, keys.campaign_settings(*ids)) for ids in wanted.settings),
        *(("pacing", ids, keys.contact_pacing(*ids)) for ids in wanted.pacing),
    ]
    items = items_by_key([key for _, _, key in requests])
    for kind, ids, key in requests:
        item = items.get(item_key(key))
        if item is None:
            continue
        if kind == "campaign":
            found.campaigns.add((ids[0], ids[1]))
            if item.get("sequenceCount", 0) > 0:
                found.sequenced.add((ids[0], ids[1]))
        elif kind == "lead":
            found.leads[(ids[0], ids[1], ids[2])] = LeadItem.from_item(item).lead
        elif kind == "scheduled":
            run = RuleRunItem.from_item(item)
            if run.outcome is not RuleRunOutcome.SCHEDULED:
                found.settled.add((ids[0], ids[1], ids[2]))
            elif run.event is not None:
                found.scheduled[(ids[0], ids[1], ids[2])] = run.event
        elif kind == "rule":
            found.rules[(ids[0], ids[1], ids[2])] = EmailRuleItem.from_item(item).to_domain()
        elif kind == "sender":
            found.senders[(ids[0], ids[1])] = SenderItem.from_item(item).to_domain()
        elif kind == "template":
            found.templates[(ids[0], ids[1])] = TemplateItem.from_item(item).to_domain()
        elif kind == "quota":
            found.daily_limits[ids[0]] = QuotaItem.from_item(item).daily_limit
        elif kind == "handle":
            found.handles[ids[0]] = HandleItem.from_item(item).to_domain()
        elif kind == "settings":
            found.settings[(ids[0], ids[1])] = CampaignSettingsItem.from_item(item).to_domain()
        elif kind == "pacing":
            found.pacing[(ids[0], ids[1], ids[2])] = ContactPacingItem.from_item(item).to_domain()
        else:
            found.used[(ids[0], ids[1])] = UsageItem.from_item(item).used
    return found


# --- rule messages and runs ----------------------------------------------------------------


@dataclass(frozen=True)
class RuleMessage:
    """A rule's message for an event, as it is stored: the message and its QUEUED event."""

    message: Message
    queued: DeliveryEvent


def store_rule_messages(made: Sequence[RuleMessage]) -> None:
    """Store rule messages, each with its QUEUED event on its timeline: one conditional
    PutItem each (message ids derive from (rule, event), so a repeated job finds its message
    there and leaves it). What follows from a stored message, its MESSAGE_CREATED run and its
    charge to the day's usage, the event projection writes when it sees the message."""
    for one in made:
        put_new(MessageItem.from_domain(one.message, [one.queued]).to_item())


# A run moves on only from SCHEDULED (or is new): a repeated job never overwrites what a rule did.
_NEW_OR_SCHEDULED: dict[str, Any] = {
    "ConditionExpression": "attribute_not_exists(PK) OR outcome = :scheduled",
    "ExpressionAttributeValues": {":scheduled": RuleRunOutcome.SCHEDULED.value},
}


def record_run(run: RuleRun, event: CampaignEvent | None = None) -> bool:
    """Record what a rule did with an event (a SCHEDULED run keeps `event` for its schedule's
    job; it is recorded only as the run's first record). Returns whether it was recorded."""
    if run.outcome is RuleRunOutcome.SCHEDULED:
        return _put_run(run, event, {"ConditionExpression": "attribute_not_exists(PK)"})
    return _put_run(run, event, _NEW_OR_SCHEDULED)


def record_deferral(run: RuleRun, event: CampaignEvent) -> bool:
    """Record a SCHEDULED run (keeping `event`) for a rule message the campaign's settings
    deferred: over a run still SCHEDULED too (a delayed rule deferred on firing)."""
    return _put_run(run, event, _NEW_OR_SCHEDULED)


def _put_run(run: RuleRun, event: CampaignEvent | None, condition: dict[str, Any]) -> bool:
    item = RuleRunItem.from_domain(run, event).to_item()
    return conditional(lambda: table().put_item(Item=item, **condition))


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
