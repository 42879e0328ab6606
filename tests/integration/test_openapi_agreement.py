"""The committed OpenAPI document states what the API enforces: a request the document calls
valid passes the route's checks of form, and each one the API refuses for its form (with
the contract's own code, as docs/api.md lists them) the document calls invalid too. So a
client, or a fuzzer, that follows the document is not refused for its form.

The bodies and path values are checked against docs/openapi.json with a JSON Schema
validator, and sent to the real handlers on moto.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from tenx_email.routes import route as route_of
from tests.events import invoke
from tests.integration import security_support as support
from tests.integration.security_support import OWNER, World, path_params

world = support.world_fixture
_WINDOW = support.VALID_BODIES["put_campaign_settings"](support.blank_tenant())["sendWindow"]

DOCUMENT = Path(__file__).resolve().parents[2] / "docs" / "openapi.json"


@cache
def document() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(DOCUMENT.read_text())
    return loaded


def operation(route_id: str) -> dict[str, Any]:
    route = route_of(route_id)
    found: dict[str, Any] = document()["paths"][route.path][route.method.lower()]
    return found


def validator(schema: dict[str, Any]) -> Draft202012Validator:
    # The document's references point into its own components.
    return Draft202012Validator({**schema, "components": document()["components"]})


def document_accepts(route_id: str, path: dict[str, str], body: Any) -> bool:
    op = operation(route_id)
    for parameter in op.get("parameters", []):
        if parameter["in"] == "path" and not validator(parameter["schema"]).is_valid(
            path[parameter["name"]]
        ):
            return False
    if body is None:
        return True
    schema = op["requestBody"]["content"]["application/json"]["schema"]
    return validator(schema).is_valid(body)


def send(world: World, **changes: Any) -> dict[str, Any]:
    return support.send_body(world.acme, **changes)


def sender(world: World, **changes: Any) -> dict[str, Any]:
    return support.sender_body(world.acme, **changes)


def template(**changes: Any) -> dict[str, Any]:
    return {"templateId": "tmpl_agree", "name": "Agree", "subject": "Hi", "text": "Hi", **changes}


def rule(world: World, **changes: Any) -> dict[str, Any]:
    return support.rule_body(world.acme, **changes)


def sequence(world: World, **changes: Any) -> dict[str, Any]:
    return support.sequence_body(world.acme, **changes)


def steps(world: World, *more: dict[str, Any]) -> list[dict[str, Any]]:
    """An email step of acme's, then `more`."""
    return [support.email_step(world.acme), *more]


# (route, path overrides, body, the API's answer) for requests refused for their form.
REFUSED: dict[str, Any] = {
    "send-51-entries": (
        "send_message",
        {},
        lambda w: send(w, to=[f"r{i}@acme-rcpt.example" for i in range(51)]),
        (400, "invalid_recipient"),
    ),
    "send-not-an-address": (
        "send_message",
        {},
        lambda w: send(w, to=["not an address"]),
        (400, "invalid_recipient"),
    ),
    "send-without-consent": (
        "send_message",
        {},
        lambda w: {k: v for k, v in send(w).items() if k != "consentAttestation"},
        (400, "consent_attestation_required"),
    ),
    "send-consent-false": (
        "send_message",
        {},
        lambda w: send(w, consentAttestation=False),
        (400, "consent_attestation_required"),
    ),
    "send-sender-id-form": (
        "send_message",
        {},
        lambda w: send(w, senderId="notifications"),
        (404, "sender_profile_not_found"),
    ),
    "send-template-id-form": (
        "send_message",
        {},
        lambda w: send(w, templateId="welcome"),
        (404, "email_template_not_found"),
    ),
    "send-variable-name": (
        "send_message",
        {},
        lambda w: send(w, variables={"firstName": "A", "1st": "x"}),
        (400, "invalid_request"),
    ),
    "sender-id-form": (
        "put_sender",
        {"senderId": "notifications"},
        lambda w: sender(w),
        (400, "invalid_sender_id"),
    ),
    "sender-local-part": (
        "put_sender",
        {},
        lambda w: sender(w, localPart="admin"),
        (400, "sender_local_part_not_allowed"),
    ),
    "sender-display-name-angle": (
        "put_sender",
        {},
        lambda w: sender(w, displayName="Acme <ceo@example.com>"),
        (400, "invalid_header_value"),
    ),
    "sender-display-name-101": (
        "put_sender",
        {},
        lambda w: sender(w, displayName="x" * 101),
        (400, "invalid_header_value"),
    ),
    "sender-display-name-blank": (
        "put_sender",
        {},
        lambda w: sender(w, displayName="   "),
        (400, "invalid_header_value"),
    ),
    "sender-reply-to": (
        "put_sender",
        {},
        lambda w: sender(w, replyTo="support"),
        (400, "invalid_header_value"),
    ),
    "sender-domain": (
        "put_sender",
        {},
        lambda w: sender(w, domain="localhost"),
        (400, "invalid_request"),
    ),
    "template-id-form": (
        "create_template",
        {},
        lambda w: template(templateId="tmpl_a b"),
        (400, "invalid_template_id"),
    ),
    "template-subject-line-break": (
        "create_template",
        {},
        lambda w: template(subject="Hi\nBcc: x@example.com"),
        (400, "invalid_header_value"),
    ),
    "template-subject-999": (
        "create_template",
        {},
        lambda w: template(subject="x" * 999),
        (400, "invalid_header_value"),
    ),
    "template-no-body": (
        "create_template",
        {},
        lambda w: template(text=None),
        (400, "template_body_required"),
    ),
    "template-empty-bodies": (
        "create_template",
        {},
        lambda w: template(text="", html=""),
        (400, "template_body_required"),
    ),
    "template-path-id-form": (
        "update_template",
        {"templateId": "welcome"},
        lambda w: {"name": "x"},
        (400, "invalid_template_id"),
    ),
    "rule-trigger": (
        "create_email_rule",
        {},
        lambda w: rule(w, trigger="SOON"),
        (400, "invalid_trigger"),
    ),
    "rule-delay-missing": (
        "create_email_rule",
        {},
        lambda w: rule(w, trigger="LEAD_CAPTURED_DELAYED"),
        (400, "delay_minutes_required_for_delayed_trigger"),
    ),
    "rule-delay-below": (
        "create_email_rule",
        {},
        lambda w: rule(w, trigger="LEAD_CAPTURED_DELAYED", delayMinutes=14),
        (400, "delay_minutes_below_minimum"),
    ),
    "rule-delay-above": (
        "create_email_rule",
        {},
        lambda w: rule(w, trigger="LEAD_CAPTURED_DELAYED", delayMinutes=43_201),
        (400, "delay_minutes_above_maximum"),
    ),
    "rule-delay-not-allowed": (
        "create_email_rule",
        {},
        lambda w: rule(w, delayMinutes=30),
        (400, "delay_minutes_not_allowed"),
    ),
    "rule-mapping-key": (
        "create_email_rule",
        {},
        lambda w: rule(w, variableMappings={"a b": "name"}),
        (400, "invalid_variable_mappings"),
    ),
    "rule-mapping-count": (
        "create_email_rule",
        {},
        lambda w: rule(w, variableMappings={f"k{i}": "name" for i in range(51)}),
        (400, "invalid_variable_mappings"),
    ),
    "sequence-trigger": (
        "create_sequence",
        {},
        lambda w: sequence(w, trigger="LEAD_CAPTURED_DELAYED"),
        (400, "invalid_trigger"),
    ),
    **{
        f"sequence-{name}": ("create_sequence", {}, make, answer)
        for name, make, answer in [
            ("no-steps", lambda w: sequence(w, steps=[]), (400, "invalid_sequence_steps")),
            (
                "21-steps",
                lambda w: sequence(w, steps=steps(w) * 21),
                (400, "invalid_sequence_steps"),
            ),
            (
                "only-waits",
                lambda w: sequence(w, steps=[{"type": "wait", "minutes": 60}]),
                (400, "invalid_sequence_steps"),
            ),
            (
                "wait-below",
                lambda w: sequence(w, steps=steps(w, {"type": "wait", "minutes": 14})),
                (400, "delay_minutes_below_minimum"),
            ),
            (
                "wait-above",
                lambda w: sequence(w, steps=steps(w, {"type": "wait", "minutes": 43_201})),
                (400, "delay_minutes_above_maximum"),
            ),
            (
                "mapping-key",
                lambda w: sequence(
                    w, steps=[{**support.email_step(w.acme), "variableMappings": {"a b": "x"}}]
                ),
                (400, "invalid_variable_mappings"),
            ),
            (
                "template-id-form",
                lambda w: sequence(
                    w, steps=[{**support.email_step(w.acme), "templateId": "welcome"}]
                ),
                (404, "email_template_not_found"),
            ),
            ("name-line-break", lambda w: sequence(w, name="a\nb"), (400, "invalid_request")),
            ("name-121", lambda w: sequence(w, name="x" * 121), (400, "invalid_request")),
            (
                "exit-twice",
                lambda w: sequence(w, exitOn=["BOUNCED", "BOUNCED"]),
                (400, "invalid_request"),
            ),
            (
                "step-type",
                lambda w: sequence(w, steps=steps(w, {"type": "sms", "minutes": 60})),
                (400, "invalid_request"),
            ),
            ("status", lambda w: sequence(w, status="DELETED"), (400, "invalid_request")),
        ]
    },
    **{
        f"settings-{name}": (
            "put_campaign_settings",
            {},
            lambda w, body=body: body,
            (400, "invalid_request"),
        )
        for name, body in {
            "clock-time": {"sendWindow": {**_WINDOW, "startTime": "9:00"}},
            "no-days": {"sendWindow": {**_WINDOW, "workingDays": []}},
            "day-twice": {"sendWindow": {**_WINDOW, "workingDays": [1, 1]}},
            "day-7": {"sendWindow": {**_WINDOW, "workingDays": [7]}},
            "cooldown-above": {"contactCooldownMinutes": 43_201},
            "cap-0": {"contactDailyCap": 0},
        }.items()
    },
    "suppression-path-email": (
        "put_suppression",
        {"email": "not-an-address"},
        lambda w: {"reason": "x"},
        (400, "invalid_recipient"),
    ),
    "suppression-reason-line-break": (
        "put_suppression",
        {},
        lambda w: {"reason": "a\nb"},
        (400, "invalid_header_value"),
    ),
    "lead-email": (
        "capture_lead",
        {},
        lambda w: {"email": "not-an-address"},
        (400, "invalid_request"),
    ),
    "lead-field-name": (
        "capture_lead",
        {},
        lambda w: {"email": "a@acme-leads.example", "fields": {"a b": "x"}},
        (400, "invalid_request"),
    ),
}


@pytest.mark.parametrize(
    ("route_id", "path", "body", "answer"), REFUSED.values(), ids=REFUSED.keys()
)
def test_what_the_api_refuses_for_its_form_the_document_calls_invalid(
    world: World, route_id: str, path: dict[str, str], body: Any, answer: tuple[int, str]
) -> None:
    params = path_params(route_of(route_id), world.acme, **path)
    request = body(world)
    status, refused = invoke(route_id, params, sub=OWNER, body=request)
    assert (status, refused["error"]) == answer, refused
    assert not document_accepts(route_id, params, request)


@pytest.mark.parametrize(
    "route", support.BODY_ROUTES, ids=[r.route_id for r in support.BODY_ROUTES]
)
def test_the_valid_bodies_are_valid_in_the_document_too(world: World, route: Any) -> None:
    """The control: the suites' valid bodies and the tenants' real path values."""
    params = path_params(route, world.acme)
    assert document_accepts(route.route_id, params, support.valid_body(route, world.acme))


def test_a_send_of_fifty_entries_is_valid_in_both(world: World) -> None:
    body = send(world, to=[f"fifty{i}@acme-rcpt.example" for i in range(50)])
    assert document_accepts("send_message", {"handle": "acme"}, body)
    assert invoke("send_message", {"handle": "acme"}, sub=OWNER, body=body)[0] == 202
