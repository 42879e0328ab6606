"""The stored item of an enrollment (PK=HANDLE#h, SK=ENROLL#<sequenceId>#<leadId>)."""

from __future__ import annotations

from datetime import datetime

from tenx_email import keys
from tenx_email.campaign_models import CampaignEvent, Enrollment, EnrollmentStatus
from tenx_email.dal.items import StoredItem


class EnrollmentItem(StoredItem):
    entity_type = "ENROLLMENT"
    handle: str
    campaign_id: str
    sequence_id: str
    lead_id: str
    enrollment_id: str
    version: int
    status: EnrollmentStatus
    step: int
    next_step_at: datetime | None = None
    pending_schedule: str | None = None
    held: bool = False
    exit_reason: str | None = None
    note: str | None = None
    event: CampaignEvent
    enrolled_at: datetime
    updated_at: datetime

    @classmethod
    def from_domain(cls, enrollment: Enrollment) -> EnrollmentItem:
        return cls(
            **keys.enrollment(enrollment.handle, enrollment.sequence_id, enrollment.lead_id),
            **enrollment.model_dump(),
        )

    def to_domain(self) -> Enrollment:
        return Enrollment(**self.model_dump(exclude={"pk", "sk"}))
