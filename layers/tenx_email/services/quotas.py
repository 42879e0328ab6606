"""A handle's daily sending quota (recipients per UTC day)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime, timedelta

from tenx_email import clock, keys, sandbox
from tenx_email.dal import quotas as store
from tenx_email.errors import InvalidInput
from tenx_email.message_models import Message
from tenx_email.models import HandleAccess
from tenx_email.reputation import Counts, in_window, judge
from tenx_email.sending_models import Quota, Reputation
from tenx_email.services import ses_tenants

# What a handle may send a day until an operator sets its limit.
DEFAULT_DAILY_LIMIT = 1000
MAX_DAILY_LIMIT = 10_000_000


class DayRoom:
    """What each handle's day of sending has left for the messages a batch is making: its
    limit (DEFAULT_DAILY_LIMIT when none is set) less the day's usage as read, which the event
    projection charges for stored messages, seconds behind. Test sends are outside it."""

    def __init__(self, limit: Callable[[str], int | None], used: Callable[[str], int]) -> None:
        self._limit, self._used = limit, used
        self._room: dict[str, int] = {}

    def take(self, message: Message) -> bool:
        """Whether `message` fits in what is left of its handle's day (then it is counted)."""
        if message.test_mode:
            return True
        handle = message.handle
        if handle not in self._room:
            limit = self._limit(handle)
            self._room[handle] = (DEFAULT_DAILY_LIMIT if limit is None else limit) - self._used(
                handle
            )
        if len(message.recipients) > self._room[handle]:
            return False
        self._room[handle] -= len(message.recipients)
        return True


def prefetch(handle_name: str) -> list[keys.Key]:
    """What current_quota reads (the limit, today's usage and the reputation counts), for the
    access check to read along."""
    return [
        keys.quota(handle_name),
        keys.usage(handle_name, _today()),
        keys.reputation(handle_name),
    ]


def quota_day(now: datetime) -> str:
    """The UTC day whose usage a message sent at `now` counts against."""
    return now.strftime("%Y-%m-%d")


def _today() -> str:
    return quota_day(clock.now())


def current_quota(access: HandleAccess) -> Quota:
    day = _today()
    reading = store.read(access.handle.handle, day)
    configured = DEFAULT_DAILY_LIMIT if reading.limit is None else reading.limit
    return Quota(
        handle=access.handle.handle,
        daily_limit=sandbox.daily_limit(access.handle, configured),
        used_today=reading.used,
        day=day,
        sandbox=access.handle.sandbox,
        sending_paused=access.handle.sending_paused,
        reputation=_reputation(reading.reputation),
        ses_tenant=ses_tenants.status_of(access.handle),
    )


def _reputation(buckets: Mapping[datetime, Counts]) -> Reputation | None:
    """None while the window holds nothing to judge (a new or quiet handle)."""
    counts = in_window(buckets.items(), clock.now())
    return judge(counts).summary() if counts else None


def resets_at(quota: Quota) -> datetime:
    return datetime.strptime(quota.day, "%Y-%m-%d").replace(tzinfo=clock.now().tzinfo) + timedelta(
        days=1
    )


def set_daily_limit(handle_name: str, daily_limit: int) -> int:
    """Operators only (the admin command): 0 stops a handle's sending."""
    if not 0 <= daily_limit <= MAX_DAILY_LIMIT:
        raise InvalidInput(f"the daily limit must be 0 to {MAX_DAILY_LIMIT}")
    store.set_limit(handle_name, daily_limit)
    return daily_limit
