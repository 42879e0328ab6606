"""The contract's "Direct Send Flow" and "Delivery And Debugging" over HTTP against the local
stack: the curl examples run exactly as published, the message reaches SENT through the real
delivery consumer, shows in the local mail viewer, and its events include SENT."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.stack import call, run_curl

pytestmark = pytest.mark.e2e

# Copied verbatim from the contract (docs/api.md restates it); msg_abc123 in
# the inspect examples is replaced by the id the send returned, as a reader would.
SEND = """curl -sS -X POST "${TENX_API_BASE}/v2/handles/${TENX_HANDLE}/email/messages" \\
  -H "Authorization: Bearer ${TENX_JWT}" \\
  -H "Content-Type: application/json" \\
  -d '{
    "senderId": "sender_notifications",
    "to": ["buyer@example.com"],
    "purpose": "TRANSACTIONAL_API",
    "idempotencyKey": "receipt-ord_12345",
    "consentAttestation": true,
    "templateId": "tmpl_lead_followup",
    "variables": {
      "firstName": "Asha",
      "service": "AI workflow setup"
    }
  }'
"""
INSPECT_MESSAGES = """curl -sS "${TENX_API_BASE}/v2/handles/${TENX_HANDLE}/email/messages?limit=25" \\
  -H "Authorization: Bearer ${TENX_JWT}"
"""
INSPECT_ONE = """curl -sS "${TENX_API_BASE}/v2/handles/${TENX_HANDLE}/email/messages/msg_abc123" \\
  -H "Authorization: Bearer ${TENX_JWT}"
"""
INSPECT_EVENTS = """curl -sS "${TENX_API_BASE}/v2/handles/${TENX_HANDLE}/email/events?messageId=msg_abc123" \\
  -H "Authorization: Bearer ${TENX_JWT}"
"""
SENDER = {
    "domain": "example.com",
    "localPart": "notifications",
    "displayName": "Acme Notifications",
    "replyTo": "support@example.com",
    "purposes": ["PRODUCT_NOTIFICATION", "LEAD_VERIFICATION", "TRANSACTIONAL_API"],
    "enabled": True,
}
TEMPLATE = {
    "templateId": "tmpl_lead_followup",
    "name": "Lead follow-up",
    "subject": "Thanks for reaching out, {{firstName}}",
    "html": "<p>Hi {{firstName}}, thanks for your interest in {{service}}.</p>",
    "text": "Hi {{firstName}}, thanks for your interest in {{service}}.",
}


def ensure_setup(doc: dict[str, Any]) -> None:
    """Steps 1-3 of the contract's setup (idempotent: other e2e modules may have run them)."""
    token = doc["tokens"]["OPERATOR"]
    status, _ = call(
        doc,
        "PUT",
        "/v2/handles/acme/email/senders/sender_notifications",
        token=token,
        body=json.dumps(SENDER).encode(),
    )
    assert status == 200
    status, _ = call(
        doc,
        "POST",
        "/v2/handles/acme/email/templates",
        token=token,
        body=json.dumps(TEMPLATE).encode(),
    )
    assert status in (201, 409)


def wait_for_status(
    doc: dict[str, Any], message_id: str, wanted: str, seconds: float = 20
) -> dict[str, Any]:
    deadline = time.monotonic() + seconds
    while True:
        _, body = call(
            doc,
            "GET",
            f"/v2/handles/acme/email/messages/{message_id}",
            token=doc["tokens"]["OPERATOR"],
        )
        if body["message"]["status"] == wanted or time.monotonic() > deadline:
            return dict(body["message"])
        time.sleep(0.25)


def queue_direct(doc: dict[str, Any], token: str, to: str, **changes: Any) -> str:
    """Queue a direct send of the contract's template to `to` over HTTP; its message id."""
    body = {
        "senderId": "sender_notifications",
        "to": [to],
        "purpose": "TRANSACTIONAL_API",
        "consentAttestation": True,
        "templateId": "tmpl_lead_followup",
        **changes,
    }
    status, sent = call(
        doc, "POST", "/v2/handles/acme/email/messages", token=token, body=json.dumps(body).encode()
    )
    assert status == 202, sent
    return str(sent["message"]["messageId"])


def test_the_contract_direct_send_reaches_sent_and_can_be_inspected(
    doc: dict[str, Any], tmp_path: Path
) -> None:
    ensure_setup(doc)

    status, sent = run_curl(doc, SEND, tmp_path)
    assert status == 202
    message_id = sent["message"]["messageId"]
    assert {k: v for k, v in sent["message"].items() if k not in {"messageId", "createdAt"}} == {
        "handle": "acme",
        "status": "QUEUED",
        "purpose": "TRANSACTIONAL_API",
        "senderId": "sender_notifications",
        "recipientCount": 1,
        "fromEmail": "Acme Notifications <notifications@example.com>",
    }

    message = wait_for_status(doc, message_id, "SENT")
    assert message["status"] == "SENT", message

    status, listing = run_curl(doc, INSPECT_MESSAGES, tmp_path)
    assert status == 200
    assert message_id in [m["messageId"] for m in listing["messages"]]
    status, one = run_curl(doc, INSPECT_ONE.replace("msg_abc123", message_id), tmp_path)
    assert (status, one["message"]["messageId"]) == (200, message_id)
    assert "SENT" in [event["type"] for event in one["message"]["timeline"]]
    status, events = run_curl(doc, INSPECT_EVENTS.replace("msg_abc123", message_id), tmp_path)
    assert status == 200
    types = [event["type"] for event in events["events"]]
    assert types[:2] == ["QUEUED", "SENT"]

    # The local mail viewer shows what SES (moto) accepted.
    _, mail = call(doc, "GET", "/_local/mail?format=json")
    subjects = json.dumps(mail)
    assert "Thanks for reaching out, Asha" in subjects

    # Replaying the same request is the same message, and nothing is sent twice.
    status, again = run_curl(doc, SEND, tmp_path)
    assert (status, again["message"]["messageId"]) == (202, message_id)
    _, mail_after = call(doc, "GET", "/_local/mail?format=json")
    assert json.dumps(mail_after).count("Thanks for reaching out, Asha") == subjects.count(
        "Thanks for reaching out, Asha"
    )


def test_the_validation_checklist_steps_1_to_4_7_and_8(doc: dict[str, Any]) -> None:
    ensure_setup(doc)
    token = doc["tokens"]["OPERATOR"]
    # 1. the domain identity is READY
    _, identity = call(doc, "GET", "/v2/account/domains/example.com/email-identity", token=token)
    assert identity["identity"]["status"] == "READY"
    # 2. the sender is enabled, READY, with the purpose
    _, senders = call(doc, "GET", "/v2/handles/acme/email/senders", token=token)
    sender = next(s for s in senders["senders"] if s["senderId"] == "sender_notifications")
    assert (sender["enabled"], sender["status"]) == (True, "READY")
    assert "TRANSACTIONAL_API" in sender["purposes"]
    # 3. the template is ACTIVE
    _, templates = call(doc, "GET", "/v2/handles/acme/email/templates", token=token)
    assert ("tmpl_lead_followup", "ACTIVE") in [
        (t["templateId"], t["status"]) for t in templates["templates"]
    ]
    # 4. one direct test email with a unique idempotencyKey
    message_id = queue_direct(
        doc,
        token,
        "checklist@example.com",
        idempotencyKey=f"checklist-{time.time_ns()}",
        variables={"firstName": "Check", "service": "list"},
    )
    # 7. the message appears in the list
    _, listing = call(doc, "GET", "/v2/handles/acme/email/messages", token=token)
    assert message_id in [m["messageId"] for m in listing["messages"]]
    # 8. its events show SENT
    assert wait_for_status(doc, message_id, "SENT")["status"] == "SENT"
    _, events = call(
        doc, "GET", f"/v2/handles/acme/email/events?messageId={message_id}", token=token
    )
    assert "SENT" in [event["type"] for event in events["events"]]


def test_a_sent_message_reaches_the_handles_event_feed(doc: dict[str, Any]) -> None:
    # The handle-wide list reads the feed the local stream event source fills, seconds behind.
    ensure_setup(doc)
    token = doc["tokens"]["OPERATOR"]
    since = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - 60))
    message_id = queue_direct(
        doc, token, "feed@example.com", variables={"firstName": "Feed", "service": "events"}
    )
    assert wait_for_status(doc, message_id, "SENT")["status"] == "SENT"
    # Polled as docs/api.md says: follow nextToken, and keep the last one to call again later.
    deadline = time.monotonic() + 30
    seen: list[str] = []
    next_token: str | None = None
    while "SENT" not in seen and time.monotonic() < deadline:
        query = f"since={since}&limit=100" + (f"&nextToken={next_token}" if next_token else "")
        _, page = call(doc, "GET", f"/v2/handles/acme/email/events?{query}", token=token)
        seen += [e["type"] for e in page["events"] if e["messageId"] == message_id]
        if page["nextToken"] == next_token:
            time.sleep(0.5)  # nothing new yet
        next_token = page["nextToken"]
    assert "SENT" in seen
