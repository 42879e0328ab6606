"""Campaign trigger jobs: lead captures and conversions meet a campaign's email rules.

A campaign event arrives on the trigger-jobs queue, from the HTTP test routes or from the
campaign-events bus (README, "Campaign events"). For each rule that was enabled and already
existed when the event happened (no retroactive sends): LEAD_CAPTURED and CONVERSION rules
make a message now; LEAD_CAPTURED_DELAYED rules get one EventBridge Scheduler schedule, whose
job comes back through the same queue and re-reads the rule before making the message.

Everything is safe to repeat: the message id is derived from (rule, event), the schedule name
likewise, and a rule run is recorded per (rule, event).
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timedelta
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator
from pydantic.alias_generators import to_camel

from tenx_email import clock, ids
from tenx_email.adapters import queues, scheduler
from tenx_email.dal import messages as message_store
from tenx_email.dal import rules as rule_store
from tenx_email.dal import triggers as store
from tenx_email.dal.queries import Page
from tenx_email.errors import (
    CampaignEventQueueUnavailable,
    LeadNotFound,
    RenderedSubjectUnsafe,
)
from tenx_email.models import (
    CampaignEvent,
    CampaignEventType,
    DeliveryEvent,
    EmailRule,
    EventType,
    HandleAccess,
    Lead,
    Message,
    MessageStatus,
    Purpose,
    Recipient,
    RuleRun,
    RuleRunOutcome,
    RuleTrigger,
    TemplateStatus,
)
from tenx_email.observability import logger
from tenx_email.rendering import has_header_breakers, render
from tenx_email.resources import CAMPAIGN_EVENT_DETAIL_TYPES, CAMPAIGN_EVENT_SOURCE
from tenx_email.services.campaigns import require_campaign
from tenx_email.services.rules import require_rule
from tenx_email.services.senders import EMAIL_ADDRESS
from tenx_email.services.sending import DEFAULT_DAILY_LIMIT
from tenx_email.settings import delivery_settings, trigger_settings

_TRIGGERS_FOR = {
    CampaignEventType.LEAD_CAPTURED: {RuleTrigger.LEAD_CAPTURED, RuleTrigger.LEAD_CAPTURED_DELAYED},
    CampaignEventType.CONVERSION: {RuleTrigger.CONVERSION},
}
# A schedule must lie in the future: a job processed after its fire time fires a minute later.
_MINIMUM_LEAD_TIME = timedelta(minutes=1)
# Longer than the longest delay (30 days) plus the Scheduler's retries (a day).
_EVENT_RETENTION = timedelta(days=32)


# --- the lead snapshot, as the HTTP routes and the bus deliver it ---------------------------

SafeKey = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_.-]{1,64}$")]
ShortValue = Annotated[str, StringConstraints(max_length=200)]


class LeadSnapshot(BaseModel):
    """A lead as a campaign event carries it (unknown fields refused)."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid")

    lead_id: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{1,64}$")] | None = None
    email: Annotated[str, StringConstraints(max_length=254)]
    name: ShortValue | None = None
    first_name: ShortValue | None = None
    phone: Annotated[str, StringConstraints(max_length=40)] | None = None
    company: ShortValue | None = None
    service: ShortValue | None = None
    message: Annotated[str, StringConstraints(max_length=2000)] | None = None
    source: ShortValue | None = None
    fields: Annotated[
        dict[SafeKey, Annotated[str, StringConstraints(max_length=1000)]], Field(max_length=50)
    ] = {}

    @field_validator("email")
    @classmethod
    def _plain_address(cls, email: str) -> str:
        if has_header_breakers(email) or not EMAIL_ADDRESS.fullmatch(email):
            raise ValueError("must be one plain email address")
        return email

    def lead(self, default_id: str) -> Lead:
        return Lead(**self.model_dump(exclude={"lead_id"}), lead_id=self.lead_id or default_id)


# --- publishing events (HTTP test routes) ------------------------------------------------


def capture_lead(access: HandleAccess, campaign_id: str, snapshot: LeadSnapshot) -> CampaignEvent:
    handle = access.handle.handle
    require_campaign(handle, campaign_id)
    now = clock.now()
    lead = snapshot.lead(default_id=f"lead_{ids.ulid(now).lower()}")
    store.put_lead(handle, campaign_id, lead, now)
    return _publish(handle, campaign_id, CampaignEventType.LEAD_CAPTURED, lead, now)


def record_conversion(access: HandleAccess, campaign_id: str, lead_id: str) -> CampaignEvent:
    handle = access.handle.handle
    require_campaign(handle, campaign_id)
    lead = store.get_lead(handle, campaign_id, lead_id)
    if lead is None:
        raise LeadNotFound(f"lead {lead_id} was not captured on campaign {campaign_id}")
    return _publish(handle, campaign_id, CampaignEventType.CONVERSION, lead, clock.now())


def _publish(
    handle: str, campaign_id: str, kind: CampaignEventType, lead: Lead, now: datetime
) -> CampaignEvent:
    event = CampaignEvent(
        handle=handle,
        campaign_id=campaign_id,
        event_id=f"evt_{ids.ulid(now).lower()}",
        type=kind,
        lead=lead,
        occurred_at=now,
    )
    queue_url = trigger_settings().trigger_jobs_queue_url
    if not queue_url:
        raise CampaignEventQueueUnavailable("no trigger-jobs queue is configured here")
    try:
        queues.enqueue_job(
            queue_url, {"kind": "campaign-event", "event": event.model_dump(mode="json")}
        )
    except queues.QueueUnavailable as error:
        raise CampaignEventQueueUnavailable("the trigger-jobs queue is unavailable") from error
    return event


# --- processing (the trigger Lambda) ------------------------------------------------------


def lead_variables(lead: Lead, mappings: dict[str, str]) -> dict[str, str]:
    """The default variables from the lead snapshot, then the rule's mappings: a value
    `fields.x` reads custom field x, any other value a top-level lead field. Missing -> ""."""
    first_name = lead.first_name or ((lead.name or "").split() or [""])[0]
    values = {
        "leadId": lead.lead_id,
        "email": lead.email,
        "name": lead.name or "",
        "firstName": first_name,
        "phone": lead.phone or "",
        "company": lead.company or "",
        "service": lead.service or "",
        "message": lead.message or "",
        "source": lead.source or "",
    }
    for variable, source in mappings.items():
        if source.startswith("fields."):
            values[variable] = lead.fields.get(source.removeprefix("fields."), "")
        else:
            values[variable] = values.get(source, "")
    return values


def process_campaign_event(event: CampaignEvent) -> None:
    wanted = _TRIGGERS_FOR[event.type]
    rules = [
        rule
        for rule in rule_store.list_rules(event.handle, event.campaign_id)
        # Rules made after the event never apply to it: no retroactive sends.
        if not rule.deleted
        and rule.enabled
        and rule.trigger in wanted
        and rule.created_at <= event.occurred_at
    ]
    delayed = [rule for rule in rules if rule.trigger is RuleTrigger.LEAD_CAPTURED_DELAYED]
    if delayed:
        store.put_event(event, keep_until=event.occurred_at + _EVENT_RETENTION)
    for rule in rules:
        if rule.trigger is RuleTrigger.LEAD_CAPTURED_DELAYED:
            _schedule(rule, event)
        else:
            make_rule_message(rule, event)


def schedule_name(rule_id: str, event_id: str) -> str:
    """Deterministic per (rule, event), within Scheduler's 64-character limit."""
    return "cer-" + hashlib.sha256(f"{rule_id}|{event_id}".encode()).hexdigest()[:48]


def _schedule(rule: EmailRule, event: CampaignEvent) -> None:
    settings = trigger_settings()
    if not (
        settings.schedule_group_name
        and settings.trigger_jobs_queue_arn
        and settings.trigger_jobs_dlq_arn
        and settings.scheduler_role_arn
    ):
        raise RuntimeError("delayed rules need the schedule group, queue, DLQ and role settings")
    due = event.occurred_at + timedelta(minutes=rule.delay_minutes or 0)
    fire_at = max(due, clock.now() + _MINIMUM_LEAD_TIME)
    created = scheduler.create_one_time(
        scheduler.ScheduleTarget(
            group=settings.schedule_group_name,
            queue_arn=settings.trigger_jobs_queue_arn,
            dead_letter_arn=settings.trigger_jobs_dlq_arn,
            role_arn=settings.scheduler_role_arn,
        ),
        schedule_name(rule.rule_id, event.event_id),
        fire_at,
        DelayedRuleJob(
            kind="delayed-rule",
            handle=event.handle,
            campaign_id=event.campaign_id,
            event_id=event.event_id,
            rule_id=rule.rule_id,
        ).model_dump(mode="json", by_alias=True),
    )
    store.record_run(
        RuleRun(
            handle=event.handle,
            campaign_id=event.campaign_id,
            rule_id=rule.rule_id,
            event_id=event.event_id,
            outcome=RuleRunOutcome.SCHEDULED,
            rule_version=rule.version,
            reason=None if created else "the schedule already existed",
            at=clock.now(),
        )
    )


def fire_delayed_rule(job: DelayedRuleJob) -> None:
    """A delayed rule's schedule fired: the rule decides again, as it is now, on the event's
    lead snapshot as it was captured."""
    event = store.get_event(job.handle, job.campaign_id, job.event_id)
    if event is None:
        raise InvalidJob("the delayed rule's campaign event is no longer kept")
    rule_id = job.rule_id
    rule = rule_store.get(event.handle, event.campaign_id, rule_id)
    reason = None
    if rule is None or rule.deleted:
        reason = "the rule was deleted before its delay ran out"
    elif not rule.enabled:
        reason = "the rule was disabled before its delay ran out"
    elif rule.trigger is not RuleTrigger.LEAD_CAPTURED_DELAYED:
        reason = f"the rule's trigger changed to {rule.trigger.value}"
    if rule is None or reason is not None:
        _skip(event, rule_id, rule.version if rule else 0, reason or "")
        return
    make_rule_message(rule, event)


def _skip(event: CampaignEvent, rule_id: str, rule_version: int, reason: str) -> None:
    logger.info(
        "rule skipped", extra={"rule_id": rule_id, "event_id": event.event_id, "reason": reason}
    )
    store.record_run(
        RuleRun(
            handle=event.handle,
            campaign_id=event.campaign_id,
            rule_id=rule_id,
            event_id=event.event_id,
            outcome=RuleRunOutcome.SKIPPED,
            rule_version=rule_version,
            reason=reason,
            at=clock.now(),
        )
    )


def make_rule_message(rule: EmailRule, event: CampaignEvent) -> None:
    """Make and queue the (rule, event) message, once. The sender and domain are checked
    again at delivery, so a sender disabled since the rule was made gives DENIED there."""
    now = clock.now()
    day = now.strftime("%Y-%m-%d")
    context = message_store.read_send_context(
        event.handle, rule.sender_id, rule.template_id, None, [event.lead.email.lower()], day
    )
    sender, template = context.sender, context.template
    if sender is None:
        _skip(event, rule.rule_id, rule.version, f"sender profile {rule.sender_id} does not exist")
        return
    if template is None or template.status is not TemplateStatus.ACTIVE:
        _skip(
            event, rule.rule_id, rule.version, f"template {rule.template_id} is missing or paused"
        )
        return
    variables = lead_variables(event.lead, rule.variable_mappings)
    try:
        subject = render(template.active_subject, None, None, variables).subject
    except RenderedSubjectUnsafe:
        _skip(event, rule.rule_id, rule.version, "the lead's data would break the subject line")
        return
    message_id = (
        f"msg_{ids.ulid(event.occurred_at, seed=f'{rule.rule_id}|{event.event_id}').lower()}"
    )
    message = Message(
        handle=event.handle,
        message_id=message_id,
        status=MessageStatus.QUEUED,
        purpose=Purpose.PRODUCT_NOTIFICATION,
        sender_id=sender.sender_id,
        from_email=f"{sender.display_name} <{sender.from_email}>",
        reply_to=sender.reply_to,
        recipients=(Recipient(email=event.lead.email),),
        subject=subject,
        template_id=template.template_id,
        template_version=template.active_version,
        variables=variables,
        rule_id=rule.rule_id,
        rule_version=rule.version,
        created_at=now,
        updated_at=now,
    )
    daily_limit = context.daily_limit if context.daily_limit is not None else DEFAULT_DAILY_LIMIT
    # Queued before it is stored, as direct sends are: a job that dies after storing would
    # otherwise leave a message no later run queues (its rule may be off by then). A record
    # whose message never gets stored is dropped by delivery.
    queue_url = delivery_settings().delivery_queue_url
    if not queue_url:
        raise RuntimeError("the trigger Lambda needs DELIVERY_QUEUE_URL")
    queues.enqueue_delivery(queue_url, event.handle, message_id)
    try:
        store.accept_rule_message(
            message,
            DeliveryEvent(
                handle=event.handle,
                message_id=message_id,
                event_id=ids.ulid(now),
                type=EventType.QUEUED,
                purpose=message.purpose,
                detail=f"campaign rule {rule.rule_id} v{rule.version}",
                occurred_at=now,
            ),
            RuleRun(
                handle=event.handle,
                campaign_id=event.campaign_id,
                rule_id=rule.rule_id,
                event_id=event.event_id,
                outcome=RuleRunOutcome.MESSAGE_CREATED,
                rule_version=rule.version,
                message_id=message_id,
                at=now,
            ),
            message_store.UsageCharge(
                day=day,
                recipients=1,
                daily_limit=daily_limit,
                expires_at=int((now + timedelta(days=3)).timestamp()),
            ),
        )
    except store.AlreadyCreated:
        pass  # a repeated job: queued again above; delivery sends each recipient once
    except message_store.QuotaExhausted:
        _skip(event, rule.rule_id, rule.version, "the handle's daily quota was used up")


# --- the trigger Lambda's jobs -------------------------------------------------------------


class InvalidJob(Exception):
    """A trigger job that can never succeed; it goes to the trigger-jobs DLQ (and its alarm)."""


class _Job(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid")


class CampaignEventJob(_Job):
    kind: Literal["campaign-event"]
    event: CampaignEvent


class DelayedRuleJob(_Job):
    """What a delayed rule's schedule sends: ids only (Scheduler inputs are small)."""

    kind: Literal["delayed-rule"]
    handle: str
    campaign_id: str
    event_id: str
    rule_id: str


class BusDetail(_Job):
    """The `detail` of a campaign event published on the campaign-events bus (README)."""

    handle: str
    campaign_id: str
    event_id: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{1,64}$")] | None = None
    occurred_at: datetime | None = None
    lead: LeadSnapshot | None = None
    lead_id: str | None = None


BUS_DETAIL_TYPES = dict(
    zip(
        CAMPAIGN_EVENT_DETAIL_TYPES,
        (CampaignEventType.LEAD_CAPTURED, CampaignEventType.CONVERSION),
        strict=True,
    )
)


def _from_bus(envelope: dict[str, Any]) -> CampaignEvent:
    kind = BUS_DETAIL_TYPES.get(str(envelope.get("detail-type")))
    if envelope.get("source") != CAMPAIGN_EVENT_SOURCE or kind is None:
        raise InvalidJob("not a campaign event")
    detail = BusDetail.model_validate(envelope.get("detail"))
    require_campaign(detail.handle, detail.campaign_id)
    # The bus event's own id is stable across redeliveries, so ids derived from it are too.
    event_id = detail.event_id or f"evb_{str(envelope.get('id', ''))[:60]}"
    occurred_at = detail.occurred_at or datetime.fromisoformat(str(envelope["time"]))
    if kind is CampaignEventType.LEAD_CAPTURED:
        if detail.lead is None:
            raise InvalidJob("a LeadCaptured event needs detail.lead")
        default_id = f"lead_{ids.ulid(occurred_at, seed=event_id).lower()}"
        lead = detail.lead.lead(default_id=default_id)
        store.put_lead(detail.handle, detail.campaign_id, lead, occurred_at)
    else:
        found = store.get_lead(detail.handle, detail.campaign_id, detail.lead_id or "")
        if found is None:
            raise InvalidJob("a ConversionRecorded event names a lead never captured")
        lead = found
    return CampaignEvent(
        handle=detail.handle,
        campaign_id=detail.campaign_id,
        event_id=event_id,
        type=kind,
        lead=lead,
        occurred_at=occurred_at,
    )


def run_job(body: str) -> None:
    """One trigger-jobs record: an event from the HTTP routes or the bus, or a delayed rule's
    schedule firing."""
    try:
        data = json.loads(body)
        if isinstance(data, dict) and "detail-type" in data:
            process_campaign_event(_from_bus(data))
        elif isinstance(data, dict) and data.get("kind") == "delayed-rule":
            fire_delayed_rule(DelayedRuleJob.model_validate(data))
        else:
            process_campaign_event(CampaignEventJob.model_validate(data).event)
    except (ValueError, KeyError) as error:  # pydantic's ValidationError is a ValueError
        raise InvalidJob(f"unusable trigger job: {type(error).__name__}") from error


def list_runs(
    access: HandleAccess, campaign_id: str, rule_id: str, limit: int, next_token: str | None
) -> Page[RuleRun]:
    require_rule(access.handle.handle, campaign_id, rule_id)
    return store.list_runs(access.handle.handle, rule_id, limit, next_token)
