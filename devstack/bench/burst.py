"""The paced burst: a backlog of recipients queued at once against a low SES send rate
(devstack/ses_rate.py), drained by the real delivery consumer as the local stack runs it (one
SQS poller, so DELIVERY_MAX_CONCURRENCY 1: the one consumer's share is the whole rate). The
figure says how long the drain took, the rate it achieved, how many SendEmail calls SES
throttled and how many records were dead-lettered. Timing is reported, never asserted."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from devstack.bench import targets

if TYPE_CHECKING:
    from devstack.ses_rate import SesSendRate

RECIPIENTS = 300
RECIPIENTS_PER_MESSAGE = 10
MAX_SEND_RATE = 40.0  # sends a second: 300 recipients take at least 7.5 s
CONCURRENCY = 1
TIMEOUT_SECONDS = 120.0


@dataclass(frozen=True)
class BurstFigure:
    recipients: int
    max_send_rate: float
    concurrency: int
    drain_seconds: float
    sent: int  # SendEmail calls SES accepted
    throttled: int  # SendEmail calls SES refused for the rate
    dead_lettered: int

    @property
    def achieved_rate(self) -> float:
        return self.sent / self.drain_seconds if self.drain_seconds > 0 else 0.0

    @property
    def throttled_fraction(self) -> float:
        calls = self.sent + self.throttled
        return self.throttled / calls if calls else 0.0


def drain(
    poll: Callable[[], object],
    rate: SesSendRate,
    recipients: int,
    dead_lettered: Callable[[], int],
    timeout_seconds: float = TIMEOUT_SECONDS,
) -> BurstFigure:
    """Poll until SES has accepted `recipients` sends (or the timeout passes)."""
    accepted, throttled = rate.accepted, rate.throttled
    started = time.monotonic()
    while rate.accepted - accepted < recipients and time.monotonic() - started < timeout_seconds:
        poll()
    return BurstFigure(
        recipients=recipients,
        max_send_rate=rate.max_send_rate,
        concurrency=CONCURRENCY,
        drain_seconds=round(time.monotonic() - started, 2),
        sent=rate.accepted - accepted,
        throttled=rate.throttled - throttled,
        dead_lettered=dead_lettered(),
    )


def document(figure: BurstFigure) -> dict[str, Any]:
    throttled_pct = round(100 * figure.throttled_fraction, 2)
    return {
        "recipients": figure.recipients,
        "maxSendRate": figure.max_send_rate,
        "concurrency": figure.concurrency,
        "drainSeconds": figure.drain_seconds,
        "achievedRate": round(figure.achieved_rate, 1),
        "sent": figure.sent,
        "throttled": figure.throttled,
        "throttledPct": throttled_pct,
        "deadLettered": figure.dead_lettered,
        "target": targets.PACED_BURST_THROTTLED_PCT,
        "verdict": targets.verdict(throttled_pct, targets.PACED_BURST_THROTTLED_PCT),
        "deadLetteredVerdict": targets.verdict(figure.dead_lettered, 0),
        "assumptions": [
            f"{figure.recipients} recipients, {RECIPIENTS_PER_MESSAGE} a message, queued at once",
            f"the local SES allows {figure.max_send_rate:g} sends/s, with one second's burst",
            f"{figure.concurrency} delivery consumer (the local stack's), paced to its share",
            "in-process moto: the drain time is this host's, the rate is SES's bound",
        ],
    }
