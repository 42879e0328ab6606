"""Campaign domain models: settings (frequency caps, send window), email rules, sequences and
their enrollments, the campaign events (and their leads) that fire them, and what each rule
did with each event (its runs). Independent of storage and HTTP shapes."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import Field

from tenx_email.models import DomainModel
from tenx_email.send_windows import SendWindow


class RuleTrigger(StrEnum):
    LEAD_CAPTURED = "LEAD_CAPTURED"
    LEAD_CAPTURED_DELAYED = "LEAD_CAPTURED_DELAYED"
    CONVERSION = "CONVERSION"


class EmailRule(DomainModel):
    """A campaign email rule. Deleting is soft (`deleted`): deleted rules are not listed and
    never fire, and a delayed schedule that fires later finds them deleted."""

    handle: str
    campaign_id: str
    rule_id: str  # cer_<uuid>
    trigger: RuleTrigger
    delay_minutes: int | None
    template_id: str
    sender_id: str
    variable_mappings: dict[str, str]
    enabled: bool
    version: int
    # Its messages are test sends (to the mailbox simulator, outside the quota).
    test_mode: bool = False
    deleted: bool = False
    created_at: datetime
    updated_at: datetime


class CampaignSettings(DomainModel):
    """A campaign's frequency caps and send window, for its rule messages and sequence steps
    (never direct sends). Version 0 is the defaults of a campaign that never had settings:
    no cooldown (0 minutes), no daily cap (None), no window (None)."""

    handle: str
    campaign_id: str
    contact_cooldown_minutes: int = 0
    contact_daily_cap: int | None = None
    send_window: SendWindow | None = None
    version: int = 0
    updated_at: datetime | None = None


class ContactPacing(DomainModel):
    """What a campaign lately sent one lead, for its cooldown and daily cap: kept only while
    the campaign has one of them. `booked` names the latest messages counted (a repeated job
    finds its message there and is not counted or deferred twice)."""

    handle: str
    campaign_id: str
    lead_id: str
    last_sent_at: datetime | None = None
    day_start: datetime | None = None  # the lead's day (send_windows.day_bounds) counted in
    sent_that_day: int = 0
    booked: tuple[str, ...] = ()
    version: int = 0  # 0: never stored


class CampaignEventType(StrEnum):
    LEAD_CAPTURED = "LEAD_CAPTURED"
    CONVERSION = "CONVERSION"


class Lead(DomainModel):
    """The lead snapshot a campaign event carries; rule messages render from it."""

    lead_id: str
    email: str
    name: str | None = None
    first_name: str | None = None
    phone: str | None = None
    company: str | None = None
    service: str | None = None
    message: str | None = None
    source: str | None = None
    # The lead's own IANA zone: its campaign's send window is read on this clock when valid.
    timezone: str | None = None
    fields: dict[str, str] = Field(default_factory=dict)


class CampaignEvent(DomainModel):
    handle: str
    campaign_id: str
    event_id: str
    type: CampaignEventType
    lead: Lead
    occurred_at: datetime


class RuleRunOutcome(StrEnum):
    SCHEDULED = "SCHEDULED"
    MESSAGE_CREATED = "MESSAGE_CREATED"
    SKIPPED = "SKIPPED"


class RuleRun(DomainModel):
    """What one rule did with one campaign event: visible to operators."""

    handle: str
    campaign_id: str
    rule_id: str
    event_id: str
    outcome: RuleRunOutcome
    rule_version: int
    message_id: str | None = None
    reason: str | None = None
    at: datetime


class SequenceTrigger(StrEnum):
    LEAD_CAPTURED = "LEAD_CAPTURED"
    CONVERSION = "CONVERSION"


class SequenceStatus(StrEnum):
    ACTIVE = "ACTIVE"
    PAUSED = "PAUSED"  # every enrollment is held at its next step
    ARCHIVED = "ARCHIVED"  # every in-flight enrollment is stopped; nothing more is sent


class SequenceExit(StrEnum):
    """What a lead does that ends its enrollment (the rest of the sequence is not sent)."""

    CONVERSION = "CONVERSION"
    UNSUBSCRIBED = "UNSUBSCRIBED"
    BOUNCED = "BOUNCED"
    COMPLAINED = "COMPLAINED"


class StepType(StrEnum):
    EMAIL = "email"
    WAIT = "wait"


class SequenceStep(DomainModel):
    """One step: an email (template, sender, variable mappings) or a wait (minutes)."""

    type: StepType
    template_id: str | None = None
    sender_id: str | None = None
    variable_mappings: dict[str, str] = Field(default_factory=dict)
    minutes: int | None = None


class Sequence(DomainModel):
    """A multi-step automation of a campaign. Each create or update is a new version, kept
    whole (an enrollment finishes on the version it started with); deleting is soft."""

    handle: str
    campaign_id: str
    sequence_id: str  # seq_<uuid>
    name: str = ""
    trigger: SequenceTrigger
    steps: tuple[SequenceStep, ...]
    exit_on: tuple[SequenceExit, ...] = ()
    enabled: bool = True
    status: SequenceStatus = SequenceStatus.ACTIVE
    version: int
    test_mode: bool = False
    deleted: bool = False
    created_at: datetime
    updated_at: datetime


class EnrollmentStatus(StrEnum):
    ACTIVE = "ACTIVE"  # steps still to run (held while its sequence is paused)
    COMPLETED = "COMPLETED"  # every step ran
    EXITED = "EXITED"  # the lead did what the sequence exits on, or was suppressed
    STOPPED = "STOPPED"  # stopped by hand, or its sequence archived or deleted


class Enrollment(DomainModel):
    """One lead's way through one sequence: at most one ACTIVE per (sequence, lead). It runs
    the steps of the version it started on; `step` is the next step to run."""

    handle: str
    campaign_id: str
    sequence_id: str
    lead_id: str
    enrollment_id: str  # enr_<ULID>, from (sequence, the event that enrolled the lead)
    version: int
    status: EnrollmentStatus = EnrollmentStatus.ACTIVE
    step: int = 0
    next_step_at: datetime | None = None
    # The schedule that runs the next step (removed when the enrollment stops or exits).
    pending_schedule: str | None = None
    held: bool = False  # reached a step while its sequence was paused
    exit_reason: str | None = None
    note: str | None = None  # why the next step waits or a step was skipped
    event: CampaignEvent  # the event that enrolled the lead: its lead snapshot renders
    enrolled_at: datetime
    updated_at: datetime

    def ended(self, status: EnrollmentStatus, reason: str | None, now: datetime) -> Enrollment:
        """This enrollment in a final state, with nothing pending (no next step, no schedule,
        not held)."""
        return self.model_copy(
            update={
                "status": status,
                "exit_reason": reason,
                "next_step_at": None,
                "pending_schedule": None,
                "held": False,
                "updated_at": now,
            }
        )
