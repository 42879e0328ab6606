"""Pacing to SES: a delivery invocation keeps its SendEmail calls within its share of the
account's maximum send rate, so a burst (a big rule fan-out, a backlog after an outage) drains
at that rate instead of as a throttling storm.

At most DELIVERY_MAX_CONCURRENCY invocations run at once (the delivery event source's maximum
concurrency), so each one's share is SES's MaxSendRate (adapters/ses_account.py) divided by
that number, and its calls start at least 1/share seconds apart. The pacer lives in the
execution environment, which runs one invocation at a time and stays warm between them, so a
new batch does not open with a burst either. SES throttling that still happens (another
sender on the account, a lowered quota) is retried as before (services/delivery.py).
"""

from __future__ import annotations

import time
from collections.abc import Callable

from tenx_email.adapters import ses_account
from tenx_email.settings import pacing_settings, ses_settings


def share(max_send_rate: float, concurrency: int) -> float:
    """One invocation's calls a second."""
    return max_send_rate / concurrency


class Pacer:
    def __init__(
        self,
        rate: Callable[[], float],
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._rate, self._clock, self._sleep = rate, clock, sleep
        self._next = float("-inf")  # when the next call may start (self._clock's time)

    def take_turn(self, latest: float) -> bool:
        """Wait until the next call may start and claim that turn; False at once, claiming
        nothing, when the turn would come after `latest`."""
        now = self._clock()
        start = max(now, self._next)
        if start > latest:
            return False
        self._next = start + 1 / self._rate()
        if start > now:
            self._sleep(start - now)
        return True


def _invocation_rate() -> float:
    return share(
        ses_account.max_send_rate(ses_settings().ses_region),
        pacing_settings().delivery_max_concurrency,
    )


PACER = Pacer(_invocation_rate)
