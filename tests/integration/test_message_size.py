"""Size limits that hold end to end: a direct send is refused (413 message_too_large) before
anything is queued or stored when its message could outgrow DynamoDB's 400 KB item limit with
every event its recipients can get; a message at the bound is accepted and then records its
whole timeline."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest

from tenx_email import keys
from tenx_email.dal import message_size
from tenx_email.dal.message_items import MessageItem
from tenx_email.dal.table import table
from tenx_email.message_models import Message, MessageStatus
from tenx_email.roles import Role
from tests.events import invoke
from tests.integration import delivery_support as support
from tests.integration.conftest import MEMBERS
from tests.integration.delivery_support import SesSpy, receive, run_delivery
from tests.integration.test_feedback import run_feedback, ses_event

ses = support.ses
OPERATOR = MEMBERS[Role.OPERATOR]
ACME = {"handle": "acme"}
VALUE_CHARS = 10_000  # the most one variable may hold


def send(to: list[str], padding: int) -> tuple[int, Any]:
    """A direct send whose variables carry `padding` characters the template never uses."""
    variables = {"firstName": "Asha"}
    for n in range(padding // VALUE_CHARS + 1):
        chunk = min(VALUE_CHARS, padding - n * VALUE_CHARS)
        if chunk > 0:
            variables[f"pad{n:03d}"] = "x" * chunk
    body = {
        "senderId": support.SENDER_ID,
        "to": to,
        "purpose": "TRANSACTIONAL_API",
        "consentAttestation": True,
        "templateId": support.TEMPLATE_ID,
        "variables": variables,
    }
    return invoke("send_message", ACME, sub=OPERATOR, body=body)


def stored_item(message_id: str) -> dict[str, Any]:
    found = table().get_item(Key=keys.message("acme", message_id), ConsistentRead=True)
    item: dict[str, Any] = found["Item"]
    return item


MEASURING_SENDS = 3


def padding_at_the_bound(to: list[str]) -> int:
    """How many padding characters put a send's message exactly at the bound, measured from
    stored items: each send tells how far off it was; the first ones aim a little short, as
    more padding variables add their own names too."""
    padding = VALUE_CHARS
    for aim_short in [2_000] * (MEASURING_SENDS - 1) + [0]:
        status, body = send(to, padding)
        assert status == 202, body
        stored = message_size.bound_bytes(stored_item(body["message"]["messageId"]), len(to))
        padding += message_size.ITEM_LIMIT_BYTES - stored - aim_short
    return padding


def stored(message_id: str) -> Message:
    return MessageItem.from_item(stored_item(message_id)).to_domain()


def queued(queue_url: str) -> list[str]:
    sqs = boto3.client("sqs")
    found = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=2)
    return [json.loads(m["Body"])["messageId"] for m in found.get("Messages", [])]


@pytest.mark.parametrize("recipients", [1, 50], ids=["one-recipient", "fifty-recipients"])
def test_a_send_at_the_bound_is_accepted_and_one_byte_over_is_refused_leaving_nothing(
    ses: SesSpy, delivery_queue: str, recipients: int
) -> None:
    to = [f"r{n}+orders@example.org" for n in range(recipients)]
    padding = padding_at_the_bound(to)
    queued(delivery_queue)  # the measuring sends' records

    # When a send is one byte over the bound
    status, body = send(to, padding + 1)

    # Then it is refused in words, before anything was queued or stored
    assert (status, body["error"]) == (413, "message_too_large")
    assert "split the recipients" in body["message"]
    assert queued(delivery_queue) == []
    stored = table().query(
        KeyConditionExpression="PK = :pk AND begins_with(SK, :msg)",
        ExpressionAttributeValues={":pk": "HANDLE#acme", ":msg": "MSG#"},
    )["Items"]
    assert len(stored) == MEASURING_SENDS  # the measuring sends' messages only

    # When it is exactly at the bound, it is accepted, queued and stored
    status, body = send(to, padding)
    assert status == 202, body
    message_id = body["message"]["messageId"]
    assert queued(delivery_queue) == [message_id]
    item = stored_item(message_id)
    assert message_size.bound_bytes(item, recipients) == message_size.ITEM_LIMIT_BYTES


LONG = "é" * 3_000  # what SES might say, far longer than a detail is kept


@pytest.mark.parametrize("recipients", [1, 3], ids=["one-recipient", "three-recipients"])
def test_a_message_at_the_bound_records_its_whole_timeline_and_stays_within_it(
    ses: SesSpy, delivery_queue: str, recipients: int
) -> None:
    # Given a message exactly at the bound, sent (claim and SENT for each recipient)
    to = [f"r{n}@example.org" for n in range(recipients)]
    padding = padding_at_the_bound(to)
    queued(delivery_queue)
    status, body = send(to, padding)
    assert status == 202, body
    message_id = body["message"]["messageId"]
    assert run_delivery(receive(delivery_queue, 1, wait_seconds=3)) == []
    message = stored(message_id)
    assert [r.status for r in message.recipients] == [MessageStatus.SENT] * recipients

    # When SES reports every status each recipient can reach, with long words, and then a
    # flood of events that move nothing (late delays), each of them twice
    moves = [
        ("DeliveryDelay", {"deliveryDelay": {"delayType": LONG}}),
        ("Delivery", {"delivery": {}}),
        ("Bounce", {"bounce": {"bounceType": "Permanent", "bounceSubType": LONG}}),
        ("Complaint", {"complaint": {"complaintFeedbackType": LONG}}),
        ("Reject", {"reject": {"reason": LONG}}),
    ]
    late = [("DeliveryDelay", {"deliveryDelay": {"delayType": f"{LONG}{n}"}}) for n in range(12)]
    for rcpt in range(recipients):
        for event_type, detail in moves + late:
            event = ses_event(event_type, message, rcpt, **detail)
            for _ in range(2):
                assert run_feedback(event)[1] == []

    # Then every write was taken, each status move is on the timeline, the events that move
    # nothing stop at their room, and the item never outgrew the bound it was accepted under
    final = stored_item(message_id)
    entries = list(final["timeline"].values())
    assert message_size.item_bytes(final) <= message_size.ITEM_LIMIT_BYTES
    assert len(entries) <= message_size.stale_event_limit(recipients) + recipients * (
        message_size.MOVES_PER_RECIPIENT
    )
    for rcpt in range(recipients):
        types = sorted(str(e["type"]) for e in entries if e.get("rcpt") == rcpt)
        for reached in ("SENT", "DELIVERED", "BOUNCED", "COMPLAINED", "REJECTED"):
            assert reached in types, (rcpt, types)
    assert all(len(str(e.get("detail", "")).encode()) <= 200 for e in entries)
    assert all(len(str(r.get("reason", "")).encode()) <= 200 for r in final["recipients"])
    assert stored(message_id).status is MessageStatus.FAILED  # SES's reject is the furthest


def test_fifty_recipients_leave_room_for_a_large_message() -> None:
    # The room reserved for events never crowds out an ordinary message: with the most
    # recipients a message may have, well over half the item is left for its content.
    assert message_size.growth_bytes(50) < message_size.ITEM_LIMIT_BYTES / 2
