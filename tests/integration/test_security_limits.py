"""Oversized input: bodies, recipient lists, variable sets, mappings and page sizes over the
documented limits are refused with 400 or 413 (never a 500), and a refusal writes nothing.
Each limit is also shown to hold exactly at its bound (the control).

docs/api.md: templates html + text at most 256 KiB (413 template_too_large); at most 50 `to`
entries, duplicates counted (400 invalid_recipient); at most 100 variables, values up to 10,000
characters; at most 50 variableMappings (400 invalid_variable_mappings); page limit 1-100.
"""

from __future__ import annotations

from typing import Any

import pytest

from tenx_email.routes import Route
from tests.events import invoke
from tests.integration import security_support as support
from tests.integration.security_support import (
    LIMIT_ROUTES,
    OPERATOR,
    World,
    path_params,
    table_snapshot,
)

world = support.world_fixture

KIB = 1024
ACME = {"handle": "acme"}


def refused(
    route_id: str, params: dict[str, str], body: Any, expected: tuple[int, str], **kw: Any
) -> None:
    before = table_snapshot()
    status, answer = invoke(route_id, params, sub=OPERATOR, body=body, **kw)
    assert (status, answer["error"]) == expected, answer
    assert table_snapshot() == before


def template(world: World, template_id: str, **content: Any) -> dict[str, Any]:
    return {"templateId": template_id, "name": "Big", "subject": "Hello {{firstName}}", **content}


# --- templates ------------------------------------------------------------------------------------

TOO_LARGE = (413, "template_too_large")
OVERSIZED_TEMPLATES = {
    "html-over": {"html": "x" * (256 * KIB + 1)},
    "text-over": {"text": "x" * (256 * KIB + 1)},
    "sum-over": {"html": "x" * (200 * KIB), "text": "y" * (56 * KIB + 1)},
    "multibyte-over": {"text": "\u00e9" * (128 * KIB + 1)},  # 2 bytes each: counted in bytes
    "far-over": {"html": "x" * (5 * 1024 * KIB)},
}


@pytest.mark.parametrize("content", OVERSIZED_TEMPLATES.values(), ids=OVERSIZED_TEMPLATES.keys())
def test_an_oversized_template_is_refused_on_create(world: World, content: dict[str, str]) -> None:
    refused("create_template", ACME, template(world, "tmpl_acme_big", **content), TOO_LARGE)


@pytest.mark.parametrize("content", OVERSIZED_TEMPLATES.values(), ids=OVERSIZED_TEMPLATES.keys())
def test_an_update_that_makes_a_template_oversized_is_refused(
    world: World, content: dict[str, str]
) -> None:
    params = {"handle": "acme", "templateId": world.acme.template_ids[0]}
    refused("update_template", params, content, TOO_LARGE)


def test_a_template_of_exactly_256_kib_is_accepted(world: World) -> None:
    body = template(world, "tmpl_acme_max", html="x" * (128 * KIB), text="y" * (128 * KIB))
    assert invoke("create_template", ACME, sub=OPERATOR, body=body)[0] == 201


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"subject": "x" * 999}, "invalid_header_value"),
        ({"name": "x" * 201}, "invalid_request"),
        ({"templateId": "tmpl_" + "x" * 65}, "invalid_template_id"),
        ({"templateId": "tmpl_" + "x" * 5000}, "invalid_request"),
    ],
    ids=["subject", "name", "id", "id-far"],
)
def test_oversized_template_fields_are_refused(
    world: World, changes: dict[str, str], code: str
) -> None:
    body = {**template(world, "tmpl_acme_fields", text="Hi"), **changes}
    refused("create_template", ACME, body, (400, code))


# --- direct sends ---------------------------------------------------------------------------------


def addresses(count: int, prefix: str = "r") -> list[str]:
    return [f"{prefix}{index}@acme-rcpt.example" for index in range(count)]


@pytest.mark.parametrize(
    ("to", "expected"),
    [
        (addresses(51), (400, "invalid_recipient")),
        ([*addresses(50), "new@acme-rcpt.example", *addresses(5)], (400, "invalid_recipient")),
        # The document's maxItems is the API's: a 51st entry is refused even as a duplicate.
        ([*addresses(50), addresses(1)[0].upper()], (400, "invalid_recipient")),
        (addresses(500), (400, "invalid_recipient")),
        (addresses(501), (400, "invalid_request")),
        (addresses(10_000), (400, "invalid_request")),
        (["a" * 65 + "@example.com"], (400, "invalid_recipient")),
        (["a@" + "b" * 330 + ".com"], (400, "invalid_request")),
    ],
    ids=[
        "51",
        "51-after-dedupe",
        "51-with-a-duplicate",
        "500",
        "501",
        "10000",
        "long-local-part",
        "long-address",
    ],
)
def test_too_many_or_too_long_recipients_are_refused(
    world: World, to: list[str], expected: tuple[int, str]
) -> None:
    refused("send_message", ACME, support.send_body(world.acme, to=to), expected)


def test_fifty_entries_are_accepted_and_their_duplicates_removed(world: World) -> None:
    to = addresses(40, "fifty") + [a.upper() for a in addresses(10, "fifty")]
    status, body = invoke(
        "send_message", ACME, sub=OPERATOR, body=support.send_body(world.acme, to=to)
    )
    assert (status, body["message"]["recipientCount"]) == (202, 40)


def variables(count: int, size: int = 1) -> dict[str, str]:
    return {"firstName": "Asha", **{f"v{index}": "x" * size for index in range(count - 1)}}


OVERSIZED_VARIABLES = {
    "101-variables": variables(101),
    "1000-variables": variables(1000),
    "value-10001": {"firstName": "x" * 10_001},
    "value-1mb": {"firstName": "x" * (1024 * KIB)},
    "name-65": {"firstName": "Asha", "v" * 65: "x"},
    "nested": {"firstName": {"deep": ["x"] * 10}},
    "list": {"firstName": ["x"] * 1000},
}


@pytest.mark.parametrize("values", OVERSIZED_VARIABLES.values(), ids=OVERSIZED_VARIABLES.keys())
@pytest.mark.parametrize("route_id", ["send_message", "preview_template"])
def test_too_many_or_too_large_variables_are_refused(
    world: World, route_id: str, values: dict[str, Any]
) -> None:
    if route_id == "send_message":
        params, body = ACME, support.send_body(world.acme, variables=values)
    else:
        params = {"handle": "acme", "templateId": world.acme.template_ids[0]}
        body = {"variables": values}
    refused(route_id, params, body, (400, "invalid_request"))


def test_a_hundred_variables_of_ten_thousand_characters_are_accepted(world: World) -> None:
    params = {"handle": "acme", "templateId": world.acme.template_ids[0]}
    body = {"variables": variables(100, 10_000)}
    status, answer = invoke("preview_template", params, sub=OPERATOR, body=body)
    assert status == 200, answer


def test_an_oversized_idempotency_key_is_refused(world: World) -> None:
    body = support.send_body(world.acme, idempotencyKey="k" * 129)
    refused("send_message", ACME, body, (400, "invalid_request"))


# --- campaign rules and leads ---------------------------------------------------------------------


def mappings(count: int) -> dict[str, str]:
    return {f"v{index}": f"fields.f{index}" for index in range(count)}


@pytest.mark.parametrize(
    "values",
    [mappings(51), mappings(5000), {"k" * 65: "name"}, {"name": "v" * 65}],
    ids=["51", "5000", "key-65", "value-65"],
)
@pytest.mark.parametrize("route_id", ["create_email_rule", "update_email_rule"])
def test_too_many_or_too_long_variable_mappings_are_refused(
    world: World, route_id: str, values: dict[str, str]
) -> None:
    params = {"handle": "acme", "campaignId": world.acme.campaign_id, "ruleId": world.acme.rule_id}
    body = support.rule_body(world.acme, variableMappings=values)
    refused(route_id, params, body, (400, "invalid_variable_mappings"))


def test_fifty_variable_mappings_are_accepted(world: World) -> None:
    params = {"handle": "acme", "campaignId": world.acme.campaign_id}
    body = support.rule_body(world.acme, variableMappings=mappings(50))
    assert invoke("create_email_rule", params, sub=OPERATOR, body=body)[0] == 201


@pytest.mark.parametrize(
    "lead",
    [
        {"email": "a@example.com", "fields": {f"f{index}": "x" for index in range(51)}},
        {"email": "a@example.com", "fields": {"f": "x" * 1001}},
        {"email": "a@example.com", "message": "x" * 2001},
        {"email": "a@example.com", "name": "x" * 201},
        {"email": "a@example.com", "phone": "1" * 41},
        {"email": "a" * 250 + "@example.com"},
    ],
    ids=["51-fields", "field-value", "message", "name", "phone", "email"],
)
def test_oversized_leads_are_refused(world: World, lead: dict[str, Any]) -> None:
    params = {"handle": "acme", "campaignId": world.acme.campaign_id}
    refused("capture_lead", params, lead, (400, "invalid_request"))


def test_an_oversized_suppression_reason_is_refused(world: World) -> None:
    params = {"handle": "acme", "email": "long-reason@acme-supp.example"}
    refused("put_suppression", params, {"reason": "x" * 201}, (400, "invalid_request"))


@pytest.mark.parametrize(
    ("field", "value", "code"),
    [
        ("displayName", "x" * 101, "invalid_header_value"),
        ("displayName", "x" * 201, "invalid_request"),
        ("replyTo", "a" * 250 + "@example.com", "invalid_request"),
        ("purposes", ["TRANSACTIONAL_API"] * 4, "invalid_request"),
    ],
    ids=["display-name", "display-name-far", "reply-to", "purposes"],
)
def test_oversized_sender_fields_are_refused(
    world: World, field: str, value: Any, code: str
) -> None:
    params = {"handle": "acme", "senderId": world.acme.sender_id}
    refused("put_sender", params, support.sender_body(world.acme, **{field: value}), (400, code))


# --- page sizes on every list route ---------------------------------------------------------------

LIST_QUERY = {"list_events": {"since": "2000-01-01T00:00:00Z"}}


@pytest.mark.parametrize("limit", ["0", "-1", "101", str(10**30), "ten", ""])
@pytest.mark.parametrize("route", LIMIT_ROUTES, ids=[r.route_id for r in LIMIT_ROUTES])
def test_a_page_size_outside_1_to_100_is_refused_on_every_list_route(
    world: World, route: Route, limit: str
) -> None:
    query = {**LIST_QUERY.get(route.route_id, {}), "limit": limit}
    status, body = invoke(route.route_id, path_params(route, world.acme), sub=OPERATOR, query=query)
    assert (status, body["error"]) == (400, "invalid_request")
    assert "limit" in body["message"]


@pytest.mark.parametrize("limit", ["1", "100"])
@pytest.mark.parametrize("route", LIMIT_ROUTES, ids=[r.route_id for r in LIMIT_ROUTES])
def test_page_sizes_at_the_bounds_are_accepted(world: World, route: Route, limit: str) -> None:
    query = {**LIST_QUERY.get(route.route_id, {}), "limit": limit}
    status, body = invoke(route.route_id, path_params(route, world.acme), sub=OPERATOR, query=query)
    assert status == 200, body


# --- malformed and pathological JSON bodies -------------------------------------------------------

BODY_ROUTES = support.BODY_ROUTES


@pytest.mark.parametrize(
    "raw",
    ['{"templateId": ', "[]", "null", "\x00", '{"a": 1}' * 1000],
    ids=["truncated", "array", "null", "nul", "concatenated"],
)
@pytest.mark.parametrize("route", BODY_ROUTES, ids=[r.route_id for r in BODY_ROUTES])
def test_malformed_json_is_a_400_on_every_body_route(world: World, route: Route, raw: str) -> None:
    before = table_snapshot()
    status, body = invoke(
        route.route_id, path_params(route, world.acme), sub=OPERATOR, raw_body=raw
    )
    assert (status, body["error"]) == (400, "invalid_request")
    assert table_snapshot() == before


def deeply_nested(depth: int) -> str:
    return '{"variables": ' * depth + "{}" + "}" * depth


@pytest.mark.parametrize("route", BODY_ROUTES, ids=[r.route_id for r in BODY_ROUTES])
def test_a_deeply_nested_body_is_a_400_not_a_crash(world: World, route: Route) -> None:
    status, body = invoke(
        route.route_id, path_params(route, world.acme), sub=OPERATOR, raw_body=deeply_nested(5000)
    )
    assert (status, body["error"]) == (400, "invalid_request")


def test_moderate_nesting_is_an_ordinary_400(world: World) -> None:
    params = {"handle": "acme", "templateId": world.acme.template_ids[0]}
    status, body = invoke("preview_template", params, sub=OPERATOR, raw_body=deeply_nested(50))
    assert (status, body["error"]) == (400, "invalid_request")
