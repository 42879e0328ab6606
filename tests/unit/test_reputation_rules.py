"""The reputation guard's rules: which events count, the window, and the levels."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tenx_email.message_models import DeliveryEvent, EventType
from tenx_email.models import Purpose
from tenx_email.reputation import BUCKET, WINDOW, Counts, bucket_of, counted, in_window, judge
from tenx_email.sending_models import ReputationStatus

NOW = datetime(2026, 12, 3, 10, 7, 30, tzinfo=UTC)


def event(type_: EventType, detail: str | None = None, **changes: object) -> DeliveryEvent:
    fields: dict[str, object] = {
        "handle": "acme",
        "message_id": "msg_1",
        "event_id": "01",
        "type": type_,
        "purpose": Purpose.TRANSACTIONAL_API,
        "recipient": "asha@example.org",
        "detail": detail,
        "occurred_at": NOW,
        **changes,
    }
    return DeliveryEvent.model_validate(fields)


@pytest.mark.parametrize(
    ("type_", "detail", "expected"),
    [
        (EventType.SENT, None, Counts(sent=1)),
        (EventType.BOUNCED, "Permanent/General", Counts(bounced=1)),
        (EventType.BOUNCED, "Transient/MailboxFull", Counts()),
        (EventType.BOUNCED, "Undetermined/Undetermined", Counts()),
        (EventType.COMPLAINED, "abuse", Counts(complained=1)),
        (EventType.DELIVERED, None, Counts()),
    ],
)
def test_what_an_event_counts(type_: EventType, detail: str | None, expected: Counts) -> None:
    assert counted(event(type_, detail)) == expected


def test_test_sends_and_simulator_mail_never_count() -> None:
    assert counted(event(EventType.BOUNCED, "Permanent/General", test_mode=True)) == Counts()
    simulator = "bounce+7@simulator.amazonses.com"
    assert counted(event(EventType.SENT, recipient=simulator)) == Counts()


def test_buckets_start_on_the_ten_minutes_and_the_window_drops_the_oldest() -> None:
    assert bucket_of(NOW) == datetime(2026, 12, 3, 10, 0, tzinfo=UTC)
    recent = (bucket_of(NOW - WINDOW + BUCKET), Counts(sent=1))
    expired = (bucket_of(NOW - WINDOW), Counts(sent=100))
    assert in_window([recent, expired], NOW) == Counts(sent=1)


@pytest.mark.parametrize(
    ("counts", "status"),
    [
        (Counts(sent=99, bounced=99), ReputationStatus.HEALTHY),  # too few to judge
        (Counts(sent=1000, bounced=24), ReputationStatus.HEALTHY),
        (Counts(sent=1000, bounced=25), ReputationStatus.WARNING),
        (Counts(sent=1000, bounced=50), ReputationStatus.PAUSE),
        (Counts(sent=10_000, complained=5), ReputationStatus.WARNING),
        (Counts(sent=10_000, complained=10), ReputationStatus.PAUSE),
        (Counts(sent=1000, bounced=50, complained=0), ReputationStatus.PAUSE),
    ],
)
def test_the_levels(counts: Counts, status: ReputationStatus) -> None:
    assert judge(counts).status is status


def test_the_reason_names_each_rate_in_words() -> None:
    reason = judge(Counts(sent=2000, bounced=150, complained=1)).reason
    assert reason == (
        "bounce rate 7.5% over the last 24 hours (2000 sent; pause at 5%); "
        "complaint rate 0.05% over the last 24 hours (2000 sent; pause at 0.1%)"
    )
    assert judge(Counts(sent=2000)).reason is None
