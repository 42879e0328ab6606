"""The feedback Lambda on moto: SES events become timeline events, forward-only statuses and
suppressions, and a duplicate changes nothing (RELIABILITY.md property 10)."""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timedelta
from typing import Any

import pytest

from functions import feedback
from tenx_email import clock
from tenx_email.dal import suppressions
from tenx_email.dal.table import table
from tenx_email.message_models import Message, MessageStatus
from tenx_email.resources import SES_EVENT_DETAIL_TYPES, SES_EVENT_SOURCE
from tenx_email.sending_models import Suppression, SuppressionSource
from tenx_email.services import delivery
from tests.integration import delivery_support as support
from tests.integration.delivery_support import (
    ACCOUNT,
    CONFIGURATION_SET,
    FROM,
    REGION,
    Context,
    Crash,
    SesSpy,
    enqueue,
    events_of,
    job,
    queue_message,
    run_delivery,
    run_delivery_dying_after_ses,
    stored,
)

ses = support.ses
queue = support.queue


def ses_event(
    event_type: str,
    message: Message,
    rcpt: int = 0,
    *,
    tags: dict[str, list[str]] | None = None,
    **detail: Any,
) -> dict[str, Any]:
    """An SES sending event as EventBridge delivers it from the configuration set."""
    recipient = message.recipients[rcpt]
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": SES_EVENT_DETAIL_TYPES[event_type],
        "source": SES_EVENT_SOURCE,
        "account": ACCOUNT,
        "time": "2026-06-12T08:00:05Z",
        "region": REGION,
        "resources": [f"arn:aws:ses:{REGION}:{ACCOUNT}:configuration-set/{CONFIGURATION_SET}"],
        "detail": {
            "eventType": event_type,
            "mail": {
                "timestamp": "2026-06-12T08:00:00.000Z",
                "source": FROM,
                "sendingAccountId": ACCOUNT,
                "messageId": recipient.ses_message_id or "ses-id-from-feedback",
                "destination": [recipient.email],
                "tags": tags
                if tags is not None
                else {
                    "ses:configuration-set": [CONFIGURATION_SET],
                    "handle": [message.handle],
                    "messageId": [message.message_id],
                    "purpose": [message.purpose.value],
                    "rcpt": [str(rcpt)],
                },
            },
            **detail,
        },
    }


HARD_BOUNCE = {
    "bounce": {
        "bounceType": "Permanent",
        "bounceSubType": "General",
        "bouncedRecipients": [{"emailAddress": "x", "status": "5.1.1"}],
    }
}


def run_feedback(*events: dict[str, Any]) -> tuple[list[str], list[str]]:
    """Invoke the feedback Lambda with one record per event; return (record ids, failures)."""
    records = [
        {
            "messageId": str(uuid.uuid4()),
            "receiptHandle": "handle",
            "body": json.dumps(event),
            "attributes": {"ApproximateReceiveCount": "1", "SentTimestamp": "0"},
            "messageAttributes": {},
            "md5OfBody": "",
            "eventSource": "aws:sqs",
            "eventSourceARN": f"arn:aws:sqs:{REGION}:{ACCOUNT}:tenx-email-test-feedback",
            "awsRegion": REGION,
        }
        for event in events
    ]
    response = feedback.handler({"Records": records}, Context())
    failed = [failure["itemIdentifier"] for failure in response["batchItemFailures"]]
    return [record["messageId"] for record in records], failed


def sent_message(queue: str, *emails: str) -> Message:
    message = queue_message(*emails)
    assert run_delivery(enqueue(queue, job(message))) == []
    return stored(message)


def test_a_delivery_moves_recipient_and_message_forward(ses: SesSpy, queue: str) -> None:
    # Given a sent message, and SES's Delivery event built from the tags delivery sent
    message = sent_message(queue, "a@example.org")
    sent_tags = {tag["Name"]: [tag["Value"]] for tag in ses.calls[0]["EmailTags"]}
    delivered_at = clock.iso(clock.now() + timedelta(milliseconds=300))
    event = ses_event("Delivery", message, tags=sent_tags, delivery={"timestamp": delivered_at})

    # When feedback handles it
    _, failed = run_feedback(event)

    # Then the recipient and the message are DELIVERED
    assert failed == []
    after = stored(message)
    assert after.recipients[0].status is MessageStatus.DELIVERED
    assert after.status is MessageStatus.DELIVERED
    # And the timeline has the DELIVERED event after SENT, at SES's millisecond timestamp
    timeline = events_of(message)
    assert [e["type"] for e in timeline] == ["SENT", "DELIVERED"]
    assert datetime.fromisoformat(timeline[1]["occurredAt"]) == datetime.fromisoformat(delivered_at)


def test_a_delivery_reported_before_the_send_call_returned_still_follows_sent(
    ses: SesSpy, queue: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a send whose SES call took two seconds, and SES's Delivery event stamped one
    # second into it (SES delivers before its API answer reaches us)
    message = queue_message("a@example.org")
    called_at: list[datetime] = []

    def slow_call() -> None:
        called_at.append(clock.now())
        monkeypatch.setattr(clock, "_offset", clock._offset + timedelta(seconds=2))

    ses.during_next_send = slow_call
    assert run_delivery(enqueue(queue, job(message))) == []
    delivered_at = clock.iso(called_at[0] + timedelta(seconds=1))
    event = ses_event("Delivery", stored(message), delivery={"timestamp": delivered_at})

    # When feedback handles it
    _, failed = run_feedback(event)

    # Then the timeline reads SENT (dated by the claim taken before the call), then DELIVERED
    assert failed == []
    timeline = events_of(message)
    assert [e["type"] for e in timeline] == ["SENT", "DELIVERED"]
    assert datetime.fromisoformat(timeline[0]["occurredAt"]) <= called_at[0]


def test_a_duplicate_event_changes_nothing(ses: SesSpy, queue: str) -> None:
    # Given a hard bounce for a sent message (property 10)
    message = sent_message(queue, "A@Example.org")
    bounce = ses_event("Bounce", message, **HARD_BOUNCE)
    run_feedback(bounce)
    first = stored(message)

    # When the same event arrives twice more, once in the same batch
    _, failed = run_feedback(bounce, bounce)

    # Then one suppression, one status move, one BOUNCED event
    assert failed == []
    assert stored(message) == first
    assert first.recipients[0].status is MessageStatus.BOUNCED
    assert first.status is MessageStatus.BOUNCED
    assert sorted(e["type"] for e in events_of(message)) == ["BOUNCED", "SENT"]
    page = suppressions.list_suppressions("acme", 10, None)
    assert [s.email for s in page.items] == ["a@example.org"]


def test_a_hard_bounce_suppresses_the_address(ses: SesSpy, queue: str) -> None:
    message = sent_message(queue, "Gone@Example.org")

    run_feedback(ses_event("Bounce", message, **HARD_BOUNCE))

    # The recipient says why, in SES's terms (the message's outcome is BOUNCED)
    bounced = stored(message)
    assert bounced.status is MessageStatus.BOUNCED
    assert bounced.recipients[0].reason == "bounced: Permanent/General"
    suppression = suppressions.get("acme", "gone@example.org")
    assert suppression is not None
    assert suppression.source is SuppressionSource.BOUNCE
    # And the next message to it is denied without an SES call
    later = sent_message(queue, "gone@example.org")
    assert later.status is MessageStatus.DENIED
    assert len(ses.calls) == 1


def test_a_soft_bounce_does_not_suppress(ses: SesSpy, queue: str) -> None:
    message = sent_message(queue, "a@example.org")
    soft = {"bounce": {"bounceType": "Transient", "bounceSubType": "MailboxFull"}}

    run_feedback(ses_event("Bounce", message, **soft))

    assert stored(message).recipients[0].status is MessageStatus.BOUNCED
    assert suppressions.get("acme", "a@example.org") is None


def test_a_complaint_suppresses_but_keeps_a_manual_suppression(ses: SesSpy, queue: str) -> None:
    # Given two sent messages, one recipient already suppressed by hand
    first = sent_message(queue, "a@example.org")
    second = sent_message(queue, "b@example.org")
    manual = Suppression(
        handle="acme",
        email="b@example.org",
        reason="asked by phone",
        source=SuppressionSource.MANUAL,
        created_at=clock.now(),
    )
    suppressions.put(manual)
    complaint = {"complaint": {"complaintFeedbackType": "abuse"}}

    # When both recipients complain
    run_feedback(
        ses_event("Complaint", first, **complaint), ses_event("Complaint", second, **complaint)
    )

    # Then both are COMPLAINED; the new suppression says complaint, the manual one is kept
    assert stored(first).status is MessageStatus.COMPLAINED
    created = suppressions.get("acme", "a@example.org")
    assert created is not None
    assert created.source is SuppressionSource.COMPLAINT
    assert suppressions.get("acme", "b@example.org") == manual


def test_a_late_delay_is_recorded_without_moving_back(ses: SesSpy, queue: str) -> None:
    # Given a delivered message
    message = sent_message(queue, "a@example.org")
    run_feedback(ses_event("Delivery", message))

    # When a DeliveryDelay arrives after it
    run_feedback(ses_event("DeliveryDelay", message, deliveryDelay={"delayType": "MailboxFull"}))

    # Then the timeline shows it, and the status stays DELIVERED
    assert stored(message).status is MessageStatus.DELIVERED
    types = sorted(e["type"] for e in events_of(message))
    assert types == ["DELIVERED", "DELIVERY_DELAYED", "SENT"]


def test_a_delay_says_why_on_the_recipient_until_the_delivery_clears_it(
    ses: SesSpy, queue: str
) -> None:
    # Given a sent message whose delivery SES delays
    message = sent_message(queue, "a@example.org")
    run_feedback(ses_event("DeliveryDelay", message, deliveryDelay={"delayType": "MailboxFull"}))
    delayed = stored(message).recipients[0]
    assert (delayed.status, delayed.reason) == (
        MessageStatus.DELIVERY_DELAYED,
        "delivery_delayed: MailboxFull",
    )

    # When it is delivered after all
    run_feedback(ses_event("Delivery", message))

    # Then the recipient is DELIVERED with no reason left over from the delay
    delivered = stored(message).recipients[0]
    assert (delivered.status, delivered.reason) == (MessageStatus.DELIVERED, None)


@pytest.mark.parametrize(
    ("event_type", "detail", "event"),
    [
        ("Reject", {"reject": {"reason": "Bad content"}}, "REJECTED"),
        ("Rendering Failure", {"failure": {"errorMessage": "x"}}, "RENDERING_FAILED"),
    ],
)
def test_a_rejection_after_sending_fails_the_recipient(
    ses: SesSpy, queue: str, event_type: str, detail: dict[str, Any], event: str
) -> None:
    message = sent_message(queue, "a@example.org")

    run_feedback(ses_event(event_type, message, **detail))

    after = stored(message)
    assert after.recipients[0].status is MessageStatus.FAILED
    assert after.status is MessageStatus.FAILED
    assert event in {e["type"] for e in events_of(message)}


def test_a_send_event_recovers_a_crashed_send(
    ses: SesSpy, queue: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a send that crashed after SES accepted it, so the recipient is left SENDING
    message = queue_message("a@example.org")
    event = enqueue(queue, job(message))
    run_delivery_dying_after_ses(ses, event)

    # When SES's Send event arrives
    run_feedback(ses_event("Send", stored(message), send={}))

    # Then the recipient is SENT with SES's id, and the retried record only concludes
    assert stored(message).recipients[0].status is MessageStatus.SENT
    assert stored(message).recipients[0].ses_message_id == "ses-id-from-feedback"
    assert run_delivery(event) == []
    assert stored(message).status is MessageStatus.SENT
    assert len(ses.calls) == 1


def test_a_send_event_after_sent_adds_nothing(ses: SesSpy, queue: str) -> None:
    message = sent_message(queue, "a@example.org")

    run_feedback(ses_event("Send", message, send={}))

    assert [e["type"] for e in events_of(message)] == ["SENT"]


def test_events_that_are_not_ours_are_dropped_and_a_malformed_one_retried(
    ses: SesSpy, queue: str
) -> None:
    # Given a batch: an event without our tags, an open, a malformed event, a bounce whose
    # tags name a recipient SES did not send it to, and a good one
    message = sent_message(queue, "a@example.org")
    foreign = ses_event("Delivery", message, tags={"ses:configuration-set": ["other"]})
    opened = ses_event("Delivery", message)
    opened["detail"]["eventType"] = "Open"
    malformed = {"detail": "nope"}
    misdirected = ses_event("Bounce", message, **HARD_BOUNCE)
    misdirected["detail"]["mail"]["destination"] = ["someone@else.example"]
    good = ses_event("Delivery", message)

    # When feedback handles it
    ids, failed = run_feedback(foreign, opened, malformed, misdirected, good)

    # Then only the malformed record is retried, and only the good one changed anything
    assert failed == [ids[2]]
    assert stored(message).status is MessageStatus.DELIVERED
    assert len(events_of(message)) == 2
    assert suppressions.get("acme", "a@example.org") is None


def test_after_a_hard_bounce_the_send_route_refuses_the_address(
    ses: SesSpy, queue: str, delivery_queue: str
) -> None:
    from tenx_email.roles import Role
    from tests.events import invoke
    from tests.integration.conftest import MEMBERS

    # Given a message to an address that then bounced hard
    message = sent_message(queue, "gone@example.org")
    run_feedback(ses_event("Bounce", message, **HARD_BOUNCE))
    # When a direct send names it again (in any case)
    status, body = invoke(
        "send_message",
        {"handle": "acme"},
        sub=MEMBERS[Role.OPERATOR],
        body={
            "senderId": support.SENDER_ID,
            "to": ["Gone@Example.org"],
            "purpose": "TRANSACTIONAL_API",
            "consentAttestation": True,
            "templateId": support.TEMPLATE_ID,
            "variables": {"firstName": "G"},
        },
    )
    # Then it is refused before anything is stored or queued
    assert (status, body["error"]) == (409, "email_recipient_suppressed")


# --- a batch's shared read, one write per event, and what changed meanwhile -----------------


def test_a_batch_reads_its_messages_once_and_writes_once_per_event(ses: SesSpy, queue: str) -> None:
    # Given three sent messages
    messages = [sent_message(queue, f"r{n}@example.org") for n in range(3)]
    # And a batch with each one's Delivery event, and a Send event that repeats a SENT
    events = [ses_event("Delivery", message) for message in messages]
    events.append(ses_event("Send", messages[0], send={}))

    # When feedback handles it
    with support.dynamodb_calls() as calls:
        _, failed = run_feedback(*events)

    # Then every message is DELIVERED, with its event
    assert failed == []
    for message in messages:
        assert stored(message).status is MessageStatus.DELIVERED
        assert sorted(e["type"] for e in events_of(message)) == ["DELIVERED", "SENT"]
    # And the batch read its messages in one call, then wrote each Delivery's event, recipient
    # and message in one update; the Send changed nothing and cost nothing
    assert dict(calls) == {"BatchGetItem": 1, "UpdateItem": 3}


def test_feedback_on_the_recipient_being_recorded_wins_and_delivery_writes_nothing_more(
    ses: SesSpy, queue: str
) -> None:
    # Given SES's Delivery event is handled while delivery is inside the SES call
    message = queue_message("a@example.org")
    ses.during_next_send = lambda: run_feedback(ses_event("Delivery", stored(message)))

    # When the record is delivered
    assert run_delivery(enqueue(queue, job(message))) == []

    # Then feedback moved the recipient and the message; delivery's write, made from its
    # claim, found both moved on and left them
    after = stored(message)
    assert after.recipients[0].status is MessageStatus.DELIVERED
    assert after.recipients[0].ses_message_id == "ses-id-from-feedback"
    assert after.status is MessageStatus.DELIVERED
    assert [e["type"] for e in events_of(message)] == ["DELIVERED"]
    assert len(ses.calls) == 1


def test_feedback_during_a_send_is_kept_and_the_message_concluded_from_a_fresh_read(
    ses: SesSpy, queue: str
) -> None:
    # Given a message to two recipients, whose first one SES reports delivered while delivery
    # is inside the second one's SES call
    message = queue_message("a@example.org", "b@example.org")
    failed: list[list[str]] = []

    def first_delivered() -> None:
        failed.append(run_feedback(ses_event("Delivery", stored(message)))[1])

    ses.during_next_send = lambda: setattr(ses, "during_next_send", first_delivered)

    # When its record is delivered
    assert run_delivery(enqueue(queue, job(message))) == []

    # Then delivery's write that would have concluded the message from what it read (a@ SENT,
    # so SENT) was refused; b@ was recorded alone, and the message concluded from a fresh read
    assert failed == [[]]
    after = stored(message)
    assert [r.status for r in after.recipients] == [MessageStatus.DELIVERED, MessageStatus.SENT]
    assert after.status is MessageStatus.DELIVERED
    assert sorted(e["type"] for e in events_of(message)) == ["DELIVERED", "SENT", "SENT"]
    assert len(ses.calls) == 2


def test_an_event_decides_again_when_its_message_changed_after_the_batch_read(
    ses: SesSpy, queue: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a message to two recipients: a@ was sent, the send to b@ crashed after SES took it
    message = queue_message("a@example.org", "b@example.org")
    record = enqueue(queue, job(message))

    def crash_on_the_next() -> None:
        ses.during_next_send = lambda: setattr(ses, "crash_after_send", True)

    ses.during_next_send = crash_on_the_next
    with pytest.raises(Crash):
        run_delivery(record)
    ses.crash_after_send = False
    sent = stored(message)
    assert [r.status for r in sent.recipients] == [MessageStatus.SENT, MessageStatus.SENDING]
    # And a feedback batch with a@'s Delivery event has read the message when, before it
    # writes, the retried delivery record finds b@'s claim past the lease and concludes the
    # message: b@ UNKNOWN, the message SENT
    monkeypatch.setattr(clock, "_offset", delivery.LEASE + timedelta(seconds=1))
    retried: list[list[str]] = []
    support.once_before("UpdateItem", lambda: retried.append(run_delivery(record)))

    # When feedback writes
    _, failed = run_feedback(ses_event("Delivery", sent))

    # Then its write, decided from the recipients it had read (b@ SENDING: no outcome yet),
    # was refused; read again, the event made a@ DELIVERED and so the message
    assert retried == [[]]
    assert failed == []
    after = stored(message)
    assert [r.status for r in after.recipients] == [
        MessageStatus.DELIVERED,
        MessageStatus.UNKNOWN,
    ]
    assert after.status is MessageStatus.DELIVERED
    assert sorted(e["type"] for e in events_of(message)) == ["DELIVERED", "SENT", "UNKNOWN"]
    assert len(ses.calls) == 2


def test_an_event_for_a_recipient_already_as_far_brings_a_lagging_message_status_along(
    ses: SesSpy, queue: str
) -> None:
    # Given a sent message whose recipient is DELIVERED while the message still says SENT (a
    # feedback Lambda died between the two writes before they were one)
    message = sent_message(queue, "a@example.org")
    table().update_item(
        Key={"PK": "HANDLE#acme", "SK": f"MSG#{message.message_id}"},
        UpdateExpression="SET recipients[0].#s = :delivered",
        ExpressionAttributeNames={"#s": "status"},
        ExpressionAttributeValues={":delivered": "DELIVERED"},
    )

    # When SES's Delivery event comes again
    _, failed = run_feedback(ses_event("Delivery", message))

    # Then the event is on the timeline and the message catches up with its recipient
    assert failed == []
    assert stored(message).status is MessageStatus.DELIVERED
    assert sorted(e["type"] for e in events_of(message)) == ["DELIVERED", "SENT"]


@pytest.mark.parametrize(
    ("event_type", "detail", "moved_to", "reason"),
    [
        ("Delivery", {"delivery": {}}, MessageStatus.DELIVERED, None),
        (
            "DeliveryDelay",
            {"deliveryDelay": {"delayType": "MailboxFull"}},
            MessageStatus.DELIVERY_DELAYED,
            "delivery_delayed: MailboxFull",
        ),
        (
            "Bounce",
            {"bounce": {"bounceType": "Permanent", "bounceSubType": "General"}},
            MessageStatus.BOUNCED,
            "bounced: Permanent/General",
        ),
        (
            "Complaint",
            {"complaint": {"complaintFeedbackType": "abuse"}},
            MessageStatus.COMPLAINED,
            "complained: abuse",
        ),
    ],
)
def test_an_unknown_recipient_is_moved_on_by_ses_reporting_what_became_of_the_send(
    ses: SesSpy,
    queue: str,
    monkeypatch: pytest.MonkeyPatch,
    event_type: str,
    detail: dict[str, Any],
    moved_to: MessageStatus,
    reason: str | None,
) -> None:
    # Given a send that died after SES took it, and so was left UNKNOWN past the lease
    message = queue_message("a@example.org")
    event = enqueue(queue, job(message))
    run_delivery_dying_after_ses(ses, event)
    monkeypatch.setattr(clock, "_offset", delivery.LEASE + timedelta(seconds=1))
    assert run_delivery(event) == []
    unknown = stored(message)
    assert (unknown.status, unknown.recipients[0].status) == (MessageStatus.UNKNOWN,) * 2

    # When SES reports the email's fate, which proves it was sent
    _, failed = run_feedback(ses_event(event_type, unknown, **detail))

    # Then recipient and message move on, the stale "unknown" reason replaced by SES's own
    # (none for a delivery), and the timeline tells both; still one SES call
    assert failed == []
    after = stored(message)
    assert (after.status, after.recipients[0].status) == (moved_to, moved_to)
    assert after.recipients[0].reason == reason
    assert after.status_reason is None
    assert sorted(e["type"] for e in events_of(message)) == sorted(["UNKNOWN", moved_to.value])
    assert len(ses.calls) == 1
