"""Ordinary real-world input over HTTP against the local stack, as a tenant's first week
brings it: sender names with commas and accents, plus-addressed recipients."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.e2e.stack import call
from tests.e2e.test_direct_send import ensure_setup, queue_direct, wait_for_status

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize(
    ("sender_id", "display_name", "shown"),
    [
        ("sender_acme_inc", "Acme, Inc.", '"Acme, Inc." <hello@example.com>'),
        ("sender_cafe", "Café Düsseldorf", "Café Düsseldorf <hello@example.com>"),
    ],
)
def test_senders_named_with_a_comma_or_accents_send_and_deliver(
    doc: dict[str, Any], sender_id: str, display_name: str, shown: str
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
    path = f"/v2/handles/acme/email/senders/{sender_id}"
    status, body = call(doc, "PUT", path, token=token, body=json.dumps(profile).encode())
    assert status == 200, body

    # When a message is sent from it to a plus-addressed recipient
    message_id = queue_direct(
        doc,
        token,
        "asha+welcome@example.org",
        senderId=sender_id,
        variables={"firstName": "Asha", "service": "AI workflow setup"},
    )

    # Then it is delivered, and shows the From as the contract does
    message = wait_for_status(doc, message_id, "DELIVERED")
    assert message["status"] == "DELIVERED", message
    assert message["fromEmail"] == shown
