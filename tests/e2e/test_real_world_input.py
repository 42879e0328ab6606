"""Ordinary real-world input over HTTP against the local stack, as a tenant's first week
brings it: sender names with commas and accents, plus-addressed recipients."""

from __future__ import annotations

import json
import urllib.request
from typing import Any

import pytest

from tests.e2e.stack import call
from tests.e2e.test_direct_send import ensure_setup, queue_direct, wait_for_status
from tests.integration.test_sender_names import NAMES
from tests.integration.test_sender_names import decoded as decoded_from

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize(("display_name", "shown"), NAMES.values(), ids=NAMES.keys())
def test_senders_named_with_specials_or_non_ascii_send_and_deliver_as_named(
    doc: dict[str, Any], display_name: str, shown: str
) -> None:
    # Given the contract's template and a sender profile with that display name
    ensure_setup(doc)
    token = doc["tokens"]["OPERATOR"]
    profile = {
        "domain": "example.com",
        "localPart": "hello",
        "displayName": display_name,
        "purposes": ["TRANSACTIONAL_API"],
    }
    path = "/v2/handles/acme/email/senders/sender_named"
    status, body = call(doc, "PUT", path, token=token, body=json.dumps(profile).encode())
    assert status == 200, body

    # When a message is sent from it to a plus-addressed recipient
    message_id = queue_direct(
        doc,
        token,
        "asha+welcome@example.org",
        senderId="sender_named",
        variables={"firstName": "Asha", "service": "AI workflow setup"},
    )

    # Then it is delivered, and shows the From as the contract does
    message = wait_for_status(doc, message_id, "DELIVERED")
    assert message["status"] == "DELIVERED", message
    assert message["fromEmail"] == shown
    # And what reached SES (the local mail viewer keeps the SendEmail call) is an ASCII From
    # that a mail client reads back as the profile's name
    (sent,) = [mail for mail in local_mail(doc) if mail["tags"].get("messageId") == message_id]
    assert sent["source"].isascii()
    assert decoded_from(sent["source"]) == (display_name, "hello@example.com")


def local_mail(doc: dict[str, Any]) -> list[dict[str, Any]]:
    url = f"{doc['apiBase']}/_local/mail?format=json"
    with urllib.request.urlopen(url, timeout=10) as response:
        mails: list[dict[str, Any]] = json.loads(response.read())["messages"]
    return mails


def test_a_send_over_the_size_bound_is_refused_and_leaves_nothing_behind(
    doc: dict[str, Any],
) -> None:
    # Given fifty recipients and thirty variables of 10,000 characters (300 KB of content,
    # more than a message to fifty can store with room for their events)
    ensure_setup(doc)
    token = doc["tokens"]["OPERATOR"]
    variables = {f"note{n}": "x" * 10_000 for n in range(30)}
    body = {
        "senderId": "sender_notifications",
        "to": [f"bulk{n}+size@example.org" for n in range(50)],
        "purpose": "TRANSACTIONAL_API",
        "idempotencyKey": "size-bound-e2e",
        "consentAttestation": True,
        "templateId": "tmpl_lead_followup",
        "variables": {"firstName": "Asha", "service": "x", **variables},
    }

    # When it is sent
    status, answer = call(
        doc, "POST", "/v2/handles/acme/email/messages", token=token, body=json.dumps(body).encode()
    )

    # Then it is a 413 that says what fits, and no message was stored
    assert (status, answer["error"]) == (413, "message_too_large")
    assert "at most" in answer["message"]
    _, after = call(doc, "GET", "/v2/handles/acme/email/messages?limit=100", token=token)
    assert not [m for m in after["messages"] if m["recipientCount"] == 50]
    # And its idempotency key is free: the same key with a smaller body is accepted
    smaller = {**body, "to": body["to"][:1], "variables": {"firstName": "Asha", "service": "x"}}
    status, accepted = call(
        doc,
        "POST",
        "/v2/handles/acme/email/messages",
        token=token,
        body=json.dumps(smaller).encode(),
    )
    assert status == 202, accepted
