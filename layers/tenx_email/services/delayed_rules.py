"""Rules' one-time EventBridge Scheduler schedules: the one a delayed rule
(LEAD_CAPTURED_DELAYED) gets per campaign event, and the one a rule message the campaign's
settings deferred gets (services/campaign_pacing.py); and, when one fires, whether the rule
(as it is now) still makes a message.

A schedule's name is derived from (rule, event) (and a deferral's moment), so a repeated job
makes no second one; the SCHEDULED run is recorded first, since it keeps the event whose lead
the fired job renders."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

from tenx_email import clock
from tenx_email.campaign_models import (
    CampaignEvent,
    EmailRule,
    RuleRun,
    RuleRunOutcome,
    RuleTrigger,
)
from tenx_email.dal import triggers as store
from tenx_email.services import one_time_schedules
from tenx_email.services.trigger_jobs import DelayedRuleJob


def schedule_name(rule_id: str, event_id: str) -> str:
    """Deterministic per (rule, event), within Scheduler's 64-character limit."""
    return "cer-" + hashlib.sha256(f"{rule_id}|{event_id}".encode()).hexdigest()[:48]


def _run(rule: EmailRule, event: CampaignEvent, reason: str | None = None) -> RuleRun:
    return RuleRun(
        handle=event.handle,
        campaign_id=event.campaign_id,
        rule_id=rule.rule_id,
        event_id=event.event_id,
        outcome=RuleRunOutcome.SCHEDULED,
        rule_version=rule.version,
        reason=reason,
        at=clock.now(),
    )


def schedule(rule: EmailRule, event: CampaignEvent) -> None:
    """Give the rule its one-time schedule for the event, due the rule's delay after it, its
    SCHEDULED run recorded first."""
    # The run first: it keeps the event (its lead snapshot) that the schedule's job renders,
    # so the event is stored before any schedule can fire.
    store.record_run(_run(rule, event), event)
    due = event.occurred_at + timedelta(minutes=rule.delay_minutes or 0)
    _create(rule, event, schedule_name(rule.rule_id, event.event_id), due)


def defer(rule: EmailRule, event: CampaignEvent, until: datetime, reason: str) -> None:
    """Give the rule's message for the event a one-time schedule at `until` (the campaign's
    settings keep it until then), its run SCHEDULED with `reason` first. Named after the
    moment too: a delayed rule deferred on firing already has its delay's schedule."""
    store.record_deferral(_run(rule, event, reason), event)
    name = schedule_name(rule.rule_id, f"{event.event_id}|{until.timestamp():.0f}")
    _create(rule, event, name, until, trigger=rule.trigger)


def _create(
    rule: EmailRule,
    event: CampaignEvent,
    name: str,
    due: datetime,
    trigger: RuleTrigger = RuleTrigger.LEAD_CAPTURED_DELAYED,
) -> None:
    one_time_schedules.create(
        name,
        due,
        DelayedRuleJob(
            kind="delayed-rule",
            handle=event.handle,
            campaign_id=event.campaign_id,
            event_id=event.event_id,
            rule_id=rule.rule_id,
            trigger=trigger,
        ).model_dump(mode="json", by_alias=True),
    )


def delayed_rule_skip_reason(
    rule: EmailRule | None, trigger: RuleTrigger = RuleTrigger.LEAD_CAPTURED_DELAYED
) -> str | None:
    """Why a rule whose schedule fired makes no message (the rule as it is now; `trigger` the
    one it had when scheduled)."""
    if rule is None or rule.deleted:
        return "the rule was deleted before its delay ran out"
    if not rule.enabled:
        return "the rule was disabled before its delay ran out"
    if rule.trigger is not trigger:
        return f"the rule's trigger changed to {rule.trigger.value}"
    return None
