"""Campaign trigger jobs: lead captures and conversions meet a campaign's email rules.

A campaign event arrives on the trigger-jobs queue, from the HTTP test routes or from the
campaign-events bus (docs/api.md, "Campaign events"). For each rule that was enabled and already
existed when the event happened (no retroactive sends): LEAD_CAPTURED and CONVERSION rules
make a message now; LEAD_CAPTURED_DELAYED rules get one EventBridge Scheduler schedule, whose
job comes back through the same queue and re-reads the rule before making the message.

The trigger Lambda takes the jobs of an SQS batch together (`run_jobs`): what they read is
read once for the batch, their rule messages are queued in one SendMessageBatch before they are
stored (one conditional put each); each job still succeeds or fails on its own. The day's quota
is checked against the usage read with the rest (the event projection charges it).

A campaign's settings (cooldown, daily cap, send window) defer a rule message that may not go
yet: its run is SCHEDULED with the reason, and a one-time schedule brings it back then
(services/campaign_pacing.py decides, services/delayed_rules.py schedules).

Everything is safe to repeat: the message id is derived from (rule, event), the schedule name
likewise, and a rule run is recorded per (rule, event).

This module runs the batch; the jobs' shapes are in services/trigger_jobs.py, what a rule makes
of an event in services/rule_messages.py, delayed rules' schedules in services/delayed_rules.py,
and the HTTP routes publish events with services/campaign_events.py.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from tenx_email import clock, ids
from tenx_email.adapters import queues
from tenx_email.campaign_models import (
    CampaignEvent,
    CampaignEventType,
    EmailRule,
    RuleRun,
    RuleRunOutcome,
    RuleTrigger,
)
from tenx_email.dal import rules as rule_store
from tenx_email.dal import triggers as store
from tenx_email.observability import logger
from tenx_email.services import sequence_batch, sequence_events
from tenx_email.services.campaign_pacing import Pacer, counts_contacts
from tenx_email.services.delayed_rules import defer, delayed_rule_skip_reason, schedule
from tenx_email.services.quotas import DayRoom, quota_day
from tenx_email.services.rule_messages import applicable_rules, compose_rule_message
from tenx_email.services.sequence_jobs import SEQUENCE_JOB_KINDS, job_kind
from tenx_email.services.trigger_jobs import (
    BusEvent,
    CampaignEventJob,
    DelayedRuleJob,
    InvalidJob,
    from_bus,
)
from tenx_email.settings import delivery_settings


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


@dataclass(eq=False)
class _Work:
    """One distinct job of a batch, and how far it got."""

    body: str
    handle: str = ""
    campaign_id: str = ""
    event: CampaignEvent | None = None  # known now, or once the bus event or kept event is read
    bus: BusEvent | None = None
    fire: DelayedRuleJob | None = None
    rule: EmailRule | None = None  # a fired delayed rule, as it is now
    error: Exception | None = None

    def fail(self, error: Exception) -> None:
        if self.error is None:
            self.error = error

    def event_kind(self) -> tuple[CampaignEventType, datetime] | None:
        """What a campaign event's rules are chosen by (None for a delayed rule's job)."""
        if self.bus is not None:
            return self.bus.kind, self.bus.occurred_at
        if self.event is not None and self.fire is None:
            return self.event.type, self.event.occurred_at
        return None


def _parse(body: str) -> _Work:
    work = _Work(body)
    try:
        data = json.loads(body)
        if isinstance(data, dict) and "detail-type" in data:
            work.bus = from_bus(data)
            work.handle, work.campaign_id = work.bus.detail.handle, work.bus.detail.campaign_id
        elif isinstance(data, dict) and data.get("kind") == "delayed-rule":
            work.fire = DelayedRuleJob.model_validate(data)
            work.handle, work.campaign_id = work.fire.handle, work.fire.campaign_id
        else:
            work.event = CampaignEventJob.model_validate(data).event
            work.handle, work.campaign_id = work.event.handle, work.event.campaign_id
    except (ValueError, KeyError) as error:  # pydantic's ValidationError is a ValueError
        work.fail(InvalidJob(f"unusable trigger job: {type(error).__name__}"))
    except InvalidJob as error:
        work.fail(error)
    return work


@dataclass
class _Made:
    """A rule message of the batch and the jobs that made it (a job delivered twice)."""

    made: store.RuleMessage
    event: CampaignEvent
    works: list[_Work]


def run_jobs(bodies: Sequence[str]) -> dict[str, Exception | None]:
    """The trigger jobs of one SQS batch (their bodies), together: each campaign's rules are
    read once (one Query per campaign), everything else the jobs read in one BatchGetItem (a
    second for the senders and templates of delayed rules that fired), leads and kept events
    are written in one BatchWriteItem, the rule messages are queued with SendMessageBatch and
    then stored one transaction per handle. Returns each distinct body's error, or None when
    its job is done; a job fails only by its own error (a queue entry SQS refused included).

    A step shared by the jobs that fails (a read, the writes) makes each job run again on its
    own, so one job never fails another; every step is safe to repeat. Sequence jobs (steps,
    cascades) run apart, in services/sequence_batch.py."""
    sequence_bodies = [body for body in bodies if job_kind(body) in SEQUENCE_JOB_KINDS]
    outcomes = sequence_batch.run_jobs(sequence_bodies)
    rest = [body for body in bodies if body not in outcomes]
    return {**outcomes, **_run_rule_jobs(rest)}


def _run_rule_jobs(bodies: Sequence[str]) -> dict[str, Exception | None]:
    works = {body: _parse(body) for body in dict.fromkeys(bodies)}
    runnable = [work for work in works.values() if work.error is None]
    try:
        _run_together(runnable)
    except Exception as error:
        logger.warning(
            "a step shared by the batch's jobs failed; running each job on its own",
            extra={"error": type(error).__name__, "jobs": len(runnable)},
        )
        for work in runnable:
            alone = _parse(work.body)
            try:
                _run_together([alone])
            except Exception as own:
                alone.fail(own)
            works[work.body] = alone
    return {body: work.error for body, work in works.items()}


def _run_together(works: list[_Work]) -> None:
    if not works:
        return
    now = clock.now()
    day = quota_day(now)
    # Each campaign's rules, once: one Query per (handle, campaign) of the batch's events.
    pairs = dict.fromkeys((w.handle, w.campaign_id) for w in works if w.fire is None)
    rules_of = {pair: rule_store.list_rules(*pair) for pair in pairs}
    found = store.read_together(_wanted(works, rules_of, day))
    # Captures first: a conversion may name a lead captured in the same batch.
    for work in sorted(works, key=lambda w: not _is_bus_capture(w)):
        _resolve(work, found)
    # The senders and templates of the delayed rules that fire, and the pacing records of
    # leads of campaigns that count their emails, unless already read.
    more = found.missing(_wanted_after_resolving(works, found, day))
    if more.senders or more.templates or more.quotas or more.pacing:
        found.merge(store.read_together(more))
    store.put_leads(
        [
            (w.handle, w.campaign_id, w.event.lead, w.bus.occurred_at)
            for w in works
            if w.error is None
            and w.event is not None
            and w.bus is not None
            and w.bus.kind is CampaignEventType.LEAD_CAPTURED
        ]
    )
    _run_sequences(works, found)
    pacer = Pacer(settings=found.settings, records=dict(found.pacing))
    made = _make_messages(works, rules_of, found, pacer, now)
    _within_quota(made, found, day)
    _count(made, pacer)
    if not made:
        return
    queue_url = delivery_settings().delivery_queue_url
    if not queue_url:
        raise RuntimeError("the trigger Lambda needs DELIVERY_QUEUE_URL")
    # Queued before they are stored, as direct sends are: a job that dies after storing would
    # otherwise leave a message no later run queues (its rule may be off by then). A record
    # whose message never gets stored is dropped by delivery; a message SQS did not take is
    # not stored, and its job fails, to be retried.
    refused = queues.enqueue_deliveries(
        queue_url, [(entry.made.message.handle, message_id) for message_id, entry in made.items()]
    )
    if refused:
        logger.warning("the delivery queue refused rule messages", extra={"count": len(refused)})
    for message_id in refused:
        for work in made.pop(message_id).works:
            work.fail(queues.QueueUnavailable("the delivery queue did not take a rule message"))
    _store(list(made.values()))


def _rules_of(work: _Work, rules_of: dict[tuple[str, str], list[EmailRule]]) -> list[EmailRule]:
    """The rules a campaign event meets (none for a delayed rule's job)."""
    chosen = work.event_kind()
    if chosen is None:
        return []
    return applicable_rules(rules_of.get((work.handle, work.campaign_id), []), *chosen)


def _wanted(
    works: list[_Work], rules_of: dict[tuple[str, str], list[EmailRule]], day: str
) -> store.Wanted:
    wanted = store.Wanted()
    for work in works:
        if work.fire is not None:
            job = work.fire
            wanted.scheduled.add((job.handle, job.rule_id, job.event_id))
            wanted.rules.add((job.handle, job.campaign_id, job.rule_id))
            wanted.quotas.add((job.handle, day))
            wanted.settings.add((job.handle, job.campaign_id))
            continue
        # The campaign says whether it has sequences (and that it exists, for bus events).
        wanted.campaigns.add((work.handle, work.campaign_id))
        if work.bus is not None and work.bus.kind is CampaignEventType.CONVERSION:
            wanted.leads.add((work.handle, work.campaign_id, work.bus.detail.lead_id or ""))
        for rule in _rules_of(work, rules_of):
            if rule.trigger is not RuleTrigger.LEAD_CAPTURED_DELAYED:
                wanted.senders.add((rule.handle, rule.sender_id))
                wanted.templates.add((rule.handle, rule.template_id))
                wanted.quotas.add((rule.handle, day))
                wanted.settings.add((rule.handle, rule.campaign_id))
    return wanted


def _wanted_after_resolving(works: list[_Work], found: store.Found, day: str) -> store.Wanted:
    wanted = store.Wanted()
    for work in works:
        if work.error is not None or work.event is None:
            continue
        if counts_contacts(found.settings.get((work.handle, work.campaign_id))):
            wanted.pacing.add((work.handle, work.campaign_id, work.event.lead.lead_id))
        rule = work.rule
        if rule is not None and _fire_skip_reason(work) is None:
            wanted.senders.add((rule.handle, rule.sender_id))
            wanted.templates.add((rule.handle, rule.template_id))
            wanted.quotas.add((rule.handle, day))
    return wanted


def _fire_skip_reason(work: _Work) -> str | None:
    assert work.fire is not None
    return delayed_rule_skip_reason(work.rule, work.fire.trigger)


def _is_bus_capture(work: _Work) -> bool:
    return work.bus is not None and work.bus.kind is CampaignEventType.LEAD_CAPTURED


def _resolve(work: _Work, found: store.Found) -> None:
    """The job's campaign event (and a fired delayed rule) from what the batch read; a bus
    capture's lead counts as found for the conversions after it."""
    pair = (work.handle, work.campaign_id)
    if work.bus is not None:
        if pair not in found.campaigns:
            work.fail(InvalidJob("the campaign event names no campaign"))
        elif work.bus.detail.lead is not None and work.bus.kind is CampaignEventType.LEAD_CAPTURED:
            default_id = f"lead_{ids.ulid(work.bus.occurred_at, seed=work.bus.event_id).lower()}"
            work.event = work.bus.event(work.bus.detail.lead.lead(default_id=default_id))
            found.leads[(*pair, work.event.lead.lead_id)] = work.event.lead
        else:
            lead = found.leads.get((*pair, work.bus.detail.lead_id or ""))
            if lead is None:
                work.fail(InvalidJob("a ConversionRecorded event names a lead never captured"))
            else:
                work.event = work.bus.event(lead)
    elif work.fire is not None:
        job = work.fire
        run = (job.handle, job.rule_id, job.event_id)
        if run in found.settled:
            # The schedule fired before (at least once): its run has moved on.
            logger.info("a schedule fired again", extra={"rule_id": job.rule_id})
            return
        work.event = found.scheduled.get(run)
        if work.event is None:
            work.fail(InvalidJob("the delayed rule's SCHEDULED run is gone"))
        work.rule = found.rules.get((job.handle, job.campaign_id, job.rule_id))


def _run_sequences(works: list[_Work], found: store.Found) -> None:
    """The campaign events' exits and enrollments in their campaigns' sequences."""
    events = [w for w in works if w.error is None and w.event is not None and w.fire is None]
    outcomes = sequence_events.run_for(
        [w.event for w in events if w.event is not None], found.sequenced
    )
    for work in events:
        error = outcomes.get(work.event.event_id) if work.event is not None else None
        if error is not None:
            work.fail(error)


def _make_messages(
    works: list[_Work],
    rules_of: dict[tuple[str, str], list[EmailRule]],
    found: store.Found,
    pacer: Pacer,
    now: datetime,
) -> dict[str, _Made]:
    """Each job's schedules (delayed rules), skips, deferrals (the campaign's settings) and
    rule messages (by message id)."""
    made: dict[str, _Made] = {}
    for work in works:
        event = work.event
        if work.error is not None or event is None:
            continue
        try:
            if work.fire is not None:
                reason = _fire_skip_reason(work)
                if reason is not None:
                    version = work.rule.version if work.rule else 0
                    _skip(event, work.fire.rule_id, version, reason)
                    continue
                assert work.rule is not None  # no reason to skip: the rule is there
                rules = [work.rule]
            else:
                rules = []
                for rule in _rules_of(work, rules_of):
                    if rule.trigger is RuleTrigger.LEAD_CAPTURED_DELAYED:
                        schedule(rule, event)
                    else:
                        rules.append(rule)
            for rule in rules:
                handle = found.handles.get(rule.handle)
                composed = compose_rule_message(
                    rule,
                    event,
                    found.senders.get((rule.handle, rule.sender_id)),
                    found.templates.get((rule.handle, rule.template_id)),
                    now,
                    shards=handle.shard_count_at(event.occurred_at) if handle else 1,
                )
                if isinstance(composed, str):
                    _skip(event, rule.rule_id, rule.version, composed)
                    continue
                message_id = composed.message.message_id
                deferral = pacer.check(event.handle, event.campaign_id, event.lead, message_id, now)
                if deferral is not None:
                    defer(rule, event, deferral.until, deferral.describe())
                    continue
                entry = made.setdefault(composed.message.message_id, _Made(composed, event, []))
                entry.works.append(work)
        except Exception as error:
            work.fail(error)
    return made


def _within_quota(made: dict[str, _Made], found: store.Found, day: str) -> None:
    """Leave out the rule messages the day's quota has no room for (their runs SKIPPED), in
    order (quotas.DayRoom). A message an earlier try of its job already stored may be skipped
    so too; its run still ends MESSAGE_CREATED, since the projection records that over a
    SKIPPED one, and a SKIPPED run never replaces it."""
    room = DayRoom(found.daily_limits.get, lambda handle: found.used.get((handle, day), 0))
    for message_id, entry in list(made.items()):
        message = entry.made.message
        if room.take(message):
            continue
        del made[message_id]
        try:
            _skip(
                entry.event,
                message.rule_id or "",
                message.rule_version or 0,
                "the handle's daily quota was used up",
            )
        except Exception as error:
            for work in entry.works:
                work.fail(error)


def _count(made: dict[str, _Made], pacer: Pacer) -> None:
    """The pacing records of the messages about to be queued; a message whose record could
    not be written is not queued, and its jobs fail."""
    for message_id, error in pacer.save_counts(list(made)).items():
        for work in made.pop(message_id).works:
            work.fail(error)


def _store(made: list[_Made]) -> None:
    """Store the queued rule messages (or, for a repeated job, find them stored already); a
    failed store fails the jobs that made them."""
    try:
        store.store_rule_messages([entry.made for entry in made])
    except Exception as error:
        for entry in made:
            for work in entry.works:
                work.fail(error)
