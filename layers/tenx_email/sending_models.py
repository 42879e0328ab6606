"""Domain models of what limits a handle's sending: suppressed addresses, the reputation
guard's view, the SES tenant's status and the daily quota."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from tenx_email.models import DomainModel, Purpose, SendingPause


class SuppressionSource(StrEnum):
    MANUAL = "manual"
    BOUNCE = "bounce"
    COMPLAINT = "complaint"
    UNSUBSCRIBE = "unsubscribe"


class Suppression(DomainModel):
    handle: str
    email: str  # lowercased
    reason: str
    source: SuppressionSource
    created_at: datetime
    # The purposes it stops; None: every purpose (bounces, complaints, and the default of a
    # manual one). An unsubscribe stops the purpose of the mail it came from.
    purposes: tuple[Purpose, ...] | None = None

    def applies_to(self, purpose: Purpose) -> bool:
        return self.purposes is None or purpose in self.purposes


class ReputationStatus(StrEnum):
    HEALTHY = "HEALTHY"
    WARNING = "WARNING"  # a rate is past half its pause level
    PAUSE = "PAUSE"  # a rate reached its pause level


class Reputation(DomainModel):
    """A handle's rolling counts and rates as the reputation guard judges them
    (tenx_email/reputation.py)."""

    window_hours: int
    sent: int
    bounced: int
    complained: int
    bounce_rate: float
    complaint_rate: float
    status: ReputationStatus
    reason: str | None = None


class SesTenantStatus(DomainModel):
    """A handle's SES tenant and its sending status as SES last reported it (ENABLED,
    REINSTATED, DISABLED), or UNKNOWN when SES could not be asked."""

    name: str
    sending_status: str


class Quota(DomainModel):
    """Recipients a handle may send to per UTC day."""

    handle: str
    daily_limit: int
    used_today: int
    day: str  # YYYY-MM-DD (UTC)
    sandbox: bool = False  # the limit is then the sandbox's (services/sandbox.py)
    sending_paused: SendingPause | None = None
    reputation: Reputation | None = None
    ses_tenant: SesTenantStatus | None = None
