"""API fuzzing: schemathesis generates requests for every operation of the committed
docs/openapi.json and sends them to the local stack, valid (positive) and invalid (negative)
alike. Whatever it sends, no response may be a 5xx, and every response must be documented:
its status code listed for the operation, its content type and headers as declared, and its
body valid against the documented schema (the success model, or `Error` for every refusal).

Three phases: the examples phase (one request per operation from the examples below), the
coverage phase (schemathesis' deterministic boundary and negative cases: missing and
malformed fields, wrong types, undeclared content types; it found the multipart crash) and
the fuzzing phase (MAX_EXAMPLES random cases per operation). No stateful phase, no example
database, no deadline (a route's first call loads its module). About a minute on two cores.

Nothing is skipped. Generated values rarely name anything that exists, so known-good values
are mixed in: the document's copy here gets examples (EXAMPLE_PATH, EXAMPLE_BODIES), which the
examples phase sends once per operation, and during fuzzing half the generated path
parameters are replaced by known-good ones (`seeds`). So requests get past the access check
into the routes' own validation and services and reach their success paths, and the other
half exercise the refusals (403 for an unknown handle, 404 for an unknown campaign, ...). The
known-good values are the demo seed's (handle acme, campaign cmp_welcome, domain example.com)
and resources this test makes for itself (a sender, a template, a rule, two suppressed
addresses), so what fuzzing changes or deletes is its own. Operations with effects, knowingly:
- send_message: generated bodies name no READY sender, and the example body names this
  test's sender and template but a suppressed recipient (409 after every other check), so no
  send is accepted and no quota is used: the refusal paths are what is fuzzed here;
- delete_suppression and delete_email_rule name generated values or this test's own address
  and rule (both are repeatable: 204 again after the first);
- capture_lead and record_conversion on cmp_welcome queue campaign events (the coverage phase
  varies the example lead: a few dozen captures), so the campaign's rules (this test's
  CONVERSION rule, the earlier tests' rules) may mail those leads and use the handle's quota,
  which is what those routes are for; rule messages past the quota are skipped, not failed.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import hypothesis
import pytest
import schemathesis
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.config import SchemathesisConfig
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tenx_email.roles import Role
from tenx_email.routes import ROUTES
from tests.e2e.stack import call

pytestmark = pytest.mark.e2e

DOCUMENT = Path(__file__).resolve().parents[2] / "docs" / "openapi.json"
MAX_EXAMPLES = 8
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
MIN_ROLE = {route.route_id: route.min_role for route in ROUTES}

CONFIG = SchemathesisConfig.from_dict(
    {
        "generation": {
            "mode": "all",
            "max-examples": MAX_EXAMPLES,
            # The bearer token is the test's (see `token_for`), never a generated one.
            "with-security-parameters": False,
            "database": "none",
        },
        "phases": {
            "examples": {"enabled": True},
            "fuzzing": {"enabled": True},
            "coverage": {"enabled": True},
            "stateful": {"enabled": False},
        },
    }
)

SENDER, TEMPLATE, SUPPRESSED = "sender_fuzz", "tmpl_fuzz", "fuzz-suppressed@example.net"
# Static known-good path parameters (the rule id is only known once `seeds` made the rule).
EXAMPLE_PATH = {
    "handle": "acme",
    "campaignId": "cmp_welcome",
    "domain": "example.com",
    "senderId": SENDER,
    "templateId": TEMPLATE,
    "email": "fuzz@example.net",
}
EXAMPLE_BODIES: dict[str, dict[str, Any]] = {
    "put_sender": {
        "domain": "example.com",
        "localPart": "notifications",
        "displayName": "Fuzz",
        "purposes": ["PRODUCT_NOTIFICATION", "TRANSACTIONAL_API"],
    },
    "create_template": {
        "templateId": "tmpl_fuzz_example",
        "name": "Fuzz example",
        "subject": "Hi {{name}}",
        "html": "<p>Hi {{name}}</p>",
    },
    "update_template": {"subject": "Hello {{name}}", "text": "Hello {{name}}"},
    "preview_template": {"variables": {"name": "Asha", "n": 1, "ok": True}},
    "send_message": {
        "senderId": SENDER,
        "to": [SUPPRESSED],
        "purpose": "PRODUCT_NOTIFICATION",
        "idempotencyKey": "fuzz-example",
        "consentAttestation": True,
        "templateId": TEMPLATE,
        "variables": {"name": "Asha"},
    },
    "put_suppression": {"reason": "fuzzing"},
    "create_email_rule": {"trigger": "CONVERSION", "templateId": TEMPLATE, "senderId": SENDER},
    "update_email_rule": {
        "trigger": "CONVERSION",
        "templateId": TEMPLATE,
        "senderId": SENDER,
        "enabled": False,
    },
    "capture_lead": {"leadId": "lead_fuzz", "email": "lead-fuzz@example.net", "name": "Fuzz"},
    "record_conversion": {"leadId": "lead_fuzz"},
}


def with_examples(document: dict[str, Any]) -> dict[str, Any]:
    """The document with the known-good values as examples (this test's copy only)."""
    for item in document["paths"].values():
        for operation in item.values():
            for parameter in operation.get("parameters", []):
                if parameter["in"] == "path" and parameter["name"] in EXAMPLE_PATH:
                    parameter["example"] = EXAMPLE_PATH[parameter["name"]]
            body = EXAMPLE_BODIES.get(operation["operationId"])
            if body is not None:
                operation["requestBody"]["content"]["application/json"]["example"] = body
    return document


schema = schemathesis.openapi.from_dict(
    with_examples(json.loads(DOCUMENT.read_text())), config=CONFIG
)

# Known-good path parameters for fuzzing; the `seeds` fixture fills it before any case.
SEEDS: dict[str, str] = {}


@schema.hook
def flatmap_path_parameters(
    context: schemathesis.HookContext, path_parameters: dict[str, Any]
) -> st.SearchStrategy[dict[str, Any]]:
    """The generated path parameters, or the same with the known-good ones put in (shrinking
    prefers the seeded variant, so a failure is reported with real values where it can be)."""
    seeded = {**path_parameters, **{k: v for k, v in SEEDS.items() if k in path_parameters}}
    return st.sampled_from([seeded, path_parameters])


def token_for(doc: dict[str, Any], operation_id: str) -> str:
    """OPERATOR for every route it may call; OWNER for the OWNER-only ones."""
    role = "OWNER" if MIN_ROLE[operation_id] is Role.OWNER else "OPERATOR"
    token: str = doc["tokens"][role]
    return token


def _made(doc: dict[str, Any], method: str, path: str, body: dict[str, Any]) -> Any:
    status, answer = call(
        doc, method, path, token=doc["tokens"]["OPERATOR"], body=json.dumps(body).encode()
    )
    assert status in (200, 201, 202), (method, path, status, answer)
    return answer


@pytest.fixture(scope="module")
def seeds(doc: dict[str, Any]) -> Iterator[dict[str, str]]:
    assert (doc["handle"], doc["campaignId"], doc["domain"]) == (
        EXAMPLE_PATH["handle"],
        EXAMPLE_PATH["campaignId"],
        EXAMPLE_PATH["domain"],
    )
    base = f"/v2/handles/{doc['handle']}"
    _made(
        doc,
        "PUT",
        f"{base}/email/senders/{SENDER}",
        {
            "domain": doc["domain"],
            "localPart": "notifications",
            "displayName": "Fuzz",
            "purposes": ["PRODUCT_NOTIFICATION"],
        },
    )
    _made(
        doc,
        "POST",
        f"{base}/email/templates",
        {"templateId": TEMPLATE, "name": "Fuzz", "subject": "Hi {{name}}", "text": "Hi"},
    )
    campaign = f"{base}/campaigns/{doc['campaignId']}"
    rule = _made(doc, "POST", f"{campaign}/email-rules", EXAMPLE_BODIES["create_email_rule"])
    for address in (EXAMPLE_PATH["email"], SUPPRESSED):
        _made(doc, "PUT", f"{base}/email/suppressions/{address}", {"reason": "fuzzing"})
    # The example conversion's lead (its capture is also the example capture's body).
    _made(doc, "POST", f"{campaign}/leads", EXAMPLE_BODIES["capture_lead"])
    known = {**EXAMPLE_PATH, "ruleId": rule["rule"]["ruleId"]}
    # A message the earlier tests sent, if any: reading it is harmless, sending one is not.
    status, listing = call(doc, "GET", f"{base}/email/messages", token=doc["tokens"]["OPERATOR"])
    if status == 200 and listing["messages"]:
        known["messageId"] = listing["messages"][0]["messageId"]
    SEEDS.update(known)
    yield known
    SEEDS.clear()


@schema.parametrize()
@hypothesis.settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    database=None,
)
def test_every_response_is_documented_and_none_is_a_server_error(
    case: schemathesis.Case, doc: dict[str, Any], seeds: dict[str, str]
) -> None:
    operation_id = case.operation.definition.raw["operationId"]
    case.call_and_validate(
        base_url=doc["apiBase"],
        headers={"Authorization": f"Bearer {token_for(doc, operation_id)}"},
        checks=CHECKS,
        timeout=30,
    )
