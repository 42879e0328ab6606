"""Path parameters carrying key separators, traversal or sheer length: for every route of
tenx_email.routes.ROUTES and every one of its path parameters, such a value answers 400, 403 or
404 (a malformed handle always 403 forbidden, like a handle you cannot see), never a 500,
never another tenant's data, and changes nothing. Every DynamoDB request the route makes is
watched too: no key value may exceed DynamoDB's key size limits (moto does not enforce them on
queries; DynamoDB would answer ValidationException, a 500).
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from tenx_email.routes import ROUTES, Route
from tests.events import invoke
from tests.integration import security_support as support
from tests.integration.security_support import (
    OWNER,
    World,
    path_names,
    path_params,
    table_snapshot,
    tenant_items,
    watched_dynamodb_keys,
)

world = support.world_fixture

ATTACKS = {
    "hash": "#",
    "encoded-hash": "%23",
    "key-separator": "{real}#MEMBER#user_owner",
    "foreign-key": "HANDLE#globex",
    "slash": "/",
    "dot-dot": "..",
    "traversal": "../globex",
    "encoded-traversal": "%2e%2e%2fglobex",
    "nul": "{real}\x00",
    "crlf": "{real}\r\n",
    "upper-spaced": " {REAL}",
    "very-long": "{real}" + "a" * 3000,
}

KNOWN_ISSUES: dict[tuple[str, str, str], str] = {}


# Every route checks its handle the same way before anything else (api/resolver.entrypoint):
# a handful of attacks per route shows it; object ids get every attack.
HANDLE_ATTACKS = ("hash", "foreign-key", "traversal", "upper-spaced", "very-long")


def cases() -> list[Any]:
    found = []
    for route in ROUTES:
        for name in path_names(route):
            for attack in HANDLE_ATTACKS if name == "handle" else ATTACKS:
                reason = KNOWN_ISSUES.get((route.route_id, name, attack))
                marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
                found.append(
                    pytest.param(
                        route, name, attack, id=f"{route.route_id}-{name}-{attack}", marks=marks
                    )
                )
    return found


def attack_value(world: World, route: Route, name: str, attack: str) -> str:
    real = path_params(route, world.acme)[name]
    return ATTACKS[attack].replace("{real}", real).replace("{REAL}", real.upper())


# Spellings the service normalizes to the caller's own object (domains and addresses are
# case-insensitive and trimmed): these may succeed, on that object only.
NORMALIZED = {"upper-spaced"}


def empty_answer(body: Any) -> bool:
    """A list answer with nothing in it (every list field empty)."""
    lists = [value for value in (body or {}).values() if isinstance(value, list)]
    return bool(lists) and not any(lists)


@pytest.mark.parametrize(("route", "name", "attack"), cases())
def test_a_hostile_path_parameter_is_refused_without_effect(
    world: World, route: Route, name: str, attack: str
) -> None:
    value = attack_value(world, route, name, attack)
    params = path_params(route, world.acme, **{name: value})
    before = table_snapshot()
    with watched_dynamodb_keys() as oversized:
        status, body = invoke(
            route.route_id, params, sub=OWNER, body=support.valid_body(route, world.acme)
        )
    after = table_snapshot()
    assert status < 500
    assert not support.mentions(json.dumps(body), world.globex.secrets())
    assert tenant_items(after, world.globex) == tenant_items(before, world.globex)
    assert oversized == []
    if name == "handle":
        assert (status, body["error"]) == (403, "forbidden")
    if attack in NORMALIZED and name != "handle":
        return
    # A read may answer an empty list for an id that names nothing (list_rule_runs does:
    # see test_runs_of_a_rule_that_does_not_exist_are_not_found); anything else is refused.
    if not (route.method == "GET" and status == 200 and empty_answer(body)):
        assert status in (400, 403, 404), (status, body)
        assert body["error"], body
    assert after == before


@pytest.mark.parametrize("rule_id", ["..", "cer_nope", "cer_00000000-0000-4000-8000-000000000000"])
def test_runs_of_a_rule_that_does_not_exist_are_not_found(world: World, rule_id: str) -> None:
    route = support.route_of("list_rule_runs")
    status, body = invoke(route.route_id, path_params(route, world.acme, ruleId=rule_id), sub=OWNER)
    assert (status, body.get("error")) == (404, "email_rule_not_found")


def test_every_path_parameter_has_a_real_value() -> None:
    """A parameter added to the route table later gets a syntactically valid stand-in; the
    suite wants a real object for it (add it to security_support.Tenant.path_values)."""
    known = set(support.blank_tenant().path_values())
    assert {name for route in ROUTES for name in path_names(route)} <= known


READ_ROUTES = [route for route in ROUTES if route.method == "GET"]
READ_QUERY = {"list_events": {"since": "2000-01-01T00:00:00Z"}}


@pytest.mark.parametrize("route", READ_ROUTES, ids=[r.route_id for r in READ_ROUTES])
def test_the_untouched_path_reaches_the_route(world: World, route: Route) -> None:
    status, body = invoke(
        route.route_id,
        path_params(route, world.acme),
        sub=OWNER,
        query=READ_QUERY.get(route.route_id),
    )
    assert status == 200, body


@pytest.mark.parametrize(
    ("route_id", "name", "foreign"),
    [
        ("get_template", "templateId", lambda w: w.globex.template_ids[0]),
        ("get_message", "messageId", lambda w: w.globex.message_ids[0]),
        ("list_rule_runs", "ruleId", lambda w: w.globex.rule_id),
        ("get_domain_identity", "domain", lambda w: w.globex.domain),
    ],
)
@pytest.mark.parametrize("decoration", ["{v}", "{v}#", "../{v}", "{v}/..", "%2e%2e/{v}"])
def test_another_tenants_id_in_disguise_is_never_their_item(
    world: World, route_id: str, name: str, foreign: Any, decoration: str
) -> None:
    route = support.route_of(route_id)
    value = decoration.replace("{v}", foreign(world))
    status, body = invoke(
        route_id,
        path_params(route, world.acme, **{name: value}),
        sub=OWNER,
        query=READ_QUERY.get(route_id),
    )
    assert status in (200, 400, 403, 404), body
    # What was asked for may be echoed in a not-found message; nothing else of globex's.
    assert not support.mentions(json.dumps(body), world.globex.secrets() - {foreign(world)})
    if status == 200:
        assert not [item for item in json.dumps(body).split('"') if foreign(world) in item]
