"""What an operator's change to a sequence does to its enrollments, a page at a time through
the trigger-jobs queue (so a sequence with many enrollments never holds up the request):
archiving or deleting it STOPS every ACTIVE enrollment and removes its pending schedule
(EmailSendX's cascade); making a paused one ACTIVE again runs each held enrollment's next
step now (late steps go out at once, none is skipped).

Each page is safe to repeat: it only touches enrollments still ACTIVE (still held, to resume),
and the next page's job is queued after the page is done."""

from __future__ import annotations

from tenx_email import clock
from tenx_email.adapters import queues
from tenx_email.campaign_models import EnrollmentStatus
from tenx_email.dal import enrollments as store
from tenx_email.services.sequence_events import stop
from tenx_email.services.sequence_jobs import Cascade, SequenceCascadeJob, SequenceStepJob
from tenx_email.settings import trigger_settings

PAGE_SIZE = 100


def _queue_url() -> str:
    queue_url = trigger_settings().trigger_jobs_queue_url
    if not queue_url:
        raise RuntimeError("sequence cascades need TRIGGER_JOBS_QUEUE_URL")
    return queue_url


def publish(job: SequenceCascadeJob) -> None:
    """Start a cascade (from the sequence routes)."""
    queues.enqueue_job(_queue_url(), job.model_dump(mode="json", by_alias=True))


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
            enrollment.enrollment_id: SequenceStepJob(
                handle=enrollment.handle,
                campaign_id=enrollment.campaign_id,
                sequence_id=enrollment.sequence_id,
                lead_id=enrollment.lead_id,
                enrollment_id=enrollment.enrollment_id,
                version=enrollment.version,
                step=enrollment.step,
                due=now,
            ).body()
            for enrollment in page
        }
        if queues.send_all(_queue_url(), steps):
            raise queues.QueueUnavailable("the trigger-jobs queue did not take every step")
    if last_lead is not None:
        publish(job.model_copy(update={"next_token": last_lead}))
