"""A sequence's enrollments and stats as the routes see them: enroll a captured lead by hand,
list the enrollments, stop one, read the stats.

Checks, in this order: the campaign (404 campaign_not_found), the sequence (404
sequence_not_found; enrolling in an ARCHIVED one: 409 sequence_archived), the lead captured on
the campaign (404 lead_not_found) or its enrollment (404 enrollment_not_found).
"""

from __future__ import annotations

from dataclasses import dataclass

from tenx_email import clock, ids
from tenx_email.adapters import queues
from tenx_email.campaign_models import (
    CampaignEvent,
    CampaignEventType,
    Enrollment,
    EnrollmentStatus,
    Sequence,
    SequenceStatus,
)
from tenx_email.dal import enrollments as store
from tenx_email.dal import sequence_stats
from tenx_email.dal import triggers as lead_store
from tenx_email.dal.queries import Page
from tenx_email.errors import (
    CampaignEventQueueUnavailable,
    EnrollmentNotFound,
    LeadNotFound,
    SequenceArchived,
)
from tenx_email.models import HandleAccess
from tenx_email.services.sequence_events import enroll, enrollment_id, next_step_job
from tenx_email.services.sequence_jobs import SequenceStepJob
from tenx_email.services.sequences import get_sequence
from tenx_email.settings import trigger_settings

STOPPED_BY_HAND = "stopped by an operator"
_SAVE_ATTEMPTS = 3


@dataclass(frozen=True)
class Enrolled:
    enrolled: bool  # False: the lead already had an ACTIVE enrollment, which is this one
    enrollment: Enrollment


def enroll_by_hand(
    access: HandleAccess, campaign_id: str, sequence_id: str, lead_id: str
) -> Enrolled:
    """Enroll a lead captured on the campaign (its latest snapshot renders the steps); a lead
    with an ACTIVE enrollment is left in it. Safe to repeat: an enrollment whose first step
    never got queued (a failed request) is given it again."""
    sequence = get_sequence(access, campaign_id, sequence_id)
    if sequence.status is SequenceStatus.ARCHIVED:
        raise SequenceArchived(f"sequence {sequence_id} is archived; it enrolls no one")
    handle = access.handle.handle
    lead = lead_store.get_lead(handle, campaign_id, lead_id)
    if lead is None:
        raise LeadNotFound(f"lead {lead_id[:80]!r} was not captured on campaign {campaign_id}")
    now = clock.now()
    event = CampaignEvent(
        handle=handle,
        campaign_id=campaign_id,
        event_id=f"man_{ids.ulid(now).lower()}",
        type=CampaignEventType(sequence.trigger.value),
        lead=lead,
        occurred_at=now,
    )
    first = enroll(sequence, event, now)
    standing = store.get(handle, sequence_id, lead.lead_id)
    assert standing is not None  # ours, or the ACTIVE one that kept ours out
    if first is None and standing.step == 0 and standing.pending_schedule is None:
        first = next_step_job(standing, standing.enrolled_at)  # never started: start it
    if first is not None:
        _queue(first)
    ours = enrollment_id(sequence.sequence_id, event)
    return Enrolled(enrolled=standing.enrollment_id == ours, enrollment=standing)


def _queue(job: SequenceStepJob) -> None:
    queue_url = trigger_settings().trigger_jobs_queue_url
    if not queue_url:
        raise CampaignEventQueueUnavailable("no trigger-jobs queue is configured here")
    try:
        queues.enqueue_job(queue_url, job.model_dump(mode="json", by_alias=True))
    except queues.QueueUnavailable as error:
        raise CampaignEventQueueUnavailable("the trigger-jobs queue is unavailable") from error


def list_enrollments(
    access: HandleAccess,
    campaign_id: str,
    sequence_id: str,
    status: EnrollmentStatus | None,
    limit: int,
    next_token: str | None,
) -> Page[Enrollment]:
    get_sequence(access, campaign_id, sequence_id)
    return store.list_page(
        access.handle.handle, sequence_id, status.value if status else None, limit, next_token
    )


def stop_enrollment(access: HandleAccess, campaign_id: str, sequence_id: str, lead_id: str) -> None:
    """Stop a lead's ACTIVE enrollment (nothing more is sent; its pending schedule fires and
    does nothing). One already ended is left as it is."""
    get_sequence(access, campaign_id, sequence_id)
    for _ in range(_SAVE_ATTEMPTS):
        # An id of the wrong form names no lead (and is kept out of keys).
        well_formed = ids.is_valid(ids.LEAD_ID_PATTERN, lead_id)
        enrollment = store.get(access.handle.handle, sequence_id, lead_id) if well_formed else None
        if enrollment is None:
            raise EnrollmentNotFound(
                f"lead {lead_id[:80]!r} has no enrollment in sequence {sequence_id}"
            )
        if enrollment.status is not EnrollmentStatus.ACTIVE:
            return
        try:
            store.save(
                enrollment.ended(EnrollmentStatus.STOPPED, STOPPED_BY_HAND, clock.now()),
                enrollment,
            )
        except store.ConcurrentChange:
            continue  # a step moved it on meanwhile: read it again
        return
    raise RuntimeError(f"the enrollment of {lead_id} kept changing")


def stats(
    access: HandleAccess, campaign_id: str, sequence_id: str
) -> tuple[Sequence, dict[str, int]]:
    """The sequence (as it is now) and its counters (services/sequence_stats.py)."""
    sequence = get_sequence(access, campaign_id, sequence_id)
    return sequence, sequence_stats.read(access.handle.handle, sequence_id)
