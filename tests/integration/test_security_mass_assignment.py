"""Mass assignment: a body may only carry the fields its route documents. Fields the service
owns (status, version, handle, ids, timestamps) are refused with 400 invalid_request, and the
refused request writes nothing. Parametrized over every route of tenx_email.routes.ROUTES whose
Lambda takes a JSON body (found from the route function's signature), so a body route added
later is covered too.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from tenx_email.routes import Route
from tests.events import invoke
from tests.integration import security_support as support
from tests.integration.security_support import (
    BODY_ROUTES,
    OWNER,
    World,
    body_model,
    legitimate_fields,
    path_params,
    table_snapshot,
)

world = support.world_fixture

# Fields a client must never set, with values an attacker would like to see stored.
SERVICE_OWNED = {
    "status": "SENT",
    "version": 99,
    "handle": "globex",
    "messageId": "msg_01jd0000000000000000000000",
    "ruleId": "cer_2f3ddf1b-7d15-4f70-83bb-1d28b91a42c5",
    "templateId": "tmpl_globex_welcome",
    "senderId": "sender_globex",
    "createdAt": "2020-01-01T00:00:00.000Z",
    "updatedAt": "2020-01-01T00:00:00.000Z",
    "activeVersion": 7,
    "campaignId": "cmp_other",
    "deleted": True,
    "recipients": [{"email": "x@example.com", "status": "SENT"}],
    "PK": "HANDLE#globex",
}

CASES = [
    pytest.param(route, name, id=f"{route.route_id}-{name}")
    for route in BODY_ROUTES
    for name in SERVICE_OWNED
    if name not in legitimate_fields(body_model(route))  # type: ignore[arg-type]
]


def test_every_body_route_has_a_valid_body() -> None:
    """A body route added later needs a valid body in security_support.VALID_BODIES."""
    assert {route.route_id for route in BODY_ROUTES} <= set(support.VALID_BODIES)


def test_every_body_route_has_cases() -> None:
    assert {route.route_id for route, _ in (case.values for case in CASES)} == {
        route.route_id for route in BODY_ROUTES
    }
    # The brief's list, wherever it is not a documented field.
    for route in BODY_ROUTES:
        fields = legitimate_fields(body_model(route))  # type: ignore[arg-type]
        refused = {name for r, name in (case.values for case in CASES) if r is route}
        assert refused == set(SERVICE_OWNED) - fields


def send(route: Route, world: World, body: Any) -> tuple[int, Any]:
    return invoke(route.route_id, path_params(route, world.acme), sub=OWNER, body=body)


@pytest.mark.parametrize("route", BODY_ROUTES, ids=[r.route_id for r in BODY_ROUTES])
def test_the_base_bodies_are_valid(world: World, route: Route) -> None:
    """The control: without the extra field the body passes validation (it may still be
    refused for the state it meets, such as a duplicate id, but never as invalid_request)."""
    status, body = send(route, world, support.valid_body(route, world.acme))
    assert status < 500
    assert (body or {}).get("error") != "invalid_request", body


@pytest.mark.parametrize(("route", "field"), CASES)
def test_a_service_owned_field_in_a_body_is_refused_and_nothing_is_written(
    world: World, route: Route, field: str
) -> None:
    base = support.valid_body(route, world.acme)
    assert base is not None
    before = table_snapshot()
    status, body = send(route, world, {**base, field: SERVICE_OWNED[field]})
    assert (status, body["error"]) == (400, "invalid_request")
    assert field in body["message"]
    assert table_snapshot() == before


@pytest.mark.parametrize("spelling", ["Status", "status ", "stat\u200bus"])
@pytest.mark.parametrize("route", BODY_ROUTES, ids=[r.route_id for r in BODY_ROUTES])
def test_near_spellings_of_a_service_owned_field_are_refused_too(
    world: World, route: Route, spelling: str
) -> None:
    base = support.valid_body(route, world.acme)
    assert base is not None
    before = table_snapshot()
    status, body = send(route, world, {**base, spelling: "SENT"})
    assert (status, body["error"]) == (400, "invalid_request")
    assert table_snapshot() == before


def test_nested_service_owned_fields_are_refused_where_a_body_nests_objects(
    world: World,
) -> None:
    # The lead snapshot nests custom fields (free keys, string values only) and recipients
    # are plain strings: an object where a string belongs is refused.
    route_body = {
        "capture_lead": {"email": "x@acme-leads.example", "fields": {"status": {"x": 1}}},
        "send_message": support.send_body(
            world.acme, to=[{"email": "x@example.com", "status": "SENT"}]
        ),
        "preview_template": {"variables": {"firstName": {"status": "SENT"}}},
    }
    for route_id, body in route_body.items():
        before = table_snapshot()
        route = support.route_of(route_id)
        status, answer = send(route, world, body)
        assert (status, answer["error"]) == (400, "invalid_request"), (route_id, answer)
        assert table_snapshot() == before


def test_a_refused_create_leaves_the_id_free_for_the_real_request(world: World) -> None:
    """Nothing half-written blocks a retry (RELIABILITY.md property 11)."""
    route = support.route_of("create_template")
    body = {**support.valid_body(route, world.acme), "templateId": "tmpl_acme_retry"}  # type: ignore[dict-item]
    assert send(route, world, {**body, "status": "PAUSED"})[1]["error"] == "invalid_request"
    status, created = send(route, world, body)
    assert status == 201, created
    assert created["template"]["status"] == "ACTIVE"
    assert created["template"]["activeVersion"] == 1
    assert json.dumps(created).count("globex") == 0
