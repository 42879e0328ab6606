"""Header injection: CR, LF, NUL, U+2028 and their kin in anything that becomes a mail header
(subject, variables rendered into it, display name, reply-to, recipients, a campaign lead's
data) are refused with 400, or on the asynchronous rule path give a SKIPPED run and no
message. Whatever happens, SES is never called with a header-breaking value: every test ends by
running the delivery Lambda on whatever was queued and inspecting each SendEmail call (and
moto's record of sent mail). RELIABILITY.md: "moto accepts CR/LF in an SES subject:
header-injection defence is ours."
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from tenx_email import clock
from tenx_email.dal import messages as message_store
from tenx_email.dal.message_items import MessageItem
from tenx_email.dal.table import table
from tenx_email.message_models import Message, MessageStatus, Recipient
from tenx_email.models import Purpose
from tests.events import invoke
from tests.integration import security_support as support
from tests.integration.security_support import (
    HEADER_BREAKERS,
    OPERATOR,
    REGION,
    World,
    queue_depth,
    run_deliveries,
    run_triggers,
    table_snapshot,
    unsafe_ses_calls,
)

world = support.world_fixture

BREAKERS = list(HEADER_BREAKERS.values())
BREAKER_IDS = list(HEADER_BREAKERS)
REQUIRED = ("CR", "LF", "NUL", "U+2028")  # RELIABILITY.md's list; the others are kin
ACME = {"handle": "acme"}


@pytest.fixture(autouse=True)
def never_an_unsafe_send(world: World) -> Iterator[None]:
    """After each test: deliver everything queued so far, then no SendEmail call (and
    nothing moto sent) may carry a header breaker."""
    yield
    run_triggers(world)
    run_deliveries(world)
    assert unsafe_ses_calls(world.ses) == []


def injected(breaker: str, before: str = "Asha") -> str:
    return f"{before}{breaker}Bcc: victim@evil.example"


def refused_without_effect(
    world: World, route_id: str, params: dict[str, str], body: Any, status: int, code: str
) -> None:
    before, queued = table_snapshot(), queue_depth(world.delivery_queue)
    result_status, answer = invoke(route_id, params, sub=OPERATOR, body=body)
    assert (result_status, answer["error"]) == (status, code)
    assert table_snapshot() == before
    assert queue_depth(world.delivery_queue) == queued


# --- template subjects ----------------------------------------------------------------------


# Each breaker inside a subject, and a line break where a header line would start or end.
SUBJECTS = {
    **{name: injected(breaker) for name, breaker in HEADER_BREAKERS.items()},
    "leading-LF": "\nBcc: victim@evil.example",
    "trailing-CRLF": "Hello\r\n",
    "folded": "Hello\r\n Bcc: victim@evil.example",
}


@pytest.mark.parametrize("subject", SUBJECTS.values(), ids=SUBJECTS.keys())
def test_a_template_subject_with_a_breaker_is_refused_on_create(world: World, subject: str) -> None:
    body = {"templateId": "tmpl_acme_injected", "name": "x", "subject": subject, "text": "Hi"}
    refused_without_effect(world, "create_template", ACME, body, 400, "invalid_header_value")


@pytest.mark.parametrize("breaker", BREAKERS, ids=BREAKER_IDS)
def test_a_template_subject_with_a_breaker_is_refused_on_update(world: World, breaker: str) -> None:
    params = {"handle": "acme", "templateId": world.acme.template_ids[0]}
    body = {"subject": injected(breaker, "{{firstName}}")}
    refused_without_effect(world, "update_template", params, body, 400, "invalid_header_value")


# --- variables rendered into the subject ------------------------------------------------------


@pytest.mark.parametrize("breaker", BREAKERS, ids=BREAKER_IDS)
def test_a_variable_that_would_break_the_subject_is_refused_by_preview(
    world: World, breaker: str
) -> None:
    params = {"handle": "acme", "templateId": world.acme.template_ids[0]}
    body = {"variables": {"firstName": injected(breaker)}}
    refused_without_effect(world, "preview_template", params, body, 400, "rendered_subject_unsafe")


@pytest.mark.parametrize("breaker", BREAKERS, ids=BREAKER_IDS)
def test_a_variable_that_would_break_the_subject_is_refused_by_a_direct_send(
    world: World, breaker: str
) -> None:
    body = support.send_body(world.acme, variables={"firstName": injected(breaker)})
    refused_without_effect(world, "send_message", ACME, body, 400, "rendered_subject_unsafe")


def test_breakers_in_variables_that_only_reach_the_body_are_sent_safely(world: World) -> None:
    """The control: a line break is fine in the text body; the subject stays one line."""
    params = {"handle": "acme", "templateId": world.acme.template_ids[1]}
    update = {"text": "Hi {{firstName}}, your note: {{note}}"}
    assert invoke("update_template", params, sub=OPERATOR, body=update)[0] == 200
    body = support.send_body(
        world.acme,
        to=["body-only@acme-rcpt.example"],
        templateId=world.acme.template_ids[1],
        variables={"firstName": "Asha", "note": "line one\r\nBcc: victim@evil.example"},
    )
    assert invoke("send_message", ACME, sub=OPERATOR, body=body)[0] == 202
    calls_before = len(world.ses.calls)
    run_deliveries(world)
    (call,) = world.ses.calls[calls_before:]
    assert call["Content"]["Simple"]["Subject"]["Data"] == "acme says hello, Asha"
    assert call["Destination"]["ToAddresses"] == ["body-only@acme-rcpt.example"]
    assert "Bcc" not in json.dumps({k: v for k, v in call.items() if k != "Content"})


# --- sender profile headers ---------------------------------------------------------------------


@pytest.mark.parametrize("breaker", BREAKERS, ids=BREAKER_IDS)
@pytest.mark.parametrize("field", ["displayName", "replyTo"])
def test_a_sender_header_with_a_breaker_is_refused(world: World, breaker: str, field: str) -> None:
    value = injected(breaker, "Acme") if field == "displayName" else injected(breaker, "a@x.io")
    params = {"handle": "acme", "senderId": world.acme.sender_id}
    body = support.sender_body(world.acme, **{field: value})
    refused_without_effect(world, "put_sender", params, body, 400, "invalid_header_value")


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("displayName", 'Acme" <ceo@bank.example>'),
        ("displayName", "Acme <ceo@bank.example>"),
        ("displayName", "Acme\\"),
        ("displayName", "Acme\t(tab)"),
        ("replyTo", "support@example.com, victim@evil.example"),
        ("replyTo", "support@example.com;victim@evil.example"),
        ("replyTo", "Support <support@example.com>"),
        ("replyTo", "support@example.com (comment)"),
        ("replyTo", '"a@b"@example.com'),
        ("replyTo", "support@example.com\tBcc:victim@evil.example"),
    ],
)
def test_a_sender_header_smuggling_addresses_is_refused(
    world: World, field: str, value: str
) -> None:
    params = {"handle": "acme", "senderId": world.acme.sender_id}
    body = support.sender_body(world.acme, **{field: value})
    refused_without_effect(world, "put_sender", params, body, 400, "invalid_header_value")


# --- recipients ----------------------------------------------------------------------------------


RECIPIENTS = {
    **{
        name: f"buyer@example.com{b}Bcc: victim@evil.example" for name, b in HEADER_BREAKERS.items()
    },
    "CRLF-inside": "buy\r\ner@example.com",
    "NUL-inside": "buy\x00er@example.com",
}


@pytest.mark.parametrize("address", RECIPIENTS.values(), ids=RECIPIENTS.keys())
def test_a_recipient_with_a_breaker_is_refused(world: World, address: str) -> None:
    body = support.send_body(world.acme, to=["ok@example.com", address])
    refused_without_effect(world, "send_message", ACME, body, 400, "invalid_recipient")


@pytest.mark.parametrize(
    "address",
    [
        "buyer@example.com, victim@evil.example",
        "buyer@example.com;victim@evil.example",
        "Victim <victim@evil.example>",
        "<victim@evil.example>",
        "buyer@example.com (Bcc victim@evil.example)",
        '"Bcc: victim@evil.example" <buyer@example.com>',
        "buyer@example.com\tvictim@evil.example",
    ],
)
def test_a_recipient_smuggling_a_second_address_is_refused(world: World, address: str) -> None:
    body = support.send_body(world.acme, to=[address])
    refused_without_effect(world, "send_message", ACME, body, 400, "invalid_recipient")


# --- campaign leads rendered by a rule (asynchronous: SKIPPED, no message) ------------------------


def capture(world: World, lead: dict[str, Any]) -> str:
    params = {"handle": "acme", "campaignId": world.acme.campaign_id}
    status, accepted = invoke("capture_lead", params, sub=OPERATOR, body=lead)
    assert status == 202, accepted
    return str(accepted["eventId"])


def run_of(world: World, event_id: str) -> dict[str, Any]:
    world.project()  # a MESSAGE_CREATED run is recorded when the projection sees the message
    params = {"handle": "acme", "campaignId": world.acme.campaign_id, "ruleId": world.acme.rule_id}
    status, body = invoke("list_rule_runs", params, sub=OPERATOR, query={"limit": "100"})
    assert status == 200
    (run,) = [run for run in body["runs"] if run["eventId"] == event_id]
    return dict(run)


def messages_to(address: str) -> list[Message]:
    listed = message_store.list_messages(
        "acme", status=None, purpose=None, limit=100, next_token=None, shards=1
    ).items
    return [m for m in listed if address in {r.email for r in m.recipients}]


def test_a_safe_lead_makes_a_message_the_control(world: World) -> None:
    email = "safe-lead@acme-leads.example"
    event_id = capture(world, {"email": email, "firstName": "Asha", "company": "Initech"})
    calls_before = len(world.ses.calls)
    run_triggers(world)
    assert run_of(world, event_id)["outcome"] == "MESSAGE_CREATED"
    run_deliveries(world)
    # The rule's message, and the campaign sequence's first step
    calls = world.ses.calls[calls_before:]
    assert [call["Destination"]["ToAddresses"] for call in calls] == [[email]] * 2
    assert all("Asha" in call["Content"]["Simple"]["Subject"]["Data"] for call in calls)


LEAD_CASES = [
    *[pytest.param("firstName", b, id=f"firstName-{name}") for name, b in HEADER_BREAKERS.items()],
    *[pytest.param(field, "\r\n", id=f"{field}-CRLF") for field in ("name", "company")],
    *[
        pytest.param("fields.service", b, id=f"fields-{n}")
        for n, b in (("LF", "\n"), ("NUL", "\x00"))
    ],
]


@pytest.mark.parametrize(("field", "breaker"), LEAD_CASES)
def test_a_lead_whose_data_would_break_the_subject_is_skipped_with_no_message(
    world: World, breaker: str, field: str
) -> None:
    email = f"inj-{uuid.uuid4().hex[:12]}@acme-leads.example"
    lead: dict[str, Any] = {"email": email, "firstName": "Asha", "name": "Asha Rao"}
    if field.startswith("fields."):
        lead["fields"] = {"service": injected(breaker, "setup")}
    else:
        lead[field] = injected(breaker)
    event_id = capture(world, lead)
    calls_before = len(world.ses.calls)
    run_triggers(world)
    run = run_of(world, event_id)
    assert (run["outcome"], run["reason"], run["messageId"]) == (
        "SKIPPED",
        "the lead's data would break the subject line",
        None,
    )
    run_deliveries(world)
    # The rule made nothing. (The campaign's sequence maps no lead field into its subject, so
    # its first step is a safe message; the fixture checks every send stayed safe.)
    assert [m for m in messages_to(email) if m.rule_id is not None] == []
    to_lead = [
        c for c in world.ses.calls[calls_before:] if email in c["Destination"]["ToAddresses"]
    ]
    assert all(breaker not in c["Content"]["Simple"]["Subject"]["Data"] for c in to_lead)


@pytest.mark.parametrize("breaker", BREAKERS, ids=BREAKER_IDS)
def test_a_lead_address_with_a_breaker_is_refused_at_capture(world: World, breaker: str) -> None:
    params = {"handle": "acme", "campaignId": world.acme.campaign_id}
    lead = {"email": f"lead@example.com{breaker}Bcc: victim@evil.example"}
    before, queued = table_snapshot(), queue_depth(world.trigger_queue)
    status, body = invoke("capture_lead", params, sub=OPERATOR, body=lead)
    assert (status, body["error"]) == (400, "invalid_request")
    assert table_snapshot() == before
    assert queue_depth(world.trigger_queue) == queued


def bus_lead(lead: dict[str, Any]) -> str:
    occurred = clock.iso(clock.now())
    return json.dumps(
        {
            "version": "0",
            "id": str(uuid.uuid4()),
            "detail-type": "LeadCaptured",
            "source": "tenx.campaigns",
            "account": "123456789012",
            "time": occurred,
            "region": REGION,
            "resources": [],
            "detail": {
                "handle": "acme",
                "campaignId": "cmp_welcome",
                "occurredAt": occurred,
                "lead": lead,
            },
        }
    )


BUS_CASES = [
    *[pytest.param("firstName", HEADER_BREAKERS[n], id=f"firstName-{n}") for n in REQUIRED],
    *[pytest.param("email", HEADER_BREAKERS[n], id=f"email-{n}") for n in ("CRLF", "U+2028")],
]


@pytest.mark.parametrize(("field", "breaker"), BUS_CASES)
def test_a_bus_lead_with_a_breaker_never_becomes_a_message(
    world: World, breaker: str, field: str
) -> None:
    email = f"bus-{uuid.uuid4().hex[:12]}@acme-leads.example"
    lead = {"email": email, "firstName": "Asha"}
    lead[field] = injected(breaker, lead[field])
    boto3.client("sqs", region_name=REGION).send_message(
        QueueUrl=world.trigger_queue, MessageBody=bus_lead(lead)
    )
    failures = run_triggers(world)
    # A malformed lead address can never be processed: the job fails (and ends in the DLQ);
    # a breaker in the name is the rule's SKIPPED run.
    assert len(failures) == (1 if field == "email" else 0)
    run_deliveries(world)
    assert messages_to(email) == []
    assert messages_to(lead["email"]) == []


# --- the delivery Lambda's own guard, for a message stored before any check ---------------------

FAILED_UNSAFE = (MessageStatus.FAILED, "unsafe_header")
# (stored fields, outcome): a From address whose domain is not the sender's is already refused
# by the re-check (DENIED) before the header guard (FAILED) looks at it.
UNSAFE_STORED = {
    "subject": ({"subject": "Hello\r\nBcc: victim@evil.example"}, FAILED_UNSAFE),
    "subject-u2028": ({"subject": "Hello\u2028Bcc: victim@evil.example"}, FAILED_UNSAFE),
    "subject-nul": ({"subject": "Hello\x00"}, FAILED_UNSAFE),
    "reply-to": ({"reply_to": "support@example.com\nBcc: victim@evil.example"}, FAILED_UNSAFE),
    "from-display-name": (
        {"from_name": "Acme\r\nBcc: victim@evil.example"},
        FAILED_UNSAFE,
    ),
    "from-display-name-lf": ({"from_name": "Acme\nX: y"}, FAILED_UNSAFE),
    "from-address": (
        {"from_address": "notifications@example.com>\r\nBcc: victim@evil.example"},
        (MessageStatus.DENIED, "sender_profile_changed"),
    ),
}


@pytest.mark.parametrize(("unsafe", "outcome"), UNSAFE_STORED.values(), ids=UNSAFE_STORED.keys())
def test_delivery_never_sends_a_stored_message_with_an_unsafe_header(
    world: World, unsafe: dict[str, str], outcome: tuple[MessageStatus, str]
) -> None:
    now = clock.now()
    message = Message(
        handle="acme",
        message_id=f"msg_{uuid.uuid4().hex[:26]}",
        status=MessageStatus.QUEUED,
        purpose=Purpose.TRANSACTIONAL_API,
        sender_id=world.acme.sender_id,
        from_name="Acme Notifications",
        from_address="notifications@example.com",
        reply_to="support@example.com",
        recipients=(Recipient(email="stored@acme-rcpt.example"),),
        subject="Hello Asha",
        template_id=world.acme.template_ids[1],
        template_version=1,
        variables={"firstName": "Asha"},
        created_at=now,
        updated_at=now,
    ).model_copy(update=unsafe)
    table().put_item(Item=MessageItem.from_domain(message).to_item())
    boto3.client("sqs", region_name=REGION).send_message(
        QueueUrl=world.delivery_queue,
        MessageBody=json.dumps({"handle": "acme", "messageId": message.message_id}),
    )
    calls_before = len(world.ses.calls)
    assert run_deliveries(world) == []
    assert world.ses.calls[calls_before:] == []
    stored = message_store.get("acme", message.message_id)
    assert stored is not None
    assert (stored.status, stored.recipients[0].reason) == outcome
