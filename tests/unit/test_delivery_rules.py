"""Delivery's arithmetic and tables, without AWS: retry backoff against the queue's redrive,
the claim lease, a message's outcome from its recipients, SES tag values and event kinds."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tenx_email.adapters.ses_sending import PERMANENT_CODES, TRANSIENT_CODES, tag_value
from tenx_email.models import MessageStatus, Recipient
from tenx_email.resources import DELIVERY_QUEUE, SES_EVENT_DETAIL_TYPES
from tenx_email.services import delivery, feedback

S = MessageStatus


def test_retries_back_off_exponentially_up_to_a_cap() -> None:
    delays = [delivery.retry_delay_seconds(count) for count in range(1, 10)]
    assert delays == [10, 20, 40, 80, 160, 320, 640, 900, 900]


def test_a_throttled_message_waits_most_of_an_hour_before_the_dead_letter_queue() -> None:
    # Given the delivery queue's redrive: the record is received max_receive_count times
    retries = range(1, DELIVERY_QUEUE.max_receive_count)
    # Then the delays between those receives add up to 3070 s (about 51 minutes)
    assert sum(delivery.retry_delay_seconds(count) for count in retries) == 3070
    # And no single delay exceeds what SQS allows for a visibility timeout (12 hours)
    assert delivery.RETRY_CAP_SECONDS <= 12 * 3600


def test_the_lease_outlives_any_invocation_and_expires_before_a_plain_retry() -> None:
    timeout = timedelta(seconds=DELIVERY_QUEUE.consumer_timeout_seconds)
    visibility = timedelta(seconds=DELIVERY_QUEUE.visibility_timeout_seconds)
    lease, budget = delivery.LEASE, timedelta(seconds=delivery.SES_CALL_BUDGET_SECONDS)
    # A claim can only be fresh while the invocation that made it may still run
    assert lease >= 2 * timeout
    # A record that failed without a retry delay returns after the visibility timeout: by
    # then a claim it left is stale, so that retry settles it
    assert lease < visibility
    # And an SES call never starts later than its budget before the function's timeout
    assert budget < timeout


def _recipients(*statuses: MessageStatus) -> list[Recipient]:
    return [
        Recipient(email=f"r{n}@example.org", status=status, reason=f"why {n}")
        for n, status in enumerate(statuses)
    ]


@pytest.mark.parametrize(
    ("statuses", "outcome"),
    [
        ((S.QUEUED, S.SENT), None),
        ((S.SENDING,), None),
        ((S.SENT, S.DENIED), (S.SENT, None)),
        ((S.SENT, S.FAILED, S.UNKNOWN), (S.SENT, None)),
        ((S.DELIVERED, S.BOUNCED), (S.BOUNCED, None)),
        ((S.DENIED, S.DENIED), (S.DENIED, "why 0")),
        ((S.DENIED, S.FAILED), (S.FAILED, "why 1")),
        ((S.FAILED, S.UNKNOWN), (S.UNKNOWN, "why 1")),
    ],
)
def test_a_message_takes_its_outcome_from_its_recipients(
    statuses: tuple[MessageStatus, ...], outcome: tuple[MessageStatus, str | None] | None
) -> None:
    assert delivery.outcome_of(_recipients(*statuses)) == outcome


@pytest.mark.parametrize(
    ("value", "tag"),
    [
        ("acme", "acme"),
        ("msg_01abc-DEF", "msg_01abc-DEF"),
        ("a.b@c d", "a_b_c_d"),
        ("", "_"),
        ("x" * 300, "x" * 256),
    ],
)
def test_tag_values_keep_only_what_ses_allows(value: str, tag: str) -> None:
    assert tag_value(value) == tag


def test_every_ses_error_is_either_transient_or_permanent_not_both() -> None:
    assert not TRANSIENT_CODES & PERMANENT_CODES
    assert {"TooManyRequestsException", "LimitExceededException"} <= TRANSIENT_CODES
    assert {"MessageRejected", "AccountSuspendedException"} <= PERMANENT_CODES


def test_feedback_maps_every_event_type_the_rule_lets_through() -> None:
    assert set(feedback.KINDS) == set(SES_EVENT_DETAIL_TYPES)
