"""The reputation guard's rules: a handle's rolling bounce and complaint rates, and what they
mean (services/reputation.py applies them; docs/operations.md explains them to operators).

The rates follow how SES itself judges an account: hard (Permanent) bounces and complaints
per email sent, over a recent window. AWS reviews an account whose bounce rate reaches 5% or
whose complaint rate reaches 0.1%, and advises staying under 2% and 0.1%; the guard pauses a
handle at those review levels, so that one tenant's list never brings SES's review on every
tenant, and warns at half of them. Below MIN_SENDS sends in the window the rates say too
little (two bounces in ten sends is not a bad list), and nothing is judged.

What never counts: test sends (they go to the mailbox simulator) and mail to the simulator's
own addresses (its bounce and complaint addresses exist to produce exactly those events).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from tenx_email import test_sends
from tenx_email.message_models import DeliveryEvent, EventType
from tenx_email.sending_models import Reputation, ReputationStatus

WINDOW = timedelta(hours=24)
# Counts are kept per bucket of this length, so the window slides by buckets.
BUCKET = timedelta(minutes=10)
MIN_SENDS = 100
BOUNCE_PAUSE = 0.05
COMPLAINT_PAUSE = 0.001
WARNING_FRACTION = 0.5  # warn at half of each pause level


@dataclass(frozen=True)
class Counts:
    sent: int = 0
    bounced: int = 0  # hard bounces only
    complained: int = 0

    def __add__(self, other: Counts) -> Counts:
        return Counts(
            self.sent + other.sent,
            self.bounced + other.bounced,
            self.complained + other.complained,
        )

    def __bool__(self) -> bool:
        return bool(self.sent or self.bounced or self.complained)

    @property
    def bounce_rate(self) -> float:
        return self.bounced / self.sent if self.sent else 0.0

    @property
    def complaint_rate(self) -> float:
        return self.complained / self.sent if self.sent else 0.0


@dataclass(frozen=True)
class Judgement:
    counts: Counts
    status: ReputationStatus
    reason: str | None  # for WARNING and PAUSE: which rate, in words

    def summary(self) -> Reputation:
        return Reputation(
            window_hours=_hours(WINDOW),
            sent=self.counts.sent,
            bounced=self.counts.bounced,
            complained=self.counts.complained,
            bounce_rate=round(self.counts.bounce_rate, 6),
            complaint_rate=round(self.counts.complaint_rate, 6),
            status=self.status,
            reason=self.reason,
        )


def counted(event: DeliveryEvent) -> Counts:
    """What one timeline event adds to its handle's counts."""
    if event.test_mode or (event.recipient and test_sends.is_simulator(event.recipient)):
        return Counts()
    if event.type is EventType.SENT:
        return Counts(sent=1)
    # A bounce's detail is SES's "<bounceType>/<bounceSubType>"; soft (Transient) bounces and
    # undetermined ones are retried by SES and are not what its own bounce rate counts.
    if event.type is EventType.BOUNCED and (event.detail or "").startswith("Permanent"):
        return Counts(bounced=1)
    if event.type is EventType.COMPLAINED:
        return Counts(complained=1)
    return Counts()


def bucket_of(moment: datetime) -> datetime:
    """The start of the bucket `moment` falls in."""
    seconds = int(BUCKET.total_seconds())
    start = int(moment.timestamp()) // seconds * seconds
    return datetime.fromtimestamp(start, tz=moment.tzinfo)


def in_window(buckets: Iterable[tuple[datetime, Counts]], now: datetime) -> Counts:
    oldest = bucket_of(now - WINDOW)
    total = Counts()
    for start, counts in buckets:
        if start > oldest:
            total += counts
    return total


def judge(counts: Counts) -> Judgement:
    if counts.sent < MIN_SENDS:
        return Judgement(counts, ReputationStatus.HEALTHY, None)
    worst = ReputationStatus.HEALTHY
    reasons = []
    for name, rate, level in (
        ("bounce", counts.bounce_rate, BOUNCE_PAUSE),
        ("complaint", counts.complaint_rate, COMPLAINT_PAUSE),
    ):
        if rate >= level:
            worst = ReputationStatus.PAUSE
        elif rate >= level * WARNING_FRACTION:
            worst = worst if worst is ReputationStatus.PAUSE else ReputationStatus.WARNING
        else:
            continue
        reasons.append(
            f"{name} rate {_percent(rate)} over the last {_hours(WINDOW)} hours"
            f" ({counts.sent} sent; pause at {_percent(level)})"
        )
    return Judgement(counts, worst, "; ".join(reasons) or None)


def _percent(rate: float) -> str:
    return f"{rate * 100:.2f}".rstrip("0").rstrip(".") + "%"


def _hours(span: timedelta) -> int:
    return int(span.total_seconds() // 3600)
