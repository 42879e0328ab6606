"""The reputation guard on moto: sends, hard bounces and complaints reach the handle's counts
through the real delivery, feedback and projection functions; a handle whose rate reaches a
pause level is paused (new sends refused, the alarm's metric emitted), one that only mailed
the simulator never is, and a retried batch counts once."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from tenx_email import clock
from tenx_email.dal import reputation as counts_store
from tenx_email.dal import tenancy
from tenx_email.message_models import Message
from tenx_email.reputation import BUCKET, Counts, bucket_of
from tenx_email.resources import HANDLE_PAUSED_METRIC
from tenx_email.services import reputation, sending_pause
from tests.events import invoke
from tests.integration import delivery_support as support
from tests.integration.delivery_support import (
    HANDLE,
    SesSpy,
    enqueue,
    job,
    queue_message,
    run_delivery,
    send_direct,
    stored,
)
from tests.integration.test_feedback import HARD_BOUNCE, run_feedback, ses_event

ses = support.ses
queue = support.queue
direct_sends = support.direct_sends
OPERATOR = "user_operator"
SOFT_BOUNCE = {"bounce": {"bounceType": "Transient", "bounceSubType": "MailboxFull"}}
COMPLAINT = {"complaint": {"complaintFeedbackType": "abuse"}}


def sent(queue: str, count: int, address: str = "reader{n}@example.org") -> list[Message]:
    """`count` messages of one recipient each, delivered (small items keep moto quick)."""
    messages = [queue_message(address.format(n=n)) for n in range(count)]
    for start in range(0, count, 10):
        assert run_delivery(enqueue(queue, *map(job, messages[start : start + 10]))) == []
    return [stored(message) for message in messages]


def report(messages: list[Message], detail: dict[str, Any]) -> None:
    kind = "Bounce" if "bounce" in detail else "Complaint"
    for start in range(0, len(messages), 10):
        chunk = messages[start : start + 10]
        _, failed = run_feedback(*(ses_event(kind, message, **detail) for message in chunk))
        assert failed == []


def quota() -> dict[str, Any]:
    status, body = invoke("get_quota", {"handle": HANDLE}, sub=OPERATOR)
    assert status == 200, body
    return dict(body["quota"])


def paused_reason() -> str | None:
    handle = tenancy.get_handle(HANDLE)
    assert handle is not None
    return handle.sending_paused.reason if handle.sending_paused else None


def test_a_handle_reaching_the_bounce_level_is_paused(
    direct_sends: str,
    project_events: Callable[[], int],
    capsys: pytest.CaptureFixture[str],
) -> None:
    # Given 100 sends, of which 5 hard-bounce (5%) and 10 soft-bounce (never counted)
    messages = sent(direct_sends, 100)
    report(messages[:5], HARD_BOUNCE)
    report(messages[10:20], SOFT_BOUNCE)

    # When the projection sees it
    project_events()

    # Then the handle is paused with the rate in words, and the alarm's metric is emitted
    reason = paused_reason()
    assert reason is not None
    assert reason.startswith("reputation guard: bounce rate 5% over the last 24 hours")
    assert HANDLE_PAUSED_METRIC in capsys.readouterr().out
    # And new sends are refused with that reason, while the quota shows the counts
    status, body = send_direct("asha@example.org")
    assert (status, body["error"]) == (403, "handle_sending_paused")
    assert "bounce rate 5%" in body["message"]
    shown = quota()["reputation"]
    assert (shown["sent"], shown["bounced"], shown["complained"]) == (100, 5, 0)
    assert (shown["bounceRate"], shown["status"]) == (0.05, "PAUSE")


def test_complaints_pause_at_a_tenth_of_a_percent(ses: SesSpy) -> None:
    reputation.record({HANDLE: Counts(sent=1000, complained=1)}, "batch-1")
    reason = paused_reason()
    assert reason is not None
    assert "complaint rate 0.1%" in reason


def test_a_rate_past_half_the_level_warns_without_pausing(ses: SesSpy) -> None:
    reputation.record({HANDLE: Counts(sent=100, bounced=3)}, "batch-1")
    assert paused_reason() is None
    shown = quota()["reputation"]
    assert (shown["status"], shown["bounceRate"]) == ("WARNING", 0.03)
    assert "bounce rate 3%" in shown["reason"]


def test_too_few_sends_are_never_judged(ses: SesSpy) -> None:
    # Half of 20 sends bounced: a bad day for a small sender, but too little to judge a list
    reputation.record({HANDLE: Counts(sent=20, bounced=10)}, "batch-1")
    assert paused_reason() is None
    assert quota()["reputation"]["status"] == "HEALTHY"


def test_mail_to_the_simulator_never_counts(
    ses: SesSpy, queue: str, project_events: Callable[[], int]
) -> None:
    # Given 100 sends to the simulator's bounce address, every one bouncing hard
    messages = sent(queue, 100, address="bounce+{n}@simulator.amazonses.com")
    report(messages, HARD_BOUNCE)
    project_events()
    # Then nothing counted: the handle is not paused and the quota shows no reputation
    assert paused_reason() is None
    assert "reputation" not in quota()


def test_resuming_starts_the_counts_again(ses: SesSpy, queue: str) -> None:
    reputation.record({HANDLE: Counts(sent=100, bounced=10)}, "batch-1")
    assert paused_reason() is not None

    # When an operator resumes after review, and one more bounce arrives
    sending_pause.resume(HANDLE)
    reputation.record({HANDLE: Counts(bounced=1)}, "batch-2")

    # Then the old rates do not pause it again
    assert paused_reason() is None
    assert (quota()["reputation"]["bounced"], quota()["reputation"]["sent"]) == (1, 0)


def test_a_retried_batch_counts_once_and_old_buckets_go(ses: SesSpy) -> None:
    now = clock.now()
    # A bucket a day and a half old, left by a handle that went quiet
    old = bucket_of(now - timedelta(hours=36))
    counts_store.add(HANDLE, old, Counts(sent=500, bounced=400), "batch-old", now)

    # When the same batch is recorded twice (a retried stream batch)
    for _ in range(2):
        reputation.record({HANDLE: Counts(sent=120, bounced=1)}, "batch-1")

    # Then it counted once, and the old bucket left the item
    buckets = counts_store.read(HANDLE)
    assert list(buckets.values()) == [Counts(sent=120, bounced=1)]
    assert paused_reason() is None


def test_buckets_slide_out_of_the_window(ses: SesSpy, monkeypatch: pytest.MonkeyPatch) -> None:
    # Given counts that paused the handle, and an operator who lifted the pause alone
    reputation.record({HANDLE: Counts(sent=200, bounced=20)}, "batch-early")
    assert paused_reason() is not None
    tenancy.set_sending_paused(HANDLE, None)
    # When a day and a bucket have passed (the service's clock, restored after the test)
    monkeypatch.setattr(clock, "_offset", clock._offset + timedelta(hours=24) + BUCKET)
    reputation.record({HANDLE: Counts(sent=1)}, "batch-late")
    # Then those bounces no longer count
    assert paused_reason() is None
    assert quota()["reputation"]["bounced"] == 0
