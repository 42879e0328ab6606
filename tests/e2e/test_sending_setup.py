"""The contract's "Prerequisite Setup Flow" (steps 1 to 3) over HTTP against the local stack:
its curl examples run exactly as published, then every error row these routes can produce."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tenx_email import keys
from tests.e2e.stack import aws_client, call, run_curl

pytestmark = pytest.mark.e2e

# Copied verbatim from the contract (docs/api.md restates it).
STEP_1_CHECK_IDENTITY = """curl -sS "${TENX_API_BASE}/v2/account/domains/${TENX_DOMAIN}/email-identity" \\
  -H "Authorization: Bearer ${TENX_JWT}"
"""
STEP_1_RECONCILE = """curl -sS -X POST "${TENX_API_BASE}/v2/account/domains/${TENX_DOMAIN}/email-identity/reconcile" \\
  -H "Authorization: Bearer ${TENX_JWT}"
"""
STEP_2_CREATE_SENDER = """curl -sS -X PUT "${TENX_API_BASE}/v2/handles/${TENX_HANDLE}/email/senders/sender_notifications" \\
  -H "Authorization: Bearer ${TENX_JWT}" \\
  -H "Content-Type: application/json" \\
  -d '{
    "domain": "example.com",
    "localPart": "notifications",
    "displayName": "Acme Notifications",
    "replyTo": "support@example.com",
    "purposes": ["PRODUCT_NOTIFICATION", "LEAD_VERIFICATION", "TRANSACTIONAL_API"],
    "enabled": true
  }'
"""
STEP_3_CREATE_TEMPLATE = """curl -sS -X POST "${TENX_API_BASE}/v2/handles/${TENX_HANDLE}/email/templates" \\
  -H "Authorization: Bearer ${TENX_JWT}" \\
  -H "Content-Type: application/json" \\
  -d '{
    "templateId": "tmpl_lead_followup",
    "name": "Lead follow-up",
    "subject": "Thanks for reaching out, {{firstName}}",
    "html": "<p>Hi {{firstName}}, thanks for your interest in {{service}}.</p>",
    "text": "Hi {{firstName}}, thanks for your interest in {{service}}."
  }'
"""


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return tmp_path


def test_the_contract_setup_flow_runs_as_published(doc: dict[str, Any], home: Path) -> None:
    status, identity = run_curl(doc, STEP_1_CHECK_IDENTITY, home)
    assert status == 200
    assert {key: value for key, value in identity["identity"].items() if key != "statusReason"} == {
        "identityKey": "us-east-1#example.com",
        "region": "us-east-1",
        "domain": "example.com",
        "status": "READY",
        "requiredDnsRecords": [],
        "mailFromDomain": "bounce.example.com",
    }
    assert isinstance(identity["senderProfiles"], list)

    status, reconciled = run_curl(doc, STEP_1_RECONCILE, home)
    assert (status, reconciled["identity"]["status"]) == (202, "READY")

    assert run_curl(doc, STEP_2_CREATE_SENDER, home) == (
        200,
        {
            "sender": {
                "senderId": "sender_notifications",
                "domain": "example.com",
                "localPart": "notifications",
                "fromEmail": "notifications@example.com",
                "displayName": "Acme Notifications",
                "replyTo": "support@example.com",
                "purposes": ["PRODUCT_NOTIFICATION", "LEAD_VERIFICATION", "TRANSACTIONAL_API"],
                "enabled": True,
                "status": "READY",
                "identityKey": "us-east-1#example.com",
            }
        },
    )

    assert run_curl(doc, STEP_3_CREATE_TEMPLATE, home) == (
        201,
        {
            "template": {
                "handle": "acme",
                "templateId": "tmpl_lead_followup",
                "name": "Lead follow-up",
                "activeVersion": 1,
                "status": "ACTIVE",
            }
        },
    )

    # The validation checklist's steps 1-3 now hold.
    _, senders = call(doc, "GET", "/v2/handles/acme/email/senders", token=doc["tokens"]["OPERATOR"])
    assert ("sender_notifications", True, "READY") in [
        (s["senderId"], s["enabled"], s["status"]) for s in senders["senders"]
    ]
    _, templates = call(
        doc, "GET", "/v2/handles/acme/email/templates", token=doc["tokens"]["OPERATOR"]
    )
    assert ("tmpl_lead_followup", "ACTIVE") in [
        (t["templateId"], t["status"]) for t in templates["templates"]
    ]


def _json(body: dict[str, Any]) -> bytes:
    return json.dumps(body).encode()


SENDER = {
    "domain": "example.com",
    "localPart": "hello",
    "displayName": "Acme",
    "purposes": ["TRANSACTIONAL_API"],
}


@pytest.mark.parametrize(
    ("method", "path", "role", "body", "status", "code"),
    [
        (
            "GET",
            "/v2/account/domains/example.com/email-identity",
            None,
            None,
            401,
            "missing_bearer_token",
        ),
        (
            "GET",
            "/v2/account/domains/example.com/email-identity",
            "BAD",
            None,
            401,
            "invalid_token",
        ),
        ("GET", "/v2/handles/acme/email/templates", "OUTSIDER", None, 403, "forbidden"),
        (
            "PUT",
            "/v2/handles/acme/email/senders/sender_x",
            "CREATOR",
            SENDER,
            403,
            "insufficient_role",
        ),
        ("PUT", "/v2/account/domains/example.com", "OPERATOR", None, 403, "insufficient_role"),
        (
            "GET",
            "/v2/account/domains/nowhere.example/email-identity",
            "OPERATOR",
            None,
            404,
            "account_domain_not_found",
        ),
        (
            "GET",
            "/v2/account/domains/example.com/email-identity",
            "OUTSIDER",
            None,
            404,
            "account_domain_not_found",
        ),
        (
            "PUT",
            "/v2/handles/acme/email/senders/hello",
            "OPERATOR",
            SENDER,
            400,
            "invalid_sender_id",
        ),
        (
            "PUT",
            "/v2/handles/acme/email/senders/sender_x",
            "OPERATOR",
            {**SENDER, "localPart": "ceo"},
            400,
            "sender_local_part_not_allowed",
        ),
        (
            "PUT",
            "/v2/handles/acme/email/senders/sender_x",
            "OPERATOR",
            {**SENDER, "displayName": "A\r\nBcc: v@x.io"},
            400,
            "invalid_header_value",
        ),
        (
            "PUT",
            "/v2/handles/acme/email/senders/sender_x",
            "OPERATOR",
            {**SENDER, "status": "READY"},
            400,
            "invalid_request",
        ),
        (
            "GET",
            "/v2/handles/acme/email/templates/tmpl_missing",
            "OPERATOR",
            None,
            404,
            "email_template_not_found",
        ),
        (
            "POST",
            "/v2/handles/acme/email/templates",
            "OPERATOR",
            {"templateId": "x", "name": "n", "subject": "s", "text": "t"},
            400,
            "invalid_template_id",
        ),
        (
            "GET",
            "/v2/handles/acme/email/templates?nextToken=forged",
            "OPERATOR",
            None,
            400,
            "invalid_next_token",
        ),
    ],
)
def test_error_rows_over_http(
    doc: dict[str, Any], method: str, path: str, role: str | None, body: Any, status: int, code: str
) -> None:
    token = None if role is None else "not.a.jwt" if role == "BAD" else doc["tokens"][role]
    result_status, result = call(doc, method, path, token=token, body=_json(body) if body else None)
    assert (result_status, result["error"]) == (status, code)


def test_malformed_json_is_a_400(doc: dict[str, Any]) -> None:
    status, body = call(
        doc,
        "PUT",
        "/v2/handles/acme/email/senders/sender_x",
        token=doc["tokens"]["OPERATOR"],
        body=b"{oops",
    )
    assert (status, body["error"]) == (400, "invalid_request")


def test_a_sender_on_an_identity_that_is_not_ready_is_refused(doc: dict[str, Any]) -> None:
    # Given example.com's identity has fallen back to PENDING (set up directly in moto)
    table = aws_client(doc, "dynamodb")
    key = keys.account_domain("acc_demo", "example.com")
    table.update_item(
        TableName=doc["aws"]["tableName"],
        Key={name: {"S": value} for name, value in key.items()},
        UpdateExpression="SET #s = :pending",
        ExpressionAttributeNames={"#s": "status"},
        ExpressionAttributeValues={":pending": {"S": "PENDING"}},
    )
    try:
        # When a sender is enabled on it, Then 409 domain_email_identity_not_ready
        status, body = call(
            doc,
            "PUT",
            "/v2/handles/acme/email/senders/sender_pending",
            token=doc["tokens"]["OPERATOR"],
            body=_json(SENDER),
        )
        assert (status, body["error"]) == (409, "domain_email_identity_not_ready")
    finally:
        # And reconcile brings it back (moto reports the domain verified)
        status, _ = call(
            doc,
            "POST",
            "/v2/account/domains/example.com/email-identity/reconcile",
            token=doc["tokens"]["OPERATOR"],
        )
        assert status == 202
