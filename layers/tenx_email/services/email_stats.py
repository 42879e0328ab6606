"""A handle's email stats per hour or day (GET .../email/stats).

The event projection counts them from the table's stream, never by scanning messages: each
batch's timeline events are tallied per handle and UTC hour of the event, and each hour's
counts are added to in one write per batch (once however often the batch is retried:
dal/email_stats.py). A day is the sum of its 24 hours, read back in one Query. Test sends are
not counted (they reach the mailbox simulator, not the recipients). Every count is of
emails, one per recipient: a message to three recipients is three accepted emails (counted
when the message is stored, in the hour it was made), and each recipient's own SENT,
DELIVERED, ... events count in the hour they happened."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta

from tenx_email import clock
from tenx_email.dal import email_stats as store
from tenx_email.errors import InvalidStatsRange
from tenx_email.message_models import DeliveryEvent, EventType, Message
from tenx_email.models import HandleAccess, Purpose
from tenx_email.stats_models import EmailStats, Granularity, StatsBucket

ACCEPTED = "accepted"
# What each counted event type adds to; the timeline's other types count nowhere (QUEUED is
# the message's, once for all its recipients: `accepted` counts them from the message).
COUNTED: Mapping[EventType, str] = {
    EventType.SENT: "sent",
    EventType.DELIVERED: "delivered",
    EventType.BOUNCED: "bounced",
    EventType.COMPLAINED: "complained",
    EventType.DENIED: "denied",
    EventType.FAILED: "failed",
    EventType.UNSUBSCRIBED: "unsubscribed",
}
METRICS = (ACCEPTED, *COUNTED.values())
STEP = {Granularity.HOUR: timedelta(hours=1), Granularity.DAY: timedelta(days=1)}
# The most buckets one request may ask for, and what it gets without `from`.
MAX_BUCKETS = {Granularity.HOUR: 7 * 24, Granularity.DAY: 31}
DEFAULT_SPAN = {Granularity.HOUR: timedelta(hours=24), Granularity.DAY: timedelta(days=7)}

Tallies = dict[tuple[str, datetime], Counter[str]]  # (handle, hour) -> attribute -> emails


def tally(events: Iterable[DeliveryEvent], stored: Message | None, tallies: Tallies) -> None:
    """Add one message change to the tallies of its handle's hours: its new timeline events,
    and its recipients when the change stored it."""
    if stored is not None and not stored.test_mode:
        _add(
            tallies,
            stored.handle,
            stored.created_at,
            ACCEPTED,
            stored.purpose,
            stored.recipient_count,
        )
    for event in events:
        metric = COUNTED.get(event.type)
        if metric is not None and not event.test_mode:
            _add(tallies, event.handle, event.occurred_at, metric, event.purpose, 1)


def _add(
    tallies: Tallies, handle: str, at: datetime, metric: str, purpose: Purpose, emails: int
) -> None:
    counts = tallies.setdefault((handle, floor(at, Granularity.HOUR)), Counter())
    counts[metric] += emails
    counts[f"{metric}:{purpose.value}"] += emails


def record(tallies: Tallies, batch: str) -> None:
    now = clock.now()
    for (handle_name, hour), counts in tallies.items():
        store.add(handle_name, hour, counts, batch, now)


def floor(moment: datetime, granularity: Granularity) -> datetime:
    """The start of the UTC hour or day `moment` falls in."""
    utc = moment.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    return utc.replace(hour=0) if granularity is Granularity.DAY else utc


def bucket_starts(start: datetime, end: datetime, granularity: Granularity) -> list[datetime]:
    """The buckets that cover [start, end): from the one `start` is in to the one just
    before `end` (the one `end` is in when it falls inside it)."""
    first, step = floor(start, granularity), STEP[granularity]
    starts = []
    while first < end:
        starts.append(first)
        first += step
    return starts


def email_stats(
    access: HandleAccess,
    granularity: Granularity,
    start: datetime | None,
    end: datetime | None,
    purpose: Purpose | None,
) -> EmailStats:
    now = clock.now()
    # Checked before any arithmetic: a time centuries away would overflow it.
    kept_since = floor(now - store.RETENTION, Granularity.DAY)
    latest = now + STEP[granularity] * MAX_BUCKETS[granularity]
    for moment in (start, end):
        if moment is not None and not kept_since <= moment <= latest:
            raise InvalidStatsRange(
                f"stats are kept {store.RETENTION.days} days: `from` and `to` must lie between "
                f"{clock.iso(kept_since)} and {clock.iso(latest)}"
            )
    end = end or now
    start = start or max(end - DEFAULT_SPAN[granularity], kept_since)
    if end <= start:
        raise InvalidStatsRange("`to` must be after `from`")
    starts = bucket_starts(start, end, granularity)
    if len(starts) > MAX_BUCKETS[granularity]:
        raise InvalidStatsRange(
            f"one request covers at most {MAX_BUCKETS[granularity]} {granularity.value} buckets"
        )
    step = STEP[granularity]
    last_hour = starts[-1] + step - STEP[Granularity.HOUR]
    hours = store.between(access.handle.handle, starts[0], last_hour)
    suffix = f":{purpose.value}" if purpose else ""
    totals: dict[datetime, Counter[str]] = {bucket: Counter() for bucket in starts}
    for hour, counts in hours.items():
        bucket = floor(hour, granularity)
        if bucket in totals:
            for metric in METRICS:
                totals[bucket][metric] += counts.get(metric + suffix, 0)
    return EmailStats(
        handle=access.handle.handle,
        granularity=granularity,
        start=starts[0],
        end=starts[-1] + step,
        purpose=purpose,
        buckets=tuple(StatsBucket(start=b, **counts) for b, counts in totals.items()),
    )
