"""What an operator's change to a sequence does to its enrollments, a page at a time through
the trigger-jobs queue. The event projection starts a cascade when it sees the sequence's
change on the table's stream (`started_by`), so none is lost however the request ends, and a
sequence with many enrollments never holds up the request:
archiving or deleting it STOPS every ACTIVE enrollment and removes its pending schedule
(EmailSendX's cascade); making a paused one ACTIVE again runs each held enrollment's next
step now (late steps go out at once, none is skipped).

Each page is safe to repeat: it only touches enrollments still ACTIVE (still held, to resume),
and the next page's job is queued after the page is done."""

from __future__ import annotations

from collections.abc import Iterable

from tenx_email import clock
from tenx_email.adapters import queues
from tenx_email.campaign_models import EnrollmentStatus, Sequence, SequenceStatus
from tenx_email.dal import enrollments as store
from tenx_email.services.sequence_events import next_step_job, stop
from tenx_email.services.sequence_jobs import Cascade, SequenceCascadeJob
from tenx_email.settings import trigger_settings

PAGE_SIZE = 100


def _queue_url() -> str:
    queue_url = trigger_settings().trigger_jobs_queue_url
    if not queue_url:
        raise RuntimeError("sequence cascades need TRIGGER_JOBS_QUEUE_URL")
    return queue_url


def publish(job: SequenceCascadeJob) -> None:
    queues.enqueue_job(_queue_url(), job.model_dump(mode="json", by_alias=True))


def started_by(changes: Iterable[tuple[Sequence | None, Sequence]]) -> list[SequenceCascadeJob]:
    """The cascades sequence changes (as read before, after) start: deleted or archived ->
    STOP; PAUSED -> ACTIVE -> RESUME."""
    jobs = []
    for before, after in changes:
        was_live = before is None or not (
            before.deleted or before.status is SequenceStatus.ARCHIVED
        )
        if was_live and (after.deleted or after.status is SequenceStatus.ARCHIVED):
            gone = "deleted" if after.deleted else "archived"
            action, reason = Cascade.STOP, f"the sequence was {gone}"
        elif (
            before is not None
            and before.status is SequenceStatus.PAUSED
            and after.status is SequenceStatus.ACTIVE
            and not after.deleted
        ):
            action, reason = Cascade.RESUME, "the sequence was resumed"
        else:
            continue
        jobs.append(
            SequenceCascadeJob(
                handle=after.handle,
                campaign_id=after.campaign_id,
                sequence_id=after.sequence_id,
                action=action,
                reason=reason,
            )
        )
    return jobs


def start(jobs: Iterable[SequenceCascadeJob]) -> None:
    """Queue the first page of each cascade (raises when SQS did not take one: the projection's
    batch is then retried, which queues them again, harmlessly)."""
    bodies = {str(n): job.body() for n, job in enumerate(jobs)}
    if bodies and queues.send_all(_queue_url(), bodies):
        raise queues.QueueUnavailable("the trigger-jobs queue did not take a cascade")


def run(job: SequenceCascadeJob) -> None:
    """One page of the cascade, then the next page's job."""
    page, last_lead = store.in_flight(
        job.handle,
        job.sequence_id,
        job.next_token,
        held_only=job.action is Cascade.RESUME,
        limit=PAGE_SIZE,
    )
    now = clock.now()
    if job.action is Cascade.STOP:
        for enrollment in page:
            stop(enrollment, EnrollmentStatus.STOPPED, job.reason, now)
    else:
        # The steps are queued before the enrollments stop being held: a step job run twice
        # does nothing the second time, a held enrollment with no job would wait forever.
        steps = {
            enrollment.enrollment_id: next_step_job(enrollment, now).body() for enrollment in page
        }
        if queues.send_all(_queue_url(), steps):
            raise queues.QueueUnavailable("the trigger-jobs queue did not take every step")
    if last_lead is not None:
        publish(job.model_copy(update={"next_token": last_lead}))
