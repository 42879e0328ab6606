"""Request bodies that are not a JSON object: every route that reads a body answers in plain
words what was wrong and what to send, with a 4xx (never a 500), and writes nothing.

docs/api.md, "Request bodies": a body declared as anything but application/json answers
415 unsupported_media_type (curl's `-d` declares application/x-www-form-urlencoded); without a
Content-Type it is read as JSON; malformed JSON, a body that is not UTF-8, and JSON that is not
an object answer 400 invalid_request saying what and where; so does a missing body. Parametrized
over every route of tenx_email.routes.ROUTES that takes a JSON body (`BODY_ROUTES`), and the
media type over every POST and PUT, so a route added later is covered too.
"""

from __future__ import annotations

import base64
import importlib
import json
from typing import Any

import pytest

from tenx_email.routes import ROUTES, Route
from tests.events import FakeLambdaContext, rest_event
from tests.integration import security_support as support
from tests.integration.security_support import (
    BODY_ROUTES,
    OUTSIDER,
    OWNER,
    World,
    path_params,
    table_snapshot,
)

world = support.world_fixture

WRITE_ROUTES = [route for route in ROUTES if route.method in {"POST", "PUT"}]
SEND_JSON = 'send a JSON object with "Content-Type: application/json"'


def ids(routes: list[Route]) -> list[str]:
    return [route.route_id for route in routes]


def call(
    route: Route,
    world: World,
    body: str | None,
    *,
    content_type: str | None = "application/json",
    base64_encoded: bool = False,
    sub: str = OWNER,
) -> tuple[int, Any]:
    """The route's real handler, with the body and Content-Type exactly as given."""
    event = rest_event(route.method, route.path, path_params(route, world.acme), sub=sub)
    headers = {"Content-Type": content_type} if content_type is not None else {}
    event.update(
        headers=headers,
        multiValueHeaders={name: [value] for name, value in headers.items()},
        body=body,
        isBase64Encoded=base64_encoded,
    )
    module = importlib.import_module(f"functions.{route.handler_module}")
    response = module.handler(event, FakeLambdaContext())
    return response["statusCode"], json.loads(response["body"]) if response["body"] else None


def refused(route: Route, world: World, body: str | None, **kw: Any) -> tuple[int, str, str]:
    """(status, code, message) of a refusal, which must have written nothing."""
    before = table_snapshot()
    status, answer = call(route, world, body, **kw)
    assert table_snapshot() == before
    return status, answer["error"], answer["message"]


def valid_json(route: Route, world: World) -> str:
    return json.dumps(support.valid_body(route, world.acme) or {})


# --- the declared media type ----------------------------------------------------------------

NOT_JSON = {
    "curl-d": "application/x-www-form-urlencoded",
    "text": "text/plain",
    "multipart": "multipart/form-data; boundary=x",
    "multipart-no-boundary": "multipart/form-data",
    "json-lookalike": "application/jsonl",
}


@pytest.mark.parametrize("content_type", NOT_JSON.values(), ids=NOT_JSON.keys())
@pytest.mark.parametrize("route", WRITE_ROUTES, ids=ids(WRITE_ROUTES))
def test_a_body_sent_as_anything_but_json_is_a_415_that_says_what_to_send(
    world: World, route: Route, content_type: str
) -> None:
    status, code, message = refused(
        route, world, valid_json(route, world), content_type=content_type
    )
    assert (status, code) == (415, "unsupported_media_type")
    assert content_type.split(";")[0] in message
    assert SEND_JSON in message


ACCEPTED_AS_JSON = {
    "declared": "application/json",
    "with-charset": "application/json; charset=utf-8",
    "other-case": "Application/JSON",
    "undeclared": None,
}


@pytest.mark.parametrize("content_type", ACCEPTED_AS_JSON.values(), ids=ACCEPTED_AS_JSON.keys())
@pytest.mark.parametrize("route", BODY_ROUTES, ids=ids(BODY_ROUTES))
def test_a_json_body_is_read_as_json_declared_so_or_undeclared(
    world: World, route: Route, content_type: str | None
) -> None:
    """The control: the same valid body passes validation (the service may still refuse it
    for the state it meets, such as a duplicate id, but never for its form)."""
    status, answer = call(route, world, valid_json(route, world), content_type=content_type)
    assert status < 500
    assert (answer or {}).get("error") not in {"invalid_request", "unsupported_media_type"}, answer


def test_an_empty_body_is_not_refused_for_its_declared_type(world: World) -> None:
    # Nothing was sent, so its type does not matter: the answer is that the body is missing.
    route = support.route_of("send_message")
    status, code, message = refused(
        route, world, "", content_type="application/x-www-form-urlencoded"
    )
    assert (status, code) == (400, "invalid_request")
    assert message == f"the request has no body; {SEND_JSON}"


def test_the_media_type_is_checked_after_access(world: World) -> None:
    route = support.route_of("send_message")
    status, code, _ = refused(
        route, world, valid_json(route, world), content_type="text/plain", sub=OUTSIDER
    )
    assert (status, code) == (403, "forbidden")


# --- what the JSON is ------------------------------------------------------------------------

MALFORMED = {
    "missing-comma": ('{"a": 1 "b": 2}', "expecting ',' delimiter at line 1, column 9"),
    "second-line": (
        '{\n  "a": 1,\n}',
        "expecting property name enclosed in double quotes at line 3, column 1",
    ),
    "truncated": ('{"a": ', "expecting value at line 1, column 7"),
    "form-encoded": ("a=1&b=2", "expecting value at line 1, column 1"),
    "trailing-data": ('{"a": 1} {}', "extra data at line 1, column 10"),
}


@pytest.mark.parametrize(("raw", "where"), MALFORMED.values(), ids=MALFORMED.keys())
@pytest.mark.parametrize("route", BODY_ROUTES, ids=ids(BODY_ROUTES))
def test_malformed_json_is_a_400_that_says_what_and_where(
    world: World, route: Route, raw: str, where: str
) -> None:
    status, code, message = refused(route, world, raw)
    assert (status, code) == (400, "invalid_request")
    assert message == f"the body is not valid JSON: {where}"


NOT_AN_OBJECT = {
    "array": ("[]", "an array"),
    "string": ('"x"', "a string"),
    "null": ("null", "null"),
    "number": ("7", "a number"),
    "boolean": ("true", "a boolean"),
}


@pytest.mark.parametrize(("raw", "kind"), NOT_AN_OBJECT.values(), ids=NOT_AN_OBJECT.keys())
@pytest.mark.parametrize("route", BODY_ROUTES, ids=ids(BODY_ROUTES))
def test_json_that_is_not_an_object_is_a_400_naming_what_it_is(
    world: World, route: Route, raw: str, kind: str
) -> None:
    status, code, message = refused(route, world, raw)
    assert (status, code) == (400, "invalid_request")
    assert message == f"the body must be a JSON object ({{...}}), not {kind}"


@pytest.mark.parametrize("body", ["", None], ids=["empty", "absent"])
@pytest.mark.parametrize("route", BODY_ROUTES, ids=ids(BODY_ROUTES))
def test_a_missing_body_is_a_400_that_says_what_to_send(
    world: World, route: Route, body: str | None
) -> None:
    status, code, message = refused(route, world, body)
    assert (status, code) == (400, "invalid_request")
    assert message == f"the request has no body; {SEND_JSON}"


@pytest.mark.parametrize("route", BODY_ROUTES, ids=ids(BODY_ROUTES))
def test_a_body_that_is_not_utf8_is_a_400_not_a_crash(world: World, route: Route) -> None:
    # API Gateway hands over a binary body base64-encoded; Powertools decoded it as UTF-8
    # unguarded (a 500).
    raw = base64.b64encode(b'{"name": "caf\xe9"}').decode()
    status, code, message = refused(route, world, raw, base64_encoded=True)
    assert (status, code) == (400, "invalid_request")
    assert message == f"the body is not valid JSON: it is not UTF-8 (byte 14 is 0xe9); {SEND_JSON}"


@pytest.mark.parametrize("route", BODY_ROUTES, ids=ids(BODY_ROUTES))
def test_an_unpaired_surrogate_escape_is_a_400_not_a_crash(world: World, route: Route) -> None:
    # Valid JSON syntax but not Unicode text: it failed where the text was encoded (a 500).
    status, code, message = refused(route, world, '{"subject": "Hi \\ud800"}')
    assert (status, code) == (400, "invalid_request")
    assert "unpaired UTF-16 surrogate" in message
