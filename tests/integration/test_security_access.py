"""Broken object- and function-level authorization, through every route's real Lambda on moto.

RELIABILITY.md, "Attacks to refuse": another handle's member on every route -> 403; a lower
role on every route -> 403; another handle's object id through your own handle -> 404. Every
case is parametrized over tenx_email.routes.ROUTES, so a route added later is covered, and
every refusal is checked to have written nothing.
"""

from __future__ import annotations

import importlib
import json
import time
from collections.abc import Callable
from typing import Any

import pytest

from tenx_email.dal import domains as domain_store
from tenx_email.roles import Role
from tenx_email.routes import ROUTES, Route
from tenx_email.routes import route as route_of
from tests.events import FakeLambdaContext, invoke, rest_event
from tests.integration import security_support as support
from tests.integration.conftest import MEMBERS, OUTSIDER
from tests.integration.security_support import (
    ACCOUNT_ROUTES,
    GLOBEX_OWNER,
    HANDLE_ROUTES,
    NOBODY,
    OPERATOR,
    OWNER,
    World,
    path_params,
    table_snapshot,
    tenant_snapshot,
)

world = support.delivered_world_fixture

NEVER_EXISTED_RULE = "cer_00000000-0000-4000-8000-000000000000"
NEVER_EXISTED_SEQUENCE = "seq_00000000-0000-4000-8000-000000000000"
GARBAGE_BODY = '{"status": "SENT", "handle": "globex", '  # malformed JSON with loaded fields


def ids(routes: list[Route]) -> list[str]:
    return [route.route_id for route in routes]


def call(
    route: Route,
    params: dict[str, str],
    *,
    sub: str | None,
    body: Any = None,
    raw_body: str | None = None,
    expires_at: int | None = None,
) -> tuple[int, Any]:
    module = importlib.import_module(f"functions.{route.handler_module}")
    event = rest_event(route.method, route.path, params, sub=sub, body=body, expires_at=expires_at)
    if raw_body is not None:
        event["body"] = raw_body
    response = module.handler(event, FakeLambdaContext())
    return response["statusCode"], json.loads(response["body"]) if response["body"] else None


def error(result: tuple[int, Any]) -> tuple[int, str]:
    status, body = result
    return status, (body or {}).get("error", "")


# --- another handle's member, or nobody, on every handle route --------------------------------


# Another handle's OPERATOR and OWNER, and a user of no handle; the malformed body shows the
# body is not even parsed before access is checked (nothing about its shape leaks).
NON_MEMBERS = [
    pytest.param(OUTSIDER, "valid-body", id="globex-operator"),
    pytest.param(OUTSIDER, "malformed-body", id="globex-operator-malformed-body"),
    pytest.param(GLOBEX_OWNER, "valid-body", id="globex-owner"),
    pytest.param(NOBODY, "valid-body", id="no-membership"),
]


@pytest.mark.parametrize(("sub", "body_kind"), NON_MEMBERS)
@pytest.mark.parametrize("route", HANDLE_ROUTES, ids=ids(HANDLE_ROUTES))
def test_a_non_member_is_forbidden_on_every_handle_route_before_the_body_is_read(
    world: World, route: Route, sub: str, body_kind: str
) -> None:
    before = table_snapshot()
    params = path_params(route, world.acme)
    if body_kind == "valid-body":
        result = call(route, params, sub=sub, body=support.valid_body(route, world.acme))
    else:
        result = call(route, params, sub=sub, raw_body=GARBAGE_BODY)
    assert error(result) == (403, "forbidden")
    assert table_snapshot() == before


@pytest.mark.parametrize("route", HANDLE_ROUTES, ids=ids(HANDLE_ROUTES))
def test_an_unknown_handle_and_a_foreign_one_answer_alike(world: World, route: Route) -> None:
    # The acme OWNER asks for globex (exists, not a member) and for initech (does not exist):
    # the same status, code and message, so handle names cannot be enumerated.
    answers = []
    for handle in ("globex", "initech", "acme-eu"):
        params = path_params(route, world.acme, handle=handle)
        status, body = call(route, params, sub=OWNER, body=support.valid_body(route, world.acme))
        answers.append((status, body["error"], body["message"]))
    assert answers == [(403, "forbidden", answers[0][2])] * 3


# --- roles below the route's minimum -----------------------------------------------------------

ROLE_CASES = [
    pytest.param(route, role, id=f"{route.route_id}-{role.value}")
    for route in ROUTES
    for role in Role
    if not role.reaches(route.min_role)
]


def test_the_role_matrix_has_cases() -> None:
    # Every route but the CREATOR-level ones has a lower role to try; the contract's table.
    assert {route.route_id for route, _ in (case.values for case in ROLE_CASES)} == {
        route.route_id for route in ROUTES if route.min_role is not Role.CREATOR
    }
    # And the routes a CREATOR may call are the contract's few reads, named here so that
    # opening another route to creators is a deliberate change (a count of cases was not one).
    assert {route.route_id for route in ROUTES if route.min_role is Role.CREATOR} == {
        "get_handle_access",
        "list_email_rules",
        "get_campaign_settings",
        "list_sequences",
        "get_sequence",
        "get_sequence_stats",
    }


@pytest.mark.parametrize(("route", "role"), ROLE_CASES)
def test_a_role_below_the_minimum_is_refused_on_every_route(
    world: World, route: Route, role: Role
) -> None:
    before = table_snapshot()
    params = path_params(route, world.acme)
    result = call(route, params, sub=MEMBERS[role], body=support.valid_body(route, world.acme))
    assert error(result) == (403, "insufficient_role")
    assert table_snapshot() == before


# Paths for the positive control that change nothing another test relies on.
HARMLESS_OVERRIDES = {
    "delete_email_rule": {"ruleId": NEVER_EXISTED_RULE},
    "delete_sequence": {"sequenceId": NEVER_EXISTED_SEQUENCE},
    "delete_suppression": {"email": "never-suppressed@acme-supp.example"},
    "delete_webhook": {"webhookId": "wh_" + "0" * 26},
}


@pytest.mark.parametrize("route", ROUTES, ids=ids(ROUTES))
def test_the_minimum_role_gets_past_the_access_check(world: World, route: Route) -> None:
    """The control for the cases above: the same request from the route's minimum role is
    not refused for access (so the 403s come from the role, not from the request)."""
    params = path_params(route, world.acme, **HARMLESS_OVERRIDES.get(route.route_id, {}))
    status, body = call(
        route, params, sub=MEMBERS[route.min_role], body=support.valid_body(route, world.acme)
    )
    assert status < 500
    assert status not in (401, 403), body


# --- the route Lambdas re-check the token's expiry (cached authorizer answers) -----------------


@pytest.mark.parametrize("route", ROUTES, ids=ids(ROUTES))
def test_a_cached_allow_for_an_expired_token_is_refused_by_every_route(
    world: World, route: Route
) -> None:
    before = table_snapshot()
    params = path_params(route, world.acme)
    expired = int(time.time()) - 61 - 5
    result = call(
        route,
        params,
        sub=OWNER,
        body=support.valid_body(route, world.acme),
        expires_at=expired,
    )
    assert error(result) == (401, "invalid_token")
    assert table_snapshot() == before


@pytest.mark.parametrize("route", ROUTES, ids=ids(ROUTES))
def test_a_request_without_a_verified_identity_is_refused_by_every_route(
    world: World, route: Route
) -> None:
    params = path_params(route, world.acme)
    result = call(route, params, sub=None, body=support.valid_body(route, world.acme))
    assert error(result) == (401, "invalid_token")


# --- account routes ----------------------------------------------------------------------------


@pytest.mark.parametrize("domain", ["example.com", "globex.example", "unattached.example"])
@pytest.mark.parametrize("route", ACCOUNT_ROUTES, ids=ids(ACCOUNT_ROUTES))
def test_a_user_with_no_membership_is_forbidden_on_every_account_route(
    world: World, route: Route, domain: str
) -> None:
    before = table_snapshot()
    assert error(call(route, {"domain": domain}, sub=NOBODY)) == (403, "forbidden")
    assert table_snapshot() == before


# What the highest role of another account gets for a domain of acme's account. Attaching an
# attached domain is refused as a conflict (docs/api.md, "Domains"); reading or reconciling it
# answers as if it did not exist.
FOREIGN_DOMAIN_ANSWER = {"attach_domain": (409, "domain_already_attached")}


@pytest.mark.parametrize(
    ("sub", "domain"),
    [(GLOBEX_OWNER, "example.com"), (OWNER, "globex.example")],
    ids=["globex-owner-on-acme-domain", "acme-owner-on-globex-domain"],
)
@pytest.mark.parametrize("route", ACCOUNT_ROUTES, ids=ids(ACCOUNT_ROUTES))
def test_another_accounts_domain_is_not_found_on_every_account_route(
    world: World, route: Route, sub: str, domain: str
) -> None:
    before = table_snapshot()
    owner = domain_store.owner_of(domain)
    expected = FOREIGN_DOMAIN_ANSWER.get(route.route_id, (404, "account_domain_not_found"))
    status, body = call(route, {"domain": domain}, sub=sub)
    assert (status, body["error"]) == expected
    assert domain_store.owner_of(domain) == owner
    assert table_snapshot() == before


@pytest.mark.parametrize("account_id", ["acc_demo", "acc_nope"])
def test_attaching_a_domain_to_an_account_you_do_not_belong_to_is_forbidden(
    world: World, account_id: str
) -> None:
    before = table_snapshot()
    route = route_of("attach_domain")
    module = importlib.import_module(f"functions.{route.handler_module}")
    event = rest_event(
        route.method,
        route.path,
        {"domain": "takeover.example"},
        sub=GLOBEX_OWNER,
        query={"accountId": account_id},
    )
    response = module.handler(event, FakeLambdaContext())
    assert response["statusCode"] == 403
    assert json.loads(response["body"])["error"] == "forbidden"
    assert table_snapshot() == before


@pytest.mark.parametrize("route", ACCOUNT_ROUTES, ids=ids(ACCOUNT_ROUTES))
def test_another_accounts_domain_answers_like_an_unattached_one(world: World, route: Route) -> None:
    if route.route_id in FOREIGN_DOMAIN_ANSWER:
        pytest.skip("attaching answers 409 for an attached domain by design (docs/api.md)")
    foreign = call(route, {"domain": "globex.example"}, sub=OPERATOR)
    unattached = call(route, {"domain": "unattached.example"}, sub=OPERATOR)
    assert error(foreign) == error(unattached) == (404, "account_domain_not_found")


# --- another handle's object ids through your own handle ---------------------------------------


Request = Callable[[World], dict[str, Any]]


def _case(route_id: str, request: Request, status: int, code: str, name: str) -> Any:
    return pytest.param(route_id, request, status, code, id=f"{route_id}-{name}")


# acme's OPERATOR names globex's objects in acme's paths and bodies.
CROSS_HANDLE = [
    _case(
        "get_template",
        lambda w: {"path": {"templateId": w.globex.template_ids[0]}},
        404,
        "email_template_not_found",
        "template",
    ),
    _case(
        "update_template",
        lambda w: {"path": {"templateId": w.globex.template_ids[0]}, "body": {"name": "pwned"}},
        404,
        "email_template_not_found",
        "rename",
    ),
    _case(
        "update_template",
        lambda w: {
            "path": {"templateId": w.globex.template_ids[0]},
            "body": {"subject": "pwned", "status": "PAUSED"},
        },
        404,
        "email_template_not_found",
        "new-version",
    ),
    _case(
        "preview_template",
        lambda w: {"path": {"templateId": w.globex.template_ids[0]}, "body": {}},
        404,
        "email_template_not_found",
        "template",
    ),
    _case(
        "get_message",
        lambda w: {"path": {"messageId": w.globex.message_ids[0]}},
        404,
        "message_not_found",
        "direct-message",
    ),
    _case(
        "get_message",
        lambda w: {"path": {"messageId": w.globex.rule_message_ids[0]}},
        404,
        "message_not_found",
        "rule-message",
    ),
    _case(
        "update_email_rule",
        lambda w: {"path": {"ruleId": w.globex.rule_id}, "body": support.rule_body(w.acme)},
        404,
        "email_rule_not_found",
        "rule",
    ),
    _case(
        "update_email_rule",
        lambda w: {
            "path": {"ruleId": w.globex.rule_id},
            "body": {**support.rule_body(w.acme, enabled=False), "expectedVersion": 1},
        },
        404,
        "email_rule_not_found",
        "disable-rule",
    ),
    _case(
        "delete_email_rule",
        lambda w: {"path": {"ruleId": w.globex.rule_id}},
        404,
        "email_rule_not_found",
        "rule",
    ),
    *(
        _case(
            route_id,
            lambda w: {
                "path": {"sequenceId": w.globex.sequence_id},
                "body": support.sequence_body(w.acme, status="ARCHIVED"),
            },
            404,
            "sequence_not_found",
            "sequence",
        )
        for route_id in ("get_sequence", "update_sequence", "delete_sequence")
    ),
    _case(
        "create_sequence",
        lambda w: {"body": support.sequence_body(w.acme, steps=[support.email_step(w.globex)])},
        404,
        "email_template_not_found",
        "template",
    ),
    _case(
        "record_conversion",
        lambda w: {"body": {"leadId": w.globex.lead_ids[0]}},
        404,
        "lead_not_found",
        "lead",
    ),
    _case(
        "send_message",
        lambda w: {"body": support.send_body(w.acme, senderId=w.globex.sender_id)},
        404,
        "sender_profile_not_found",
        "sender",
    ),
    _case(
        "send_message",
        lambda w: {"body": support.send_body(w.acme, templateId=w.globex.template_ids[0])},
        404,
        "email_template_not_found",
        "template",
    ),
    _case(
        "create_email_rule",
        lambda w: {"body": support.rule_body(w.acme, templateId=w.globex.lead_template_id)},
        404,
        "email_template_not_found",
        "template",
    ),
    _case(
        "create_email_rule",
        lambda w: {"body": support.rule_body(w.acme, senderId=w.globex.sender_id)},
        404,
        "sender_profile_not_found",
        "sender",
    ),
    _case(
        "update_email_rule",
        lambda w: {"body": support.rule_body(w.acme, templateId=w.globex.lead_template_id)},
        404,
        "email_template_not_found",
        "template",
    ),
    _case(
        "put_sender",
        lambda w: {"body": support.sender_body(w.acme, domain=w.globex.domain)},
        404,
        "account_domain_not_found",
        "domain",
    ),
    *(
        _case(
            route_id,
            lambda w: {
                "path": {"webhookId": w.globex.webhook_id},
                "body": {"url": support.webhook_url(w.acme)},
            },
            404,
            "webhook_not_found",
            "webhook",
        )
        for route_id in ("get_webhook", "update_webhook", "delete_webhook", "rotate_webhook_secret")
    ),
    # Lifting a suppression is idempotent: acme's DELETE answers 204 and must lift nothing
    # of globex's (checked with the rest of globex's items).
    _case(
        "delete_suppression",
        lambda w: {"path": {"email": w.globex.suppressed[0]}},
        204,
        "",
        "suppression",
    ),
]


@pytest.mark.parametrize(("route_id", "request_of", "status", "code"), CROSS_HANDLE)
def test_another_handles_object_through_your_own_handle_is_not_found(
    world: World, route_id: str, request_of: Request, status: int, code: str
) -> None:
    request = request_of(world)
    route = route_of(route_id)
    globex_before = tenant_snapshot(world.globex)
    params = path_params(route, world.acme, **request.get("path", {}))
    result_status, body = call(route, params, sub=OPERATOR, body=request.get("body"))
    assert (result_status, (body or {}).get("error", "")) == (status, code)
    assert tenant_snapshot(world.globex) == globex_before
    leaked = support.mentions(json.dumps(body), world.globex.secrets() - request_values(request))
    assert not leaked


@pytest.mark.parametrize(
    ("route_id", "request_of", "status", "code"),
    [
        case
        for case in CROSS_HANDLE
        if case.values[0] in {"get_template", "get_message", "get_sequence"}
    ],
)
def test_the_same_ids_through_their_own_handle_are_found(
    world: World, route_id: str, request_of: Request, status: int, code: str
) -> None:
    """The control: globex's owner finds what acme's operator was told does not exist."""
    route = route_of(route_id)
    params = path_params(route, world.globex, **request_of(world).get("path", {}))
    assert call(route, params, sub=GLOBEX_OWNER)[0] == 200


def request_values(request: dict[str, Any]) -> set[str]:
    """What the caller sent may be echoed back (an id in a not-found message)."""
    return {str(value) for value in json.dumps(request).split('"')}


@pytest.mark.parametrize(
    ("route_id", "path"),
    [
        ("put_sender", "senderId"),
        ("put_suppression", "email"),
    ],
)
def test_a_put_naming_another_handles_object_only_touches_your_own(
    world: World, route_id: str, path: str
) -> None:
    route = route_of(route_id)
    foreign = {"senderId": world.globex.sender_id, "email": world.globex.suppressed[1]}[path]
    globex_before = tenant_snapshot(world.globex)
    params = path_params(route, world.acme, **{path: foreign})
    status, body = call(route, params, sub=OPERATOR, body=support.valid_body(route, world.acme))
    assert status == 200, body
    assert tenant_snapshot(world.globex) == globex_before


# The read routes, with acme's own objects in the path (and the lists' usual filters).
READ_QUERIES = {
    "list_events": {"since": "2000-01-01T00:00:00Z"},
}
READ_ROUTES = [route for route in HANDLE_ROUTES if route.method == "GET"]


@pytest.mark.parametrize("route", READ_ROUTES, ids=ids(READ_ROUTES))
def test_no_read_route_shows_anything_of_another_handle(world: World, route: Route) -> None:
    params = path_params(route, world.acme)
    status, body = invoke(
        route.route_id,
        params,
        sub=OPERATOR,
        query={
            **READ_QUERIES.get(route.route_id, {}),
            **({"limit": "100"} if "limit" in support.query_names(route) else {}),
        },
    )
    assert status == 200, body
    # put_sender / put_suppression above may have made acme objects with globex's names.
    shared_names = {world.globex.sender_id, world.globex.suppressed[1]}
    assert not support.mentions(json.dumps(body), world.globex.secrets() - shared_names)


@pytest.mark.parametrize(
    ("name", "query"),
    [
        ("message", lambda w: {"messageId": w.globex.message_ids[0]}),
        ("rule-message", lambda w: {"messageId": w.globex.rule_message_ids[0]}),
        ("recipient", lambda w: {"recipient": w.globex.shared_recipient}),
        ("lead-recipient", lambda w: {"recipient": w.globex.lead_emails[0]}),
    ],
)
def test_events_of_another_handles_message_or_recipient_are_not_shown(
    world: World, name: str, query: Any
) -> None:
    status, body = invoke("list_events", {"handle": "acme"}, sub=OPERATOR, query=query(world))
    assert status in (200, 404), body
    assert body.get("events", []) == []
    assert not support.mentions(
        json.dumps(body), world.globex.secrets() - set(query(world).values())
    )
    # The control: through globex, globex's owner sees those events.
    own = invoke("list_events", {"handle": "globex"}, sub=GLOBEX_OWNER, query=query(world))
    assert own[0] == 200
    assert own[1]["events"]


def test_events_of_another_handles_message_answer_message_not_found(world: World) -> None:
    query = {"messageId": world.globex.message_ids[0]}
    status, body = invoke("list_events", {"handle": "acme"}, sub=OPERATOR, query=query)
    assert (status, body.get("error")) == (404, "message_not_found")


def test_runs_of_another_handles_rule_are_not_shown(world: World) -> None:
    params = {
        "handle": "acme",
        "campaignId": world.acme.campaign_id,
        "ruleId": world.globex.rule_id,
    }
    status, body = invoke("list_rule_runs", params, sub=OPERATOR)
    assert status in (200, 404), body
    assert body.get("runs", []) == []
    # The control: globex's own owner sees the two runs.
    globex = {**params, "handle": "globex"}
    assert len(invoke("list_rule_runs", globex, sub=GLOBEX_OWNER)[1]["runs"]) == 2
