"""The delivery Lambda on moto: one SES call per recipient, whatever SQS, SES or a crash does
(RELIABILITY.md properties 1-7)."""

from __future__ import annotations

import json
import logging
from datetime import timedelta
from typing import Any

import pytest
from botocore.exceptions import ClientError
from moto.ses.models import ses_backends

from tenx_email import clock, keys
from tenx_email.dal import delivery_reads as reads
from tenx_email.dal import domains, tenancy
from tenx_email.dal.message_items import SuppressionItem
from tenx_email.dal.table import table
from tenx_email.identity_models import IdentityStatus
from tenx_email.message_models import MessageStatus
from tenx_email.models import HandleStatus, Purpose
from tenx_email.roles import Role
from tenx_email.sending_models import Suppression, SuppressionSource
from tenx_email.services import delivery, senders
from tests.events import invoke
from tests.integration import delivery_support as support
from tests.integration.conftest import MEMBERS
from tests.integration.delivery_support import (
    ACCOUNT,
    CONFIGURATION_SET,
    FROM,
    REGION,
    SENDER_ID,
    SesSpy,
    enqueue,
    events_of,
    job,
    queue_message,
    run_delivery,
    run_delivery_dying_after_ses,
    second_consumer,
    seconds_until_visible,
    stored,
)

ses = support.ses
queue = support.queue
OPERATOR = MEMBERS[Role.OPERATOR]


def _moto_sent() -> list[str]:
    return [
        address
        for message in ses_backends[ACCOUNT][REGION].sent_messages
        for address in message.destinations["ToAddresses"]
    ]


def _past_the_lease(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(clock, "_offset", delivery.LEASE + timedelta(seconds=1))


def test_each_recipient_gets_one_ses_call_with_the_rendered_content(
    ses: SesSpy, queue: str
) -> None:
    # Given a queued message to two recipients
    message = queue_message("a@example.org", "b@example.org")

    # When its record is delivered
    failures = run_delivery(enqueue(queue, job(message)))

    # Then each recipient got one SendEmail of its own, and SES (moto) took both
    assert failures == []
    assert ses.sent_to() == ["a@example.org", "b@example.org"]
    assert _moto_sent() == ["a@example.org", "b@example.org"]
    first = ses.calls[0]
    assert first["FromEmailAddress"] == FROM
    assert first["ReplyToAddresses"] == ["support@example.com"]
    assert first["ConfigurationSetName"] == CONFIGURATION_SET
    simple = first["Content"]["Simple"]
    assert simple["Subject"] == {"Data": "Hello Asha", "Charset": "UTF-8"}
    # And the bodies come from the template version, values escaped in html only
    assert simple["Body"]["Html"] == {"Data": "<p>Hi Asha &lt;3</p>", "Charset": "UTF-8"}
    assert simple["Body"]["Text"] == {"Data": "Hi Asha <3", "Charset": "UTF-8"}
    # And the tags lead feedback back to the message and recipient
    assert {tag["Name"]: tag["Value"] for tag in first["EmailTags"]} == {
        "handle": "acme",
        "messageId": message.message_id,
        "purpose": "TRANSACTIONAL_API",
        "rcpt": "0",
    }
    # And both recipients are SENT with SES's id, each with a SENT event, and so is the message
    after = stored(message)
    assert after.status is MessageStatus.SENT
    assert [r.status for r in after.recipients] == [MessageStatus.SENT] * 2
    assert all(r.ses_message_id for r in after.recipients)
    assert sorted(e["type"] for e in events_of(message)) == ["SENT", "SENT"]
    # And its claims and outcomes never put the message item in an index
    key = keys.message(message.handle, message.message_id)
    item = table().get_item(Key=key, ConsistentRead=True)["Item"]
    assert not [name for name in item if name.startswith("GSI")], item


def test_the_same_record_twice_sends_once(ses: SesSpy, queue: str) -> None:
    # Given a delivered message (property 1)
    message = queue_message("a@example.org", "b@example.org")
    event = enqueue(queue, job(message))
    run_delivery(event)

    # When the same record, and a duplicate of it, arrive again
    again = run_delivery(event)
    duplicate = run_delivery(enqueue(queue, job(message)))

    # Then both succeed without another SES call or event
    assert again == duplicate == []
    assert ses.sent_to() == ["a@example.org", "b@example.org"]
    assert len(events_of(message)) == 2


def test_two_consumers_at_once_send_once(ses: SesSpy, queue: str) -> None:
    # Given one message whose record two consumers receive at the same time (property 2)
    message = queue_message("a@example.org")
    first, second = enqueue(queue, job(message)), enqueue(queue, job(message))
    elsewhere = second_consumer()
    inner: list[list[str]] = []
    # The second runs while the first is inside its SES call, holding the claim
    ses.during_next_send = lambda: inner.append(run_delivery(second, elsewhere))

    # When the first delivers
    outer = run_delivery(first)

    # Then exactly one SES call went out; the loser reported its record for a retry
    assert ses.sent_to() == ["a@example.org"]
    assert outer == []
    assert inner == [[second["Records"][0]["messageId"]]]
    assert stored(message).status is MessageStatus.SENT
    # And its retry is a no-op
    assert run_delivery(second, elsewhere) == []
    assert len(ses.calls) == 1


def test_two_consumers_that_both_read_the_recipients_queued_send_once_each(
    ses: SesSpy, queue: str
) -> None:
    # Given two consumers of one message that both read its two recipients QUEUED: the second
    # runs just before the first writes its first claim, sends to a@ and is throttled on b@,
    # so the message is still SENDING when the first goes on (property 2)
    message = queue_message("a@example.org", "b@example.org")
    first, second = enqueue(queue, job(message)), enqueue(queue, job(message))
    elsewhere = second_consumer()
    inner: list[list[str]] = []
    client = table().meta.client
    ses.errors["b@example.org"] = "TooManyRequestsException"

    def before_first_claim(**_: object) -> None:
        client.meta.events.unregister("before-call.dynamodb.UpdateItem", before_first_claim)
        inner.append(run_delivery(second, elsewhere))
        del ses.errors["b@example.org"]

    client.meta.events.register("before-call.dynamodb.UpdateItem", before_first_claim)

    # When the first delivers
    outer = run_delivery(first)

    # Then each recipient was accepted by SES exactly once: the first's stale claim on a@
    # failed, and it took over b@, whose claim the second had given back
    assert inner == [[second["Records"][0]["messageId"]]]
    assert outer == []
    assert sorted(_moto_sent()) == ["a@example.org", "b@example.org"]
    after = stored(message)
    assert after.status is MessageStatus.SENT
    assert [r.status for r in after.recipients] == [MessageStatus.SENT] * 2
    assert [e["type"] for e in events_of(message)] == ["SENT", "SENT"]


def test_a_stale_read_never_claims_over_a_live_claim(ses: SesSpy, queue: str) -> None:
    # Given two consumers that both read the recipient QUEUED; the second claims it and dies
    # inside its SES call (after SES took the message), just before the first claims
    message = queue_message("a@example.org")
    first, second = enqueue(queue, job(message)), enqueue(queue, job(message))
    elsewhere = second_consumer()
    client = table().meta.client

    def before_first_claim(**_: object) -> None:
        client.meta.events.unregister("before-call.dynamodb.UpdateItem", before_first_claim)
        run_delivery_dying_after_ses(ses, second, elsewhere)

    client.meta.events.register("before-call.dynamodb.UpdateItem", before_first_claim)

    # When the first goes on with what it read
    outer = run_delivery(first)

    # Then its claim fails on the live one: no second SES call, its record comes back later
    assert outer == [first["Records"][0]["messageId"]]
    assert len(ses.calls) == 1
    assert stored(message).recipients[0].status is MessageStatus.SENDING


@pytest.mark.parametrize("failing", ["throttled", "malformed"])
def test_only_the_failing_record_of_a_batch_is_reported(
    ses: SesSpy, queue: str, failing: str
) -> None:
    # Given a batch of three records whose middle one fails (property 3)
    messages = [queue_message(f"r{n}@example.org") for n in range(3)]
    bodies: list[dict[str, str] | str] = [job(message) for message in messages]
    if failing == "throttled":
        ses.errors["r1@example.org"] = "TooManyRequestsException"
    else:
        bodies[1] = "not json"
    event = enqueue(queue, *bodies)
    middle_body = bodies[1] if isinstance(bodies[1], str) else json.dumps(bodies[1])
    middle = next(r["messageId"] for r in event["Records"] if r["body"] == middle_body)

    # When the batch is delivered
    failures = run_delivery(event)

    # Then exactly that record is reported, and the others were sent
    assert failures == [middle]
    assert stored(messages[0]).status is MessageStatus.SENT
    assert stored(messages[2]).status is MessageStatus.SENT


@pytest.mark.parametrize(
    "code",
    [
        "TooManyRequestsException",
        "ThrottlingException",
        "LimitExceededException",
        "SendingPausedException",
    ],
)
def test_a_throttled_send_is_released_and_retried_with_backoff(
    ses: SesSpy, queue: str, code: str
) -> None:
    # Given SES throttles the only recipient (property 4)
    message = queue_message("a@example.org")
    ses.errors["a@example.org"] = code
    event = enqueue(queue, job(message))

    # When the record is delivered
    failures = run_delivery(event)

    # Then it is reported for a retry, the claim is given back, and nothing is SENT
    assert failures == [event["Records"][0]["messageId"]]
    after = stored(message)
    assert after.recipients[0].status is MessageStatus.QUEUED
    assert after.recipients[0].claimed_at is None
    assert after.status is MessageStatus.SENDING
    assert _moto_sent() == []
    # And it comes back after the first backoff step, not after the visibility timeout
    (invisible,) = seconds_until_visible(queue)
    assert delivery.retry_delay_seconds(1) - 2 < invisible <= delivery.retry_delay_seconds(1)

    # When SES takes it on the retry
    del ses.errors["a@example.org"]
    retried = run_delivery(support.receive_again(queue, event))

    # Then it is sent exactly once
    assert retried == []
    assert _moto_sent() == ["a@example.org"]
    assert stored(message).status is MessageStatus.SENT


def test_a_permanent_rejection_fails_at_once_with_the_reason(ses: SesSpy, queue: str) -> None:
    # Given SES refuses one of two recipients for good (property 5)
    message = queue_message("a@example.org", "bad@example.org")
    ses.errors["bad@example.org"] = "MessageRejected"
    event = enqueue(queue, job(message))

    # When the record is delivered
    failures = run_delivery(event)

    # Then nothing is retried: that recipient FAILED with SES's reason, the other was SENT
    assert failures == []
    after = stored(message)
    assert after.recipients[0].status is MessageStatus.SENT
    rejected = after.recipients[1]
    assert rejected.status is MessageStatus.FAILED
    assert rejected.reason is not None
    assert rejected.reason.startswith("MessageRejected: ")
    assert sorted(e["type"] for e in events_of(message)) == ["FAILED", "SENT"]
    # And the message counts as sent, since one recipient got it
    assert after.status is MessageStatus.SENT
    # And a redelivery sends nothing more
    run_delivery(event)
    assert len(ses.calls) == 2


def test_a_message_refused_for_every_recipient_is_failed(ses: SesSpy, queue: str) -> None:
    message = queue_message("bad@example.org")
    ses.errors["bad@example.org"] = "MailFromDomainNotVerifiedException"

    assert run_delivery(enqueue(queue, job(message))) == []

    after = stored(message)
    assert after.status is MessageStatus.FAILED
    assert after.status_reason == after.recipients[0].reason


def test_a_crash_after_ses_accepted_is_never_resent(
    ses: SesSpy, queue: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given the invocation dies after SES accepted the send, before it was recorded (property 6)
    message = queue_message("a@example.org")
    event = enqueue(queue, job(message))
    run_delivery_dying_after_ses(ses, event)
    assert stored(message).recipients[0].status is MessageStatus.SENDING

    # When the record comes back while the claim is fresh
    fresh = run_delivery(event)

    # Then it is retried later and SES is not called again
    assert fresh == [event["Records"][0]["messageId"]]
    assert len(ses.calls) == 1

    # When it comes back after the lease
    _past_the_lease(monkeypatch)
    late = run_delivery(event)

    # Then the recipient is UNKNOWN, with the policy on the timeline, and still one SES call
    assert late == []
    after = stored(message)
    assert after.recipients[0].status is MessageStatus.UNKNOWN
    assert after.status is MessageStatus.UNKNOWN
    assert after.recipients[0].reason == delivery.UNKNOWN_REASON
    (unknown,) = events_of(message)
    assert unknown["type"] == "UNKNOWN"
    assert unknown["detail"] == delivery.UNKNOWN_REASON
    assert len(ses.calls) == 1


@pytest.mark.parametrize("code", ["InternalFailure", "SomethingNew"])
def test_an_ses_error_that_may_hide_a_send_is_not_retried(
    ses: SesSpy, queue: str, monkeypatch: pytest.MonkeyPatch, code: str
) -> None:
    # Given SES answers with an error that does not say the message was not taken
    message = queue_message("a@example.org")
    ses.errors["a@example.org"] = code
    event = enqueue(queue, job(message))

    # When the record is delivered, and again after the lease
    first = run_delivery(event)
    _past_the_lease(monkeypatch)
    second = run_delivery(event)

    # Then the first attempt is retried, the second finds the claim stale: UNKNOWN, one call
    assert first == [event["Records"][0]["messageId"]]
    assert second == []
    assert stored(message).recipients[0].status is MessageStatus.UNKNOWN
    assert len(ses.calls) == 1


def _disable_sender() -> None:
    senders.put_sender(
        support.operator_access(),
        SENDER_ID,
        senders.SenderDraft(
            domain="example.com",
            local_part="notifications",
            display_name="Acme Notifications",
            reply_to=None,
            purposes=(Purpose.TRANSACTIONAL_API,),
            enabled=False,
        ),
    )


def _domain_not_ready() -> None:
    identity = domains.get("acc_demo", "example.com")
    assert identity is not None
    domains.save(identity.model_copy(update={"status": IdentityStatus.FAILED}))


def _handle_inactive() -> None:
    tenancy.set_handle_status("acme", HandleStatus.INACTIVE)


def _purpose_removed() -> None:
    senders.put_sender(
        support.operator_access(),
        SENDER_ID,
        senders.SenderDraft(
            domain="example.com",
            local_part="notifications",
            display_name="Acme Notifications",
            reply_to=None,
            purposes=(Purpose.PRODUCT_NOTIFICATION,),
            enabled=True,
        ),
    )


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (_disable_sender, "sender_profile_not_ready"),
        (_domain_not_ready, "domain_email_identity_not_ready"),
        (_handle_inactive, "handle_inactive"),
        (_purpose_removed, "sender_purpose_not_allowed"),
    ],
    ids=["sender-disabled", "domain-not-ready", "handle-inactive", "purpose-removed"],
)
def test_a_change_after_queueing_denies_the_message_without_sending(
    ses: SesSpy, queue: str, change: object, reason: str
) -> None:
    # Given a queued message, and then a change that forbids sending it (property 7)
    message = queue_message("a@example.org", "b@example.org")
    assert callable(change)
    change()

    # When its record is delivered
    failures = run_delivery(enqueue(queue, job(message)))

    # Then SES is never called; the message and each recipient are DENIED with the reason
    assert failures == []
    assert ses.calls == []
    after = stored(message)
    assert after.status is MessageStatus.DENIED
    assert after.status_reason == reason
    assert {(r.status, r.reason) for r in after.recipients} == {(MessageStatus.DENIED, reason)}
    assert [e["type"] for e in events_of(message)] == ["DENIED", "DENIED"]


def test_a_suppressed_recipient_is_denied_and_the_others_sent(ses: SesSpy, queue: str) -> None:
    # Given a message to two recipients, one suppressed after queueing (any case)
    message = queue_message("Gone@Example.org", "b@example.org")
    suppression = Suppression(
        handle="acme",
        email="gone@example.org",
        reason="manual",
        source=SuppressionSource.MANUAL,
        created_at=clock.now(),
    )
    table().put_item(Item=SuppressionItem.from_domain(suppression).to_item())

    # When it is delivered
    assert run_delivery(enqueue(queue, job(message))) == []

    # Then SES was only called for the other one
    assert ses.sent_to() == ["b@example.org"]
    after = stored(message)
    assert after.recipients[0].status is MessageStatus.DENIED
    assert after.recipients[0].reason == delivery.SUPPRESSED
    assert after.recipients[1].status is MessageStatus.SENT
    assert after.status is MessageStatus.SENT


def test_a_record_younger_than_its_message_is_retried(ses: SesSpy, queue: str) -> None:
    # Given a record whose message is not stored yet (the send route stores after enqueueing)
    message_id = "msg_not_yet_stored"
    event = enqueue(queue, {"handle": "acme", "messageId": message_id})

    # When it is delivered
    failures = run_delivery(event)

    # Then it comes back soon
    assert failures == [event["Records"][0]["messageId"]]
    (invisible,) = seconds_until_visible(queue)
    assert invisible <= delivery.retry_delay_seconds(1)

    # And once the message is stored, the retry sends it
    queue_message("a@example.org", message_id=message_id)
    assert run_delivery(support.receive_again(queue, event)) == []
    assert ses.sent_to() == ["a@example.org"]


def test_an_old_record_without_its_message_is_dropped(ses: SesSpy, queue: str) -> None:
    # Given a record older than the grace period whose message was never stored
    event = enqueue(queue, {"handle": "acme", "messageId": "msg_never_stored"})
    grace_ms = (delivery.MISSING_MESSAGE_GRACE_SECONDS + 1) * 1000
    attributes = event["Records"][0]["attributes"]
    attributes["SentTimestamp"] = str(int(attributes["SentTimestamp"]) - grace_ms)

    # When it is delivered
    failures = run_delivery(event)

    # Then it succeeds (the request that enqueued it failed) and nothing is sent
    assert failures == []
    assert ses.calls == []


def test_a_subject_with_a_line_break_is_never_sent(ses: SesSpy, queue: str) -> None:
    # Given a stored message whose subject would inject a header
    message = queue_message("a@example.org")
    table().update_item(
        Key={"PK": "HANDLE#acme", "SK": f"MSG#{message.message_id}"},
        UpdateExpression="SET subject = :s",
        ExpressionAttributeValues={":s": "Hi\r\nBcc: victim@example.org"},
    )

    # When it is delivered
    assert run_delivery(enqueue(queue, job(message))) == []

    # Then SES is not called and the message FAILED
    assert ses.calls == []
    assert stored(message).recipients[0].reason == "unsafe_header"
    assert stored(message).status is MessageStatus.FAILED


def test_no_ses_call_starts_without_time_to_record_it(ses: SesSpy, queue: str) -> None:
    # Given an invocation with less time left than one SES call may take
    message = queue_message("a@example.org")
    event = enqueue(queue, job(message))
    context = support.Context(remaining_ms=(delivery.SES_CALL_BUDGET_SECONDS - 1) * 1000)

    # When the record is delivered
    response = support.deliver.handler(event, context)

    # Then it is retried later, unclaimed, and SES was not called
    assert response["batchItemFailures"] == [{"itemIdentifier": event["Records"][0]["messageId"]}]
    assert ses.calls == []
    assert stored(message).recipients[0].status is MessageStatus.QUEUED


def test_no_address_subject_body_or_variable_reaches_the_logs(
    ses: SesSpy, queue: str, caplog: pytest.LogCaptureFixture
) -> None:
    # Given messages that take every path: sent, throttled, refused (SES quotes the address),
    # unknown outcome, suppressed, and a record whose message is missing
    messages = [
        queue_message("sent@example.org"),
        queue_message("throttled@example.org"),
        queue_message("refused@example.org"),
        queue_message("unknown@example.org"),
    ]
    ses.errors |= {
        "throttled@example.org": "TooManyRequestsException",
        "refused@example.org": "MessageRejected",
        "unknown@example.org": "InternalFailure",
    }
    bodies = [job(message) for message in messages] + [{"handle": "acme", "messageId": "msg_x"}]

    # When they are delivered
    run_delivery(enqueue(queue, *bodies))

    # Then the logs carry ids and codes only (every record's fields, extras and tracebacks)
    logged = " ".join(
        f"{vars(record)} {logging.Formatter().formatException(record.exc_info)}"
        if record.exc_info
        else str(vars(record))
        for record in caplog.records
    )
    assert "message_id" in logged
    assert "InternalFailure" in logged
    for secret in ("@example.org", "Hello Asha", "Hi Asha", "Asha &lt;3", "Asha <3"):
        assert secret not in logged


# --- a batch's shared reads ------------------------------------------------------------------


def test_a_batch_shares_its_reads_and_writes_each_recipient_once(ses: SesSpy, queue: str) -> None:
    # Given a batch of ten records: nine messages to one recipient, one to two
    messages = [queue_message(f"r{n}@example.org") for n in range(9)]
    messages.append(queue_message("x@example.org", "y@example.org"))
    event = enqueue(queue, *(job(message) for message in messages))

    # When it is delivered
    with support.dynamodb_calls() as calls:
        failures = run_delivery(event)

    # Then every message is SENT, with one SENT event per recipient
    assert failures == []
    assert len(ses.calls) == 11
    for message in messages:
        after = stored(message)
        assert after.status is MessageStatus.SENT
        assert {r.status for r in after.recipients} == {MessageStatus.SENT}
        assert [e["type"] for e in events_of(message)] == ["SENT"] * len(message.recipients)
    # And the batch read all it needed in two BatchGetItems, then each recipient cost its claim
    # and one write (its outcome and event, and the last one's the message's status too)
    assert dict(calls) == {"BatchGetItem": 2, "UpdateItem": 22}


def test_a_duplicate_record_in_the_batch_costs_no_call(ses: SesSpy, queue: str) -> None:
    # Given a batch that holds the same message's record twice (SQS delivers at least once)
    message = queue_message("a@example.org")
    event = enqueue(queue, job(message), job(message))

    # When it is delivered
    with support.dynamodb_calls() as calls:
        failures = run_delivery(event)

    # Then both records succeed, one SES call, and the second one knew it was done
    assert failures == []
    assert len(ses.calls) == 1
    assert stored(message).status is MessageStatus.SENT
    assert dict(calls) == {"BatchGetItem": 2, "UpdateItem": 2}


def test_a_message_the_batch_read_cannot_parse_fails_alone(ses: SesSpy, queue: str) -> None:
    # Given a batch whose middle message's stored item is broken
    first, broken, last = (queue_message(f"{name}@example.org") for name in ("a", "b", "c"))
    table().update_item(
        Key={"PK": "HANDLE#acme", "SK": f"MSG#{broken.message_id}"},
        UpdateExpression="REMOVE subject",
    )
    event = enqueue(queue, job(first), job(broken), job(last))

    # When it is delivered
    failures = run_delivery(event)

    # Then only that record failed (it read its message again on its own), the others were sent
    (broken_record,) = [r["messageId"] for r in event["Records"] if broken.message_id in r["body"]]
    assert failures == [broken_record]
    assert sorted(ses.sent_to()) == ["a@example.org", "c@example.org"]
    assert stored(first).status is stored(last).status is MessageStatus.SENT


def test_a_failed_batch_read_leaves_each_record_to_read_on_its_own(ses: SesSpy, queue: str) -> None:
    # Given a batch whose shared read DynamoDB throttles
    messages = [queue_message(f"r{n}@example.org") for n in range(3)]
    event = enqueue(queue, *(job(message) for message in messages))
    client = table().meta.client

    def throttle(**_: object) -> None:
        client.meta.events.unregister("before-call.dynamodb.BatchGetItem", throttle)
        raise ClientError(
            {"Error": {"Code": "ProvisionedThroughputExceededException", "Message": "injected"}},
            "BatchGetItem",
        )

    client.meta.events.register("before-call.dynamodb.BatchGetItem", throttle)

    # When it is delivered
    with support.dynamodb_calls() as calls:
        failures = run_delivery(event)

    # Then every record read its own message and re-check, and was sent
    assert failures == []
    assert sorted(ses.sent_to()) == [f"r{n}@example.org" for n in range(3)]
    assert all(stored(message).status is MessageStatus.SENT for message in messages)
    assert calls["GetItem"] == 6  # each its message and its domain identity


def test_the_batch_read_asks_for_at_most_100_keys_a_call(ses: SesSpy, queue: str) -> None:
    # Given three queued messages of 40 recipients each, two of those addresses suppressed
    messages = [queue_message(*(f"m{m}r{r}@example.org" for r in range(40))) for m in range(3)]
    for email in ("m0r1@example.org", "m2r39@example.org"):
        suppression = Suppression(
            handle="acme",
            email=email,
            reason="manual",
            source=SuppressionSource.MANUAL,
            created_at=clock.now(),
        )
        table().put_item(Item=SuppressionItem.from_domain(suppression).to_item())
    sizes: list[int] = []

    def count_keys(params: dict[str, Any], **_: object) -> None:
        sizes.append(sum(len(request["Keys"]) for request in params["RequestItems"].values()))

    client = table().meta.client
    client.meta.events.register("before-parameter-build.dynamodb.BatchGetItem", count_keys)

    # When the delivery batch reads them
    try:
        loaded = reads.load_batch((m.handle, m.message_id) for m in messages)
    finally:
        client.meta.events.unregister("before-parameter-build.dynamodb.BatchGetItem", count_keys)

    # Then the messages and handle took one call, and their 120 suppressions (plus the shared
    # sender, template version and identity) two calls under DynamoDB's limit
    assert sizes == [4, 100, 23]
    rechecks = [loaded[(m.handle, m.message_id)].recheck for m in messages]
    assert [r.suppressed if r else None for r in rechecks] == [
        frozenset({"m0r1@example.org"}),
        frozenset(),
        frozenset({"m2r39@example.org"}),
    ]
    assert all(
        r is not None and r.sender and r.version and r.identity and r.handle for r in rechecks
    )


def test_a_messages_events_page_through_the_timeline_on_its_item(ses: SesSpy, queue: str) -> None:
    # Given a message whose three recipients were sent, and another message
    message = queue_message("a@example.org", "b@example.org", "c@example.org")
    other = queue_message("d@example.org")
    assert run_delivery(enqueue(queue, job(message), job(other))) == []

    # Then its item holds the timeline compactly, by event id: recipients by index, time in
    # the id
    item = table().get_item(Key=keys.message(message.handle, message.message_id))["Item"]
    assert sorted((entry["type"], entry["rcpt"]) for entry in item["timeline"].values()) == [
        ("SENT", 0),
        ("SENT", 1),
        ("SENT", 2),
    ]
    assert all(set(entry) == {"type", "rcpt"} for entry in item["timeline"].values())

    # And its events come in pages of the asked size, oldest first, each recipient once
    def page(message_id: str, token: str | None = None) -> tuple[int, Any]:
        query = {"messageId": message_id, "limit": "2", **({"nextToken": token} if token else {})}
        return invoke("list_events", {"handle": message.handle}, sub=OPERATOR, query=query)

    status, first = page(message.message_id)
    assert (status, len(first["events"])) == (200, 2)
    status, second = page(message.message_id, first["nextToken"])
    assert (status, second["nextToken"]) == (200, None)
    events = first["events"] + second["events"]
    assert [event["occurredAt"] for event in events] == sorted(e["occurredAt"] for e in events)
    assert sorted(event["recipient"] for event in events) == [
        "a@example.org",
        "b@example.org",
        "c@example.org",
    ]

    # And a token of one message's events is refused for another's
    status, refused = page(other.message_id, first["nextToken"])
    assert (status, refused["error"]) == (400, "invalid_next_token")
