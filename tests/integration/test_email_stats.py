"""A handle's email stats (GET .../email/stats) on moto: the real send route, delivery,
feedback and projection functions count what became of each email; the counts match the
messages' own timelines, a retried stream batch counts once, hours and days split at the UTC
day's boundary, a purpose filters, test sends do not count, and bad ranges are refused."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest

from functions import project_events as projection_function
from tenx_email import clock
from tenx_email.message_models import DeliveryEvent, EventType
from tenx_email.models import Purpose
from tenx_email.roles import Role
from tenx_email.services import email_stats
from tenx_email.stats_models import Granularity
from tests.events import invoke
from tests.integration import delivery_support as support
from tests.integration.conftest import MEMBERS
from tests.integration.delivery_support import (
    HANDLE,
    SesSpy,
    events_of,
    receive,
    run_delivery,
    send_direct,
    stored,
)
from tests.integration.test_feedback import HARD_BOUNCE, run_feedback, ses_event

ses = support.ses
queue = support.queue
direct_sends = support.direct_sends
OPERATOR = MEMBERS[Role.OPERATOR]
CREATOR = MEMBERS[Role.CREATOR]
COMPLAINT = {"complaint": {"complaintFeedbackType": "abuse"}}


def stats(sub: str = OPERATOR, **query: str) -> tuple[int, Any]:
    return invoke("get_email_stats", {"handle": HANDLE}, sub=sub, query=query)


def counted(**query: str) -> dict[str, Any]:
    status, body = stats(**query)
    assert status == 200, body
    return dict(body["stats"])


def event(kind: EventType, at: datetime, purpose: Purpose = Purpose.TRANSACTIONAL_API) -> Any:
    return DeliveryEvent(
        handle=HANDLE,
        message_id="msg_x",
        event_id=f"evt_{kind.value}_{at.timestamp()}",
        type=kind,
        purpose=purpose,
        occurred_at=at,
    )


def test_the_counts_are_what_the_messages_timelines_hold_once_though_batches_retry(
    direct_sends: str,
    project_events: Callable[[], int],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Given four emails sent over the route (one with two recipients) and delivered; SES
    # reports two deliveries, a hard bounce and a complaint
    for to in (["asha@example.org"], ["ravi@example.org", "mei@example.org"], ["li@example.org"]):
        assert send_direct(*to)[0] == 202
    assert run_delivery(receive(direct_sends, 3, wait_seconds=5)) == []
    ids = [
        m["messageId"]
        for m in invoke("list_messages", {"handle": HANDLE}, sub=OPERATOR)[1]["messages"]
    ]
    messages = sorted((stored_by_id(i) for i in ids), key=lambda m: m.recipients[0].email)
    asha, li, ravi_mei = messages
    reports = [
        ses_event("Delivery", asha),
        ses_event("Delivery", ravi_mei, 1),
        ses_event("Bounce", ravi_mei, 0, **HARD_BOUNCE),
        ses_event("Complaint", li, **COMPLAINT),
    ]
    for report in reports:  # reported now (the helper's events are dated in June)
        report["time"] = clock.iso(clock.now())
    assert run_feedback(*reports)[1] == []
    # ... and a projection whose every batch is handed to it twice (a retried batch)
    real = projection_function.handler
    monkeypatch.setattr(projection_function, "handler", lambda e, c: (real(e, c), real(e, c))[1])

    project_events()

    # Then the hour's counts are the timelines' events, each once
    timelines = Counter(e["type"] for m in messages for e in events_of(stored(m)))
    shown = counted(granularity="hour")
    totals = shown["totals"]
    for metric, kind in email_stats.COUNTED.items():
        assert totals[kind] == timelines.get(metric.value, 0), kind
    assert totals["accepted"] == sum(m.recipient_count for m in messages)
    assert (totals["accepted"], totals["sent"], totals["delivered"]) == (4, 4, 2)
    assert (totals["bounced"], totals["complained"]) == (1, 1)
    assert (totals["bounceRate"], totals["complaintRate"]) == (0.25, 0.25)
    assert sum(bucket["sent"] for bucket in shown["buckets"]) == 4


def stored_by_id(message_id: str) -> Any:
    from tenx_email.dal import messages as store

    found = store.get(HANDLE, message_id)
    assert found is not None
    return found


def test_hours_and_days_split_at_the_utc_days_boundary(ses: SesSpy) -> None:
    midnight = email_stats.floor(clock.now(), Granularity.DAY)
    before, after = midnight - timedelta(minutes=30), midnight + timedelta(minutes=30)
    tallies: email_stats.Tallies = {}
    email_stats.tally([event(EventType.SENT, before), event(EventType.SENT, before)], None, tallies)
    email_stats.tally(
        [event(EventType.SENT, after), event(EventType.BOUNCED, after)], None, tallies
    )
    email_stats.record(tallies, "batch-1")

    hourly = counted(
        granularity="hour",
        **{"from": (midnight - timedelta(hours=2)).isoformat()},
        to=(midnight + timedelta(hours=2)).isoformat(),
    )
    assert [b["start"] for b in hourly["buckets"]] == [
        clock.iso(midnight + timedelta(hours=n)) for n in (-2, -1, 0, 1)
    ]
    assert [b["sent"] for b in hourly["buckets"]] == [0, 2, 1, 0]
    assert [b["bounced"] for b in hourly["buckets"]] == [0, 0, 1, 0]

    daily = counted(
        granularity="day",
        **{"from": (midnight - timedelta(days=1)).isoformat()},
        to=(midnight + timedelta(days=1)).isoformat(),
    )
    assert [(b["start"], b["sent"], b["bounced"]) for b in daily["buckets"]] == [
        (clock.iso(midnight - timedelta(days=1)), 2, 0),
        (clock.iso(midnight), 1, 1),
    ]
    assert daily["buckets"][1]["bounceRate"] == 1.0
    assert (daily["from"], daily["to"]) == (
        clock.iso(midnight - timedelta(days=1)),
        clock.iso(midnight + timedelta(days=1)),
    )


def test_a_batch_recorded_twice_counts_once_and_another_batch_adds(ses: SesSpy) -> None:
    now = clock.now()
    for batch in ("batch-1", "batch-1", "batch-2"):
        tallies: email_stats.Tallies = {}
        email_stats.tally([event(EventType.DELIVERED, now)], None, tallies)
        email_stats.record(tallies, batch)
    assert counted(granularity="hour")["totals"]["delivered"] == 2


def test_a_purpose_filters_and_test_sends_never_count(ses: SesSpy) -> None:
    now = clock.now()
    test_send = event(EventType.SENT, now).model_copy(update={"test_mode": True})
    tallies: email_stats.Tallies = {}
    email_stats.tally(
        [
            event(EventType.SENT, now),
            event(EventType.SENT, now, Purpose.PRODUCT_NOTIFICATION),
            event(EventType.UNSUBSCRIBED, now, Purpose.PRODUCT_NOTIFICATION),
            test_send,
        ],
        None,
        tallies,
    )
    email_stats.record(tallies, "batch-1")
    assert counted()["totals"]["sent"] == 2
    campaign = counted(purpose="PRODUCT_NOTIFICATION")
    assert (campaign["purpose"], campaign["totals"]["sent"]) == ("PRODUCT_NOTIFICATION", 1)
    assert campaign["totals"]["unsubscribed"] == 1
    assert counted(purpose="TRANSACTIONAL_API")["totals"]["unsubscribed"] == 0


def test_without_a_range_the_last_day_by_hour_or_week_by_day(tenant: None) -> None:
    assert len(counted(granularity="hour")["buckets"]) in (24, 25)
    assert len(counted()["buckets"]) in (7, 8)
    assert counted()["granularity"] == "day"


def _iso(days: float) -> str:
    return (clock.now() + timedelta(days=days)).isoformat()


@pytest.mark.parametrize(
    ("query", "code"),
    [
        (lambda: {"from": _iso(-1), "to": _iso(-2)}, "invalid_stats_range"),
        (lambda: {"granularity": "hour", "from": _iso(-8), "to": _iso(0)}, "invalid_stats_range"),
        (lambda: {"granularity": "day", "from": _iso(-33), "to": _iso(0)}, "invalid_stats_range"),
        (lambda: {"from": _iso(-40)}, "invalid_stats_range"),  # older than what is kept
        (lambda: {"from": "0001-01-01T00:00:00+05:00"}, "invalid_stats_range"),
        (lambda: {"to": "9999-12-31T23:59:59Z"}, "invalid_stats_range"),
        (lambda: {"granularity": "week"}, "invalid_request"),
        (lambda: {"from": "2026-12-01T00:00:00"}, "invalid_request"),  # no zone
        (lambda: {"purpose": "NEWSLETTER"}, "invalid_request"),
    ],
)
def test_a_range_it_cannot_serve_is_refused_in_words(
    tenant: None, query: Callable[[], dict[str, str]], code: str
) -> None:
    status, body = stats(**query())
    assert (status, body["error"]) == (400, code)
    assert body["message"]


def test_a_creator_may_not_read_the_stats(tenant: None) -> None:
    status, body = stats(sub=CREATOR)
    assert (status, body["error"]) == (403, "insufficient_role")
