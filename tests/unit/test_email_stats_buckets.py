"""The email stats' arithmetic (services/email_stats.py): which hour an event counts in, the
buckets a range covers, and what each event adds."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from tenx_email.message_models import DeliveryEvent, EventType
from tenx_email.models import Purpose
from tenx_email.services.email_stats import bucket_starts, floor, tally
from tenx_email.stats_models import Granularity

HOUR, DAY = Granularity.HOUR, Granularity.DAY


def _event(kind: EventType, at: datetime, **changes: object) -> DeliveryEvent:
    fields: dict[str, object] = {
        "handle": "acme",
        "message_id": "msg_1",
        "event_id": f"evt_{kind.value}",
        "type": kind,
        "purpose": Purpose.TRANSACTIONAL_API,
        "occurred_at": at,
        **changes,
    }
    return DeliveryEvent.model_validate(fields)


def test_a_moment_falls_in_its_utc_hour_and_day_whatever_its_zone() -> None:
    # 00:30 in Kolkata is 19:00 UTC the day before
    kolkata = datetime(2026, 12, 8, 0, 30, tzinfo=timezone(timedelta(hours=5, minutes=30)))
    assert floor(kolkata, HOUR) == datetime(2026, 12, 7, 19, tzinfo=UTC)
    assert floor(kolkata, DAY) == datetime(2026, 12, 7, tzinfo=UTC)


def test_a_range_is_widened_to_the_buckets_it_touches() -> None:
    start = datetime(2026, 12, 7, 22, 15, tzinfo=UTC)
    end = datetime(2026, 12, 8, 1, 0, tzinfo=UTC)  # a bucket's start: not included
    assert bucket_starts(start, end, HOUR) == [
        datetime(2026, 12, 7, 22, tzinfo=UTC),
        datetime(2026, 12, 7, 23, tzinfo=UTC),
        datetime(2026, 12, 8, 0, tzinfo=UTC),
    ]
    assert bucket_starts(start, end, DAY) == [
        datetime(2026, 12, 7, tzinfo=UTC),
        datetime(2026, 12, 8, tzinfo=UTC),
    ]
    assert bucket_starts(start, start + timedelta(minutes=1), HOUR) == [
        datetime(2026, 12, 7, 22, tzinfo=UTC)
    ]


def test_each_counted_event_adds_to_its_handles_hour_overall_and_for_its_purpose() -> None:
    at = datetime(2026, 12, 7, 23, 59, 59, tzinfo=UTC)
    tallies: dict = {}
    tally(
        [
            _event(EventType.QUEUED, at),  # the message's; its recipients are `accepted`
            _event(EventType.SENT, at),
            _event(EventType.SENT, at + timedelta(seconds=1)),  # the next day's first hour
            _event(EventType.DELIVERY_DELAYED, at),  # not a counted type
            _event(EventType.SENT, at, test_mode=True),  # a test send
            _event(EventType.BOUNCED, at, purpose=Purpose.PRODUCT_NOTIFICATION),
        ],
        None,
        tallies,
    )
    late = ("acme", datetime(2026, 12, 7, 23, tzinfo=UTC))
    midnight = ("acme", datetime(2026, 12, 8, 0, tzinfo=UTC))
    assert set(tallies) == {late, midnight}
    assert dict(tallies[late]) == {
        "sent": 1,
        "sent:TRANSACTIONAL_API": 1,
        "bounced": 1,
        "bounced:PRODUCT_NOTIFICATION": 1,
    }
    assert dict(tallies[midnight]) == {"sent": 1, "sent:TRANSACTIONAL_API": 1}
