"""Delivery's arithmetic and tables, without AWS: retry backoff against the queue's redrive,
the claim lease, a message's outcome from its recipients (and when a recipient's write also
concludes the message), SES tag values and event kinds."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tenx_email.adapters.ses_sending import PERMANENT_CODES, TRANSIENT_CODES, tag_value
from tenx_email.message_models import Message, MessageStatus, Recipient
from tenx_email.models import Purpose
from tenx_email.resources import DELIVERY_QUEUE, SES_EVENT_DETAIL_TYPES
from tenx_email.services import delivery, feedback, recipient_state

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
    assert recipient_state.outcome_of(_recipients(*statuses)) == outcome


def _message(status: MessageStatus, *statuses: MessageStatus) -> Message:
    now = datetime(2026, 6, 12, tzinfo=UTC)
    return Message(
        handle="acme",
        message_id="msg_1",
        status=status,
        purpose=Purpose.TRANSACTIONAL_API,
        sender_id="sender_notifications",
        from_name="Acme",
        from_address="notifications@example.com",
        reply_to=None,
        recipients=tuple(_recipients(*statuses)),
        subject="Hello",
        template_id="tmpl_welcome",
        template_version=1,
        variables={},
        created_at=now,
        updated_at=now,
    )


@pytest.mark.parametrize(
    ("status", "before", "recipient", "conclusion"),
    [
        # The last recipient in flight gets its outcome: the message gets it in the same write
        (S.SENDING, (S.SENT, S.SENDING), S.SENT, S.SENT),
        (S.SENDING, (S.DENIED, S.QUEUED), S.DENIED, S.DENIED),
        (S.SENDING, (S.DELIVERED, S.SENDING), S.FAILED, S.DELIVERED),
        # Another is still in flight: the message waits
        (S.SENDING, (S.SENDING, S.SENDING), S.SENT, None),
        # Feedback: only a further status moves the message
        (S.SENT, (S.SENT, S.SENT), S.DELIVERED, S.DELIVERED),
        (S.BOUNCED, (S.BOUNCED, S.SENT), S.DELIVERED, None),
        (S.DELIVERED, (S.DELIVERED,), S.DELIVERED, None),
    ],
)
def test_a_recipients_write_concludes_the_message_only_when_it_moves_it_forward(
    status: MessageStatus,
    before: tuple[MessageStatus, ...],
    recipient: MessageStatus,
    conclusion: MessageStatus | None,
) -> None:
    message = _message(status, *before)
    index = len(before) - 1
    after = recipient_state.with_recipient(message, index, status=recipient)
    assert [r.status for r in after.recipients] == [*before[:-1], recipient]
    outcome = recipient_state.conclusion(message, after)
    assert (outcome[0] if outcome else None) is conclusion


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
