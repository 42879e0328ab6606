"""The documented domain set-up over HTTP against the local stack, as it goes in AWS: attach,
publish the DNS records (locally: `POST /_local/dns/{domain}/publish`), reconcile, poll until
READY; and, while the domain is PENDING, a sender on it cannot be enabled or sent from."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.e2e.stack import call

pytestmark = pytest.mark.e2e

DOMAIN = "mail.acme.example"
IDENTITY = f"/v2/account/domains/{DOMAIN}"
SENDER = "/v2/handles/acme/email/senders/sender_mail_acme"


def sender_body(enabled: bool) -> bytes:
    return json.dumps(
        {
            "domain": DOMAIN,
            "localPart": "hello",
            "displayName": "Acme Mail",
            "purposes": ["TRANSACTIONAL_API"],
            "enabled": enabled,
        }
    ).encode()


def send_from_it(doc: dict[str, Any], to: str) -> tuple[int, Any]:
    body = {
        "senderId": "sender_mail_acme",
        "to": [to],
        "purpose": "TRANSACTIONAL_API",
        "consentAttestation": True,
        "templateId": "tmpl_lead_followup",
        "variables": {"firstName": "Dns", "service": "records"},
    }
    return call(
        doc,
        "POST",
        "/v2/handles/acme/email/messages",
        token=doc["tokens"]["OPERATOR"],
        body=json.dumps(body).encode(),
    )


def test_a_domain_is_pending_until_its_dns_is_published_then_reconcile_makes_it_ready(
    doc: dict[str, Any],
) -> None:
    owner, operator = doc["tokens"]["OWNER"], doc["tokens"]["OPERATOR"]

    # When a domain is attached
    status, attached = call(doc, "PUT", IDENTITY, token=owner)

    # Then it is PENDING and lists every record to publish, Easy DKIM's three CNAMEs included
    assert (status, attached["identity"]["status"]) == (200, "PENDING")
    records = attached["identity"]["requiredDnsRecords"]
    kinds = sorted((r["type"], r["name"].split(".", 1)[-1]) for r in records)
    assert kinds == [
        ("CNAME", f"_domainkey.{DOMAIN}"),
        ("CNAME", f"_domainkey.{DOMAIN}"),
        ("CNAME", f"_domainkey.{DOMAIN}"),
        ("MX", DOMAIN),
        ("TXT", DOMAIN),
        ("TXT", DOMAIN),
    ]

    # and reconciling before the records are published keeps it PENDING
    status, early = call(doc, "POST", f"{IDENTITY}/email-identity/reconcile", token=operator)
    assert (status, early["identity"]["status"]) == (202, "PENDING")

    # and a sender on it cannot be enabled; a disabled one is NOT_READY and cannot send
    status, refused = call(doc, "PUT", SENDER, token=operator, body=sender_body(True))
    assert (status, refused["error"]) == (409, "domain_email_identity_not_ready")
    status, disabled = call(doc, "PUT", SENDER, token=operator, body=sender_body(False))
    assert (status, disabled["sender"]["status"]) == (200, "NOT_READY")
    status, not_sent = send_from_it(doc, "success@simulator.amazonses.com")
    assert (status, not_sent["error"]) == (409, "sender_profile_not_ready")

    # When its records are published locally and it is reconciled
    status, published = call(doc, "POST", f"/_local/dns/{DOMAIN}/publish")
    assert status == 200
    assert published["published"] == records
    status, ready = call(doc, "POST", f"{IDENTITY}/email-identity/reconcile", token=operator)

    # Then it is READY, with no records left to publish, and its sender can be enabled
    assert (status, ready["identity"]["status"]) == (202, "READY")
    _, polled = call(doc, "GET", f"{IDENTITY}/email-identity", token=operator)
    assert (polled["identity"]["status"], polled["identity"]["requiredDnsRecords"]) == (
        "READY",
        [],
    )
    status, enabled = call(doc, "PUT", SENDER, token=operator, body=sender_body(True))
    assert (status, enabled["sender"]["status"]) == (200, "READY")


def test_the_seeded_domain_is_ready(doc: dict[str, Any]) -> None:
    _, identity = call(
        doc, "GET", "/v2/account/domains/example.com/email-identity", token=doc["tokens"]["OWNER"]
    )
    assert identity["identity"]["status"] == "READY"


@pytest.mark.parametrize(
    ("domain", "status", "error"),
    [("never-attached.example", 404, "not_found"), ("not_a_domain", 400, "invalid_request")],
)
def test_publishing_dns_needs_an_attached_domain(
    doc: dict[str, Any], domain: str, status: int, error: str
) -> None:
    answered, body = call(doc, "POST", f"/_local/dns/{domain}/publish")

    assert (answered, body["error"]) == (status, error)
