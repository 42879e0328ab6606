"""Domain models of a handle's email stats: counts per hour or day bucket, and the rates the
reputation guard and SES judge a sender by."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from tenx_email.models import DomainModel, Purpose


class Granularity(StrEnum):
    HOUR = "hour"
    DAY = "day"


class StatsBucket(DomainModel):
    """One bucket's emails (a message's recipients each count), by what became of them."""

    start: datetime
    accepted: int = 0
    sent: int = 0
    delivered: int = 0
    bounced: int = 0
    complained: int = 0
    denied: int = 0
    failed: int = 0
    unsubscribed: int = 0

    @property
    def bounce_rate(self) -> float:
        """Bounces per email sent, as SES computes its account's rate."""
        return self.bounced / self.sent if self.sent else 0.0

    @property
    def complaint_rate(self) -> float:
        return self.complained / self.sent if self.sent else 0.0


class EmailStats(DomainModel):
    handle: str
    granularity: Granularity
    start: datetime  # the first bucket's start
    end: datetime  # the last bucket's end
    purpose: Purpose | None  # the filter, when asked for one
    buckets: tuple[StatsBucket, ...]
