"""API shapes of a sequence's enrollments and stats."""

from __future__ import annotations

from typing import Annotated, Self

from pydantic import StringConstraints

from tenx_email import clock, ids
from tenx_email.api.base import ApiInput, ApiModel
from tenx_email.campaign_models import Enrollment, EnrollmentStatus, Sequence, StepType
from tenx_email.services.sequence_enrollments import Enrolled


class EnrollmentIn(ApiInput):
    lead_id: Annotated[str, StringConstraints(pattern=ids.LEAD_ID_PATTERN)]


class EnrollmentOut(ApiModel):
    lead_id: str
    enrollment_id: str
    sequence_id: str
    version: int  # the sequence version it runs
    status: EnrollmentStatus
    step: int  # the next step to run (0-based; the number of steps once it completed)
    next_step_at: str | None
    held: bool  # waiting at its next step while the sequence is paused
    exit_reason: str | None
    note: str | None  # why the next step waits, or a step was skipped
    enrolled_at: str
    updated_at: str

    @classmethod
    def from_enrollment(cls, enrollment: Enrollment) -> Self:
        return cls(
            lead_id=enrollment.lead_id,
            enrollment_id=enrollment.enrollment_id,
            sequence_id=enrollment.sequence_id,
            version=enrollment.version,
            status=enrollment.status,
            step=enrollment.step,
            next_step_at=clock.iso(enrollment.next_step_at) if enrollment.next_step_at else None,
            held=enrollment.held,
            exit_reason=enrollment.exit_reason,
            note=enrollment.note,
            enrolled_at=clock.iso(enrollment.enrolled_at),
            updated_at=clock.iso(enrollment.updated_at),
        )


class EnrolledOut(ApiModel):
    enrolled: bool
    enrollment: EnrollmentOut

    @classmethod
    def from_enrolled(cls, enrolled: Enrolled) -> Self:
        return cls(
            enrolled=enrolled.enrolled,
            enrollment=EnrollmentOut.from_enrollment(enrolled.enrollment),
        )


class EnrollmentListOut(ApiModel):
    enrollments: list[EnrollmentOut]
    next_token: str | None


class StepSentOut(ApiModel):
    step: int
    sent: int


class SequenceStatsOut(ApiModel):
    sequence_id: str
    enrolled: int
    active: int
    completed: int
    stopped: int
    exited: dict[str, int]  # by reason: CONVERSION, UNSUBSCRIBED, BOUNCED, COMPLAINED, ...
    sent_by_step: list[StepSentOut]  # the email steps of the sequence as it is now

    @classmethod
    def from_counters(cls, sequence: Sequence, counters: dict[str, int]) -> Self:
        return cls(
            sequence_id=sequence.sequence_id,
            enrolled=counters.get("enrolled", 0),
            active=counters.get("active", 0),
            completed=counters.get("completed", 0),
            stopped=counters.get("stopped", 0),
            exited={
                name.removeprefix("exited_"): count
                for name, count in sorted(counters.items())
                if name.startswith("exited_")
            },
            sent_by_step=[
                StepSentOut(step=index, sent=counters.get(f"sent_{index}", 0))
                for index, step in enumerate(sequence.steps)
                if step.type is StepType.EMAIL
            ],
        )


class SequenceStatsEnvelope(ApiModel):
    stats: SequenceStatsOut
