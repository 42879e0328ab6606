"""Delayed rules (LEAD_CAPTURED_DELAYED): the one EventBridge Scheduler schedule a rule gets
per campaign event, and, when it fires, whether the rule (as it is now) still makes a message.

The schedule's name is derived from (rule, event), so a repeated job makes no second one; the
SCHEDULED run is recorded first, since it keeps the event whose lead the fired job renders."""

from __future__ import annotations

import hashlib
from datetime import timedelta

from tenx_email import clock
from tenx_email.adapters import scheduler
from tenx_email.campaign_models import (
    CampaignEvent,
    EmailRule,
    RuleRun,
    RuleRunOutcome,
    RuleTrigger,
)
from tenx_email.dal import triggers as store
from tenx_email.services.trigger_jobs import DelayedRuleJob
from tenx_email.settings import trigger_settings

# A schedule must lie in the future: a job processed after its fire time fires a minute later.
_MINIMUM_LEAD_TIME = timedelta(minutes=1)


def schedule_name(rule_id: str, event_id: str) -> str:
    """Deterministic per (rule, event), within Scheduler's 64-character limit."""
    return "cer-" + hashlib.sha256(f"{rule_id}|{event_id}".encode()).hexdigest()[:48]


def schedule(rule: EmailRule, event: CampaignEvent) -> None:
    """Give the rule its one-time schedule for the event, due the rule's delay after it, its
    SCHEDULED run recorded first."""
    settings = trigger_settings()
    if not (
        settings.schedule_group_name
        and settings.trigger_jobs_queue_arn
        and settings.trigger_jobs_dlq_arn
        and settings.scheduler_role_arn
    ):
        raise RuntimeError("delayed rules need the schedule group, queue, DLQ and role settings")
    # The run first: it keeps the event (its lead snapshot) that the schedule's job renders,
    # so the event is stored before any schedule can fire.
    store.record_run(
        RuleRun(
            handle=event.handle,
            campaign_id=event.campaign_id,
            rule_id=rule.rule_id,
            event_id=event.event_id,
            outcome=RuleRunOutcome.SCHEDULED,
            rule_version=rule.version,
            at=clock.now(),
        ),
        event,
    )
    due = event.occurred_at + timedelta(minutes=rule.delay_minutes or 0)
    fire_at = max(due, clock.now() + _MINIMUM_LEAD_TIME)
    scheduler.create_one_time(
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


def delayed_rule_skip_reason(rule: EmailRule | None) -> str | None:
    """Why a delayed rule whose schedule fired makes no message (the rule as it is now)."""
    if rule is None or rule.deleted:
        return "the rule was deleted before its delay ran out"
    if not rule.enabled:
        return "the rule was disabled before its delay ran out"
    if rule.trigger is not RuleTrigger.LEAD_CAPTURED_DELAYED:
        return f"the rule's trigger changed to {rule.trigger.value}"
    return None
