"""Sequence steps: what a step job does with its enrollment.

A step job names an enrollment and the step it is to run. It does nothing when the enrollment
has passed that step, been replaced, or ended (a copy of a job, a schedule that fired twice).
Otherwise, with the sequence as it is now and the version the enrollment runs:
- sequence deleted or ARCHIVED: the enrollment STOPS; PAUSED: it is held at this step
  (a resume runs it again, services/sequence_cascades.py);
- a wait step: the next email step is scheduled after the waits (one-time schedule);
- an email step: the lead suppressed for campaign mail ends the enrollment (EXITED, the
  suppression's reason); a template or sender gone skips the step (noted); the campaign's
  settings or the day's quota defer it (a schedule at the minute it may go, noted); else its
  message is made, queued, and stored in one transaction with the enrollment's move past it,
  after the next email step's schedule exists. The last step COMPLETES the enrollment.

Jobs of one SQS batch are read together (two BatchGetItems: the enrollments, sequences,
versions, settings and quotas; then the senders, templates, suppressions and pacing records
of the email steps) and their messages queued in one SendMessageBatch.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from tenx_email import clock, ids
from tenx_email.adapters import queues
from tenx_email.campaign_models import (
    Enrollment,
    EnrollmentStatus,
    Sequence,
    SequenceStatus,
    StepType,
)
from tenx_email.dal import enrollments as store
from tenx_email.dal import step_reads
from tenx_email.dal.triggers import RuleMessage
from tenx_email.models import Purpose
from tenx_email.observability import logger
from tenx_email.send_windows import next_day_start
from tenx_email.sending_models import SuppressionSource
from tenx_email.services import one_time_schedules
from tenx_email.services.campaign_pacing import Deferral, Pacer, counts_contacts
from tenx_email.services.quotas import DayRoom, quota_day
from tenx_email.services.rule_messages import CampaignMail, compose_campaign_message
from tenx_email.services.sequence_jobs import SequenceStepJob
from tenx_email.services.trigger_jobs import InvalidJob
from tenx_email.settings import delivery_settings

DAILY_QUOTA = "DAILY_QUOTA"  # a deferral's reason: the handle's day of sending is used up
_EXITS = {
    SuppressionSource.BOUNCE: "BOUNCED",
    SuppressionSource.COMPLAINT: "COMPLAINED",
    SuppressionSource.UNSUBSCRIBE: "UNSUBSCRIBED",
    SuppressionSource.MANUAL: "SUPPRESSED",
}


class EarlyStep(Exception):
    """The job's step comes after the enrollment's: the step before it is still being stored
    (its job runs again and finds it done)."""


@dataclass(frozen=True)
class NextStep:
    """A step job to schedule, and the schedule's name."""

    name: str
    at: datetime
    job: SequenceStepJob


@dataclass(eq=False)
class _Step:
    job: SequenceStepJob
    error: Exception | None = None
    enrollment: Enrollment | None = None
    version: Sequence | None = None
    changed: Enrollment | None = None  # the enrollment after this job (None: nothing to do)
    made: RuleMessage | None = None
    next: NextStep | None = None

    def fail(self, error: Exception) -> None:
        if self.error is None:
            self.error = error


def schedule_name(enrollment_id: str, step: int, moment: datetime | None = None) -> str:
    """Per (enrollment, step): a retried job makes no second schedule for the next step; a
    deferral's names its moment too (the step's own schedule may still stand)."""
    seed = f"{enrollment_id}|{step}" + (f"|{moment.timestamp():.0f}" if moment else "")
    return "seq-" + hashlib.sha256(seed.encode()).hexdigest()[:48]


def step_message_id(job: SequenceStepJob, shards: int) -> str:
    seed = f"{job.enrollment_id}|{job.step}"
    shard = ids.seeded_shard(seed, shards) if shards > 1 else 0
    return ids.message_id(job.due, shard=shard, seed=seed)


def run_steps(jobs: Iterable[SequenceStepJob]) -> list[Exception | None]:
    """Run a batch's step jobs together; each job's error (None: done), in order."""
    steps = [_Step(job) for job in jobs]
    if steps:
        _run(steps, clock.now())
    return [step.error for step in steps]


def _run(steps: list[_Step], now: datetime) -> None:
    day = quota_day(now)
    found = step_reads.read(want for step in steps for want in _first_reads(step.job, day))
    for step in steps:
        _settle_state(step, found, now)
    found.update(step_reads.read(want for step in steps for want in _email_reads(step, found)))
    pacer = Pacer(
        settings={k[1]: v for k, v in found.items() if k[0] == "settings"},
        records={k[1]: v for k, v in found.items() if k[0] == "pacing"},
    )
    for step in steps:
        if step.error is None and step.changed is None and step.version is not None:
            try:
                _email(step, found, pacer, now)
            except Exception as error:
                step.fail(error)
    _within_quota(steps, found, day, now)
    _count(steps, pacer)
    _queue(steps)
    for step in steps:
        if step.error is None and step.changed is not None:
            try:
                _commit(step)
            except Exception as error:
                step.fail(error)


def _first_reads(job: SequenceStepJob, day: str) -> list[step_reads.Wanted]:
    return [
        ("enrollment", (job.handle, job.sequence_id, job.lead_id)),
        ("sequence", (job.handle, job.campaign_id, job.sequence_id)),
        ("version", (job.handle, job.sequence_id, job.version)),
        ("settings", (job.handle, job.campaign_id)),
        ("quota", (job.handle,)),
        ("handle", (job.handle,)),
        ("usage", (job.handle, day)),
    ]


def _settle_state(step: _Step, found: dict[step_reads.Wanted, Any], now: datetime) -> None:
    """What needs no email step's reads: a job with nothing to do, a stop, a hold, a wait."""
    job = step.job
    enrollment = found.get(("enrollment", (job.handle, job.sequence_id, job.lead_id)))
    if (
        enrollment is None
        or enrollment.enrollment_id != job.enrollment_id
        or enrollment.status is not EnrollmentStatus.ACTIVE
        or enrollment.step > job.step
    ):
        logger.info("a sequence step job with nothing to do", extra={"step": job.step})
        return
    if enrollment.step < job.step:
        step.fail(EarlyStep(f"enrollment {job.enrollment_id} is not at step {job.step} yet"))
        return
    step.enrollment = enrollment
    sequence: Sequence | None = found.get(
        ("sequence", (job.handle, job.campaign_id, job.sequence_id))
    )
    if sequence is None or sequence.deleted or sequence.status is SequenceStatus.ARCHIVED:
        gone = "deleted" if sequence is None or sequence.deleted else "archived"
        step.changed = enrollment.ended(EnrollmentStatus.STOPPED, f"the sequence was {gone}", now)
        return
    if sequence.status is SequenceStatus.PAUSED:
        step.changed = _update(enrollment, now, held=True, note="held: the sequence is paused")
        return
    version = found.get(("version", (job.handle, job.sequence_id, job.version)))
    if version is None:
        step.fail(InvalidJob(f"sequence {job.sequence_id} has no version {job.version}"))
        return
    if job.step >= len(version.steps):
        step.fail(InvalidJob(f"sequence {job.sequence_id} v{job.version} has no step {job.step}"))
        return
    step.version = version
    if version.steps[job.step].type is StepType.WAIT:
        _move_on(step, job.step, now)


def _email_reads(step: _Step, found: dict[step_reads.Wanted, Any]) -> list[step_reads.Wanted]:
    if step.error is not None or step.changed is not None or step.version is None:
        return []
    assert step.enrollment is not None
    job, lead = step.job, step.enrollment.event.lead
    email_step = step.version.steps[job.step]
    wanted: list[step_reads.Wanted] = [
        ("sender", (job.handle, email_step.sender_id)),
        ("template", (job.handle, email_step.template_id)),
        ("suppression", (job.handle, lead.email.lower())),
    ]
    if counts_contacts(found.get(("settings", (job.handle, job.campaign_id)))):
        wanted.append(("pacing", (job.handle, job.campaign_id, lead.lead_id)))
    return wanted


def _email(step: _Step, found: dict[step_reads.Wanted, Any], pacer: Pacer, now: datetime) -> None:
    job, enrollment, version = step.job, step.enrollment, step.version
    assert enrollment is not None
    assert version is not None
    lead, email_step = enrollment.event.lead, version.steps[job.step]
    suppressed = found.get(("suppression", (job.handle, lead.email.lower())))
    if suppressed is not None and suppressed.applies_to(Purpose.PRODUCT_NOTIFICATION):
        step.changed = enrollment.ended(EnrollmentStatus.EXITED, _EXITS[suppressed.source], now)
        return
    handle = found.get(("handle", (job.handle,)))
    mail = CampaignMail(
        template_id=email_step.template_id or "",
        sender_id=email_step.sender_id or "",
        variable_mappings=email_step.variable_mappings,
        test_mode=version.test_mode,
        message_id=step_message_id(job, handle.shard_count_at(job.due) if handle else 1),
        made_by=f"sequence {job.sequence_id} v{job.version} step {job.step + 1}",
        tags={
            "sequence_id": job.sequence_id,
            "sequence_version": job.version,
            "sequence_step": job.step,
        },
    )
    composed = compose_campaign_message(
        mail,
        enrollment.event,
        found.get(("sender", (job.handle, mail.sender_id))),
        found.get(("template", (job.handle, mail.template_id))),
        now,
    )
    if isinstance(composed, str):
        _move_on(step, job.step + 1, now, note=f"step {job.step + 1} skipped: {composed}")
        return
    deferral = pacer.check(job.handle, job.campaign_id, lead, mail.message_id, now)
    if deferral is not None:
        _defer(step, deferral, now)
        return
    step.made = composed
    _move_on(step, job.step + 1, now)


def _move_on(step: _Step, index: int, now: datetime, note: str | None = None) -> None:
    """The enrollment past its waits from `index` on: at the next email step (scheduled after
    the waits), or COMPLETED when no email step is left."""
    enrollment, version = step.enrollment, step.version
    assert enrollment is not None
    assert version is not None
    due = now
    while index < len(version.steps) and version.steps[index].type is StepType.WAIT:
        due += timedelta(minutes=version.steps[index].minutes or 0)
        index += 1
    if index >= len(version.steps):
        done = enrollment.ended(EnrollmentStatus.COMPLETED, None, now)
        step.changed = done.model_copy(update={"step": len(version.steps), "note": note})
        return
    name = schedule_name(enrollment.enrollment_id, index)
    step.next = NextStep(name, due, step.job.model_copy(update={"step": index, "due": due}))
    step.changed = _update(
        enrollment, now, step=index, next_step_at=due, pending_schedule=name, note=note
    )


def _defer(step: _Step, deferral: Deferral, now: datetime) -> None:
    enrollment = step.enrollment
    assert enrollment is not None
    name = schedule_name(enrollment.enrollment_id, step.job.step, deferral.until)
    step.next = NextStep(name, deferral.until, step.job)
    step.made = None
    step.changed = _update(
        enrollment,
        now,
        next_step_at=deferral.until,
        pending_schedule=name,
        note=deferral.describe(),
    )


def _update(enrollment: Enrollment, now: datetime, **changes: Any) -> Enrollment:
    """The enrollment changed by a step job (no longer held, unless the job holds it)."""
    return enrollment.model_copy(update={"held": False, **changes, "updated_at": now})


def _within_quota(
    steps: list[_Step], found: dict[step_reads.Wanted, Any], day: str, now: datetime
) -> None:
    """Steps whose messages the handle's day has no room for (quotas.DayRoom) wait for the
    next UTC day."""
    room = DayRoom(
        lambda handle: found.get(("quota", (handle,))),
        lambda handle: found.get(("usage", (handle, day)), 0),
    )
    for step in steps:
        if step.error is None and step.made is not None and not room.take(step.made.message):
            _defer(step, Deferral(next_day_start(now, "UTC"), DAILY_QUOTA), now)


def _count(steps: list[_Step], pacer: Pacer) -> None:
    """The pacing records of the messages about to be queued (as triggers._count)."""
    sending = {step.made.message.message_id: step for step in steps if step.made and not step.error}
    for message_id, error in pacer.save_counts(list(sending)).items():
        sending[message_id].fail(error)


def _queue(steps: list[_Step]) -> None:
    """Queue the batch's messages before any is stored (as rule messages are)."""
    sending = {step.made.message.message_id: step for step in steps if step.made and not step.error}
    if not sending:
        return
    queue_url = delivery_settings().delivery_queue_url
    if not queue_url:
        raise RuntimeError("the trigger Lambda needs DELIVERY_QUEUE_URL")
    refused = queues.enqueue_deliveries(
        queue_url, [(step.job.handle, message_id) for message_id, step in sending.items()]
    )
    for message_id in refused:
        sending[message_id].fail(queues.QueueUnavailable("the delivery queue did not take it"))


def _commit(step: _Step) -> None:
    """The next step's schedule first (so an enrollment never waits on nothing), then the
    enrollment (with the step's message, in one transaction)."""
    enrollment, changed = step.enrollment, step.changed
    assert enrollment is not None
    assert changed is not None
    if step.next is not None:
        one_time_schedules.create(
            step.next.name, step.next.at, step.next.job.model_dump(mode="json", by_alias=True)
        )
    if step.made is not None:
        store.save_with_message(changed, enrollment, step.made)
    else:
        store.save(changed, enrollment)
