"""What campaign events do to a campaign's sequences (the trigger batch calls this with the
events it resolved): a CONVERSION ends the lead's ACTIVE enrollments in sequences that exit on
it (and removes their pending schedules at once); then each event enrolls its lead in the
sequences it triggers, once per lead and sequence while an enrollment is ACTIVE, and the first
step runs through the trigger-jobs queue.

Safe to repeat: an enrollment's id derives from (sequence, event), so a repeated event finds
its enrollment (and queues its first step again, which then does nothing)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence, Set
from datetime import datetime

from tenx_email import clock, ids
from tenx_email.adapters import queues
from tenx_email.campaign_models import (
    CampaignEvent,
    CampaignEventType,
    Enrollment,
    EnrollmentStatus,
    SequenceExit,
    SequenceStatus,
)
from tenx_email.campaign_models import Sequence as SequenceModel
from tenx_email.dal import enrollments as store
from tenx_email.dal import sequences as sequence_store
from tenx_email.observability import logger
from tenx_email.services import one_time_schedules
from tenx_email.services.sequence_jobs import SequenceStepJob
from tenx_email.settings import trigger_settings


def enrollment_id(sequence_id: str, event: CampaignEvent) -> str:
    return f"enr_{ids.ulid(event.occurred_at, seed=f'{sequence_id}|{event.event_id}').lower()}"


def triggered_by(sequence: SequenceModel, event: CampaignEvent) -> bool:
    """Whether the event enrolls its lead: a live, enabled, ACTIVE sequence of its trigger,
    made before the event (no retroactive enrollments)."""
    return (
        not sequence.deleted
        and sequence.enabled
        and sequence.status is SequenceStatus.ACTIVE
        and sequence.trigger.value == event.type.value
        and sequence.created_at <= event.occurred_at
    )


def run_for(
    events: Sequence[CampaignEvent], sequenced: Set[tuple[str, str]]
) -> dict[str, Exception | None]:
    """`on_events` for the events of campaigns that have sequences (`sequenced`: (handle,
    campaign) pairs), reading each such campaign's sequences once (one Query)."""
    campaigns = {(event.handle, event.campaign_id) for event in events} & sequenced
    if not campaigns:
        return {}
    sequences_of = {pair: sequence_store.list_sequences(*pair) for pair in campaigns}
    return on_events([e for e in events if (e.handle, e.campaign_id) in campaigns], sequences_of)


def on_events(
    events: Sequence[CampaignEvent], sequences_of: Mapping[tuple[str, str], list[SequenceModel]]
) -> dict[str, Exception | None]:
    """Enrollments, then exits, for each event (by event id: its error, or None): a lead
    captured and converted within one batch is enrolled, then exits."""
    outcomes: dict[str, Exception | None] = {event.event_id: None for event in events}
    now = clock.now()
    first_steps: dict[str, tuple[str, SequenceStepJob]] = {}
    for event in events:
        if outcomes[event.event_id] is not None:
            continue
        for sequence in sequences_of.get((event.handle, event.campaign_id), []):
            if not triggered_by(sequence, event):
                continue
            try:
                job = enroll(sequence, event, now)
            except Exception as error:
                outcomes[event.event_id] = error
                break
            if job is not None:
                first_steps[job.enrollment_id] = (event.event_id, job)
    queue_first_steps(first_steps, outcomes)
    _exit_on_conversions(events, sequences_of, outcomes, now)
    return outcomes


def enroll(sequence: SequenceModel, event: CampaignEvent, now: datetime) -> SequenceStepJob | None:
    """Enroll the event's lead; its first step's job, or None when the lead has another
    enrollment ACTIVE in the sequence."""
    enrollment = Enrollment(
        handle=event.handle,
        campaign_id=event.campaign_id,
        sequence_id=sequence.sequence_id,
        lead_id=event.lead.lead_id,
        enrollment_id=enrollment_id(sequence.sequence_id, event),
        version=sequence.version,
        next_step_at=now,
        event=event,
        enrolled_at=now,
        updated_at=now,
    )
    standing = store.enroll(enrollment)
    if standing is not None:
        logger.info("lead already enrolled", extra={"sequence_id": sequence.sequence_id})
        return None
    return next_step_job(enrollment, event.occurred_at)


def next_step_job(enrollment: Enrollment, due: datetime) -> SequenceStepJob:
    """The job that runs the enrollment's next step (a repeated one does nothing)."""
    return SequenceStepJob(
        handle=enrollment.handle,
        campaign_id=enrollment.campaign_id,
        sequence_id=enrollment.sequence_id,
        lead_id=enrollment.lead_id,
        enrollment_id=enrollment.enrollment_id,
        version=enrollment.version,
        step=enrollment.step,
        due=due,
    )


def queue_first_steps(
    first_steps: Mapping[str, tuple[str, SequenceStepJob]], outcomes: dict[str, Exception | None]
) -> None:
    """Queue each new enrollment's first step (by enrollment id: its event and job); an event
    whose step SQS did not take fails, to be run again."""
    if not first_steps:
        return
    queue_url = trigger_settings().trigger_jobs_queue_url
    if not queue_url:
        raise RuntimeError("sequences need TRIGGER_JOBS_QUEUE_URL")
    bodies = {name: job.body() for name, (_, job) in first_steps.items()}
    for refused in queues.send_all(queue_url, bodies):
        event_id = first_steps[refused][0]
        outcomes[event_id] = queues.QueueUnavailable("the trigger-jobs queue did not take a step")


def _exit_on_conversions(
    events: Sequence[CampaignEvent],
    sequences_of: Mapping[tuple[str, str], list[SequenceModel]],
    outcomes: dict[str, Exception | None],
    now: datetime,
) -> None:
    exiting = {
        (event.handle, sequence.sequence_id, event.lead.lead_id): event
        for event in events
        if event.type is CampaignEventType.CONVERSION
        for sequence in sequences_of.get((event.handle, event.campaign_id), [])
        if SequenceExit.CONVERSION in sequence.exit_on
    }
    if not exiting:
        return
    for wanted, enrollment in store.enrollments_of(exiting).items():
        event = exiting[wanted]
        if (
            enrollment.status is not EnrollmentStatus.ACTIVE
            or enrollment.event.event_id == event.event_id
            or enrollment.event.occurred_at > event.occurred_at
        ):
            continue  # ended already, or enrolled by this conversion or a later event
        try:
            stop(enrollment, EnrollmentStatus.EXITED, SequenceExit.CONVERSION.value, now)
        except Exception as error:
            outcomes[event.event_id] = error


def stop(enrollment: Enrollment, status: EnrollmentStatus, reason: str, now: datetime) -> None:
    """End an enrollment, then remove its pending schedule (which would find it ended)."""
    store.save(enrollment.ended(status, reason, now), enrollment)
    if enrollment.pending_schedule:
        one_time_schedules.remove(enrollment.pending_schedule)
