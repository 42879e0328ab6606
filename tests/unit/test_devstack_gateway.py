"""The local API Gateway without AWS: routing, the TOKEN authorizer's outcomes, the proxy
event, and the gateway responses, with stand-in Lambdas."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import pytest
from werkzeug.test import Client
from werkzeug.wrappers import Request, Response

from devstack.gateway import MAX_BODY_BYTES, ApiGateway, RateLimit, policy_allows
from tenx_email.roles import Role
from tenx_email.routes import PublicRoute, Route

ROUTE = Route(
    route_id="get_thing",
    method="GET",
    path="/v2/handles/{handle}/things/{thingId}",
    min_role=Role.CREATOR,
    read_only=True,
)
POST_ROUTE = Route(
    route_id="post_thing", method="POST", path="/v2/things", min_role=Role.CREATOR, read_only=False
)
PATH = "/v2/handles/acme/things/t1"


STAGE_ARN = "arn:aws:execute-api:us-east-1:123456789012:local/local"


def policy(effect: str) -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [
            {"Action": "execute-api:Invoke", "Effect": effect, "Resource": f"{STAGE_ARN}/*"}
        ],
    }


ALLOW = {"principalId": "user_1", "policyDocument": policy("Allow"), "context": {"sub": "user_1"}}


class Lambdas:
    """Stand-in functions: `answers` maps a module to its answer, or to an exception to raise."""

    def __init__(self, **answers: Any) -> None:
        self.answers = {"authorizer": ALLOW, "get_thing": {"statusCode": 200, "body": "{}"}}
        self.answers.update(answers)
        self.calls: list[tuple[str, dict[str, Any]]] = []

    def __call__(self, module: str, event: dict[str, Any]) -> Any:
        self.calls.append((module, event))
        answer = self.answers[module]
        if isinstance(answer, Exception):
            raise answer
        return answer

    def modules(self) -> list[str]:
        return [module for module, _ in self.calls]

    def event(self, module: str) -> dict[str, Any]:
        return next(event for called, event in self.calls if called == module)


def client(lambdas: Lambdas) -> Client:
    return Client(ApiGateway([ROUTE, POST_ROUTE], lambdas, {}))


def error_of(response: Any) -> tuple[int, str]:
    body = json.loads(response.get_data())
    assert body["requestId"] == response.headers["x-amzn-RequestId"]
    return response.status_code, body["error"]


AUTH = {"Authorization": "Bearer token"}


def test_an_allowed_request_reaches_the_route_with_a_rest_proxy_event() -> None:
    # Given an authorizer that allows with a context of mixed types
    lambdas = Lambdas(
        authorizer={**ALLOW, "context": {"sub": "user_1", "exp": 1700000000, "admin": False}}
    )

    # When a request with path, query and header values arrives
    response = client(lambdas).get(
        f"{PATH}?limit=5&tag=a&tag=b",
        headers={**AUTH, "X-Trace": "t1"},
        environ_base={"REMOTE_ADDR": "127.0.0.9"},
    )

    # Then the authorizer got the token and the route got API Gateway's proxy event
    assert response.status_code == 200
    authorizer_event = lambdas.event("authorizer")
    assert authorizer_event == {
        "type": "TOKEN",
        "authorizationToken": "Bearer token",
        "methodArn": f"{STAGE_ARN}/GET{PATH}",
    }
    event = lambdas.event("get_thing")
    assert event["resource"] == ROUTE.path
    assert event["path"] == PATH
    assert event["httpMethod"] == "GET"
    assert event["pathParameters"] == {"handle": "acme", "thingId": "t1"}
    assert event["queryStringParameters"] == {"limit": "5", "tag": "b"}
    assert event["multiValueQueryStringParameters"] == {"limit": ["5"], "tag": ["a", "b"]}
    assert event["headers"]["X-Trace"] == "t1"
    assert event["multiValueHeaders"]["X-Trace"] == ["t1"]
    assert event["body"] is None
    assert event["isBase64Encoded"] is False
    assert event["stageVariables"] is None
    context = event["requestContext"]
    assert context["resourcePath"] == ROUTE.path
    assert context["stage"] == "local"
    assert context["requestId"] == response.headers["x-amzn-RequestId"]
    assert context["identity"]["sourceIp"] == "127.0.0.9"
    assert context["authorizer"] == {
        "principalId": "user_1",
        "sub": "user_1",
        "exp": "1700000000",
        "admin": "false",
    }


def test_a_body_is_passed_as_text() -> None:
    # Given a POST route
    lambdas = Lambdas(post_thing={"statusCode": 201, "body": "{}"})

    # When a JSON body is sent
    response = client(lambdas).post("/v2/things", headers=AUTH, data='{"name": "x"}')

    # Then the route gets it as a string, and no path parameters
    assert response.status_code == 201
    event = lambdas.event("post_thing")
    assert event["body"] == '{"name": "x"}'
    assert event["pathParameters"] is None
    assert event["queryStringParameters"] is None


def test_the_routes_answer_is_returned_as_it_is() -> None:
    # Given a route answering with both header maps and a base64 body
    lambdas = Lambdas(
        get_thing={
            "statusCode": 207,
            "headers": {"X-One": "1", "X-Both": "single"},
            "multiValueHeaders": {"Set-Cookie": ["a=1", "b=2"], "X-Both": ["multi"]},
            "body": "aGVsbG8=",
            "isBase64Encoded": True,
        }
    )

    # When it is called
    response = client(lambdas).get(PATH, headers=AUTH)

    # Then status, headers and body come through; multiValueHeaders wins on a shared name
    assert response.status_code == 207
    assert response.get_data() == b"hello"
    assert response.headers["X-One"] == "1"
    assert response.headers.getlist("Set-Cookie") == ["a=1", "b=2"]
    assert response.headers.getlist("X-Both") == ["multi"]
    assert response.headers["Content-Type"] == "application/json"


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/v2/nothing"),
        ("DELETE", PATH),
        ("GET", f"{PATH}/more"),
        ("GET", "/v2/handles//things/t1"),
    ],
)
def test_an_unknown_route_is_refused_before_the_authorizer(method: str, path: str) -> None:
    # Given any gateway
    lambdas = Lambdas()

    # When a request matches no route and method
    response = client(lambdas).open(path, method=method, headers=AUTH)

    # Then API Gateway's MISSING_AUTHENTICATION_TOKEN answers, and no Lambda ran
    assert error_of(response) == (404, "route_not_found")
    assert lambdas.calls == []


@pytest.mark.parametrize("headers", [{}, {"Authorization": ""}, {"Authorization": "  "}])
def test_no_authorization_header_is_unauthorized_without_calling_the_authorizer(
    headers: dict[str, str],
) -> None:
    lambdas = Lambdas()

    response = client(lambdas).get(PATH, headers=headers)

    assert error_of(response) == (401, "missing_bearer_token")
    assert lambdas.calls == []


def test_a_deny_renders_access_denied_with_the_authorizers_context() -> None:
    # Given an authorizer that denies with an error code in its context
    lambdas = Lambdas(
        authorizer={
            "principalId": "anonymous",
            "policyDocument": policy("Deny"),
            "context": {"error": "invalid_token", "message": "the token has expired"},
        }
    )

    # When a request arrives
    response = client(lambdas).get(PATH, headers=AUTH)

    # Then the deployed ACCESS_DENIED response answers, and the route never ran
    assert error_of(response) == (401, "invalid_token")
    assert json.loads(response.get_data())["message"] == "the token has expired"
    assert lambdas.modules() == ["authorizer"]


@pytest.mark.parametrize(
    "answer",
    [
        RuntimeError("boom"),
        "Allow",
        {"policyDocument": policy("Allow")},
        {**ALLOW, "context": {"nested": {"a": 1}}},
    ],
)
def test_a_failing_or_malformed_authorizer_is_an_authorizer_failure(answer: Any) -> None:
    lambdas = Lambdas(authorizer=answer)

    response = client(lambdas).get(PATH, headers=AUTH)

    assert error_of(response) == (500, "authorizer_failure")
    assert lambdas.modules() == ["authorizer"]


@pytest.mark.parametrize(
    "answer",
    [
        RuntimeError("boom"),
        None,
        {"body": "{}"},
        {"statusCode": "200"},
        {"statusCode": 200, "body": {}},
    ],
)
def test_a_failing_or_malformed_route_is_a_502(answer: Any) -> None:
    lambdas = Lambdas(get_thing=answer)

    response = client(lambdas).get(PATH, headers=AUTH)

    assert error_of(response) == (502, "internal_error")


def test_a_body_over_10_mb_is_too_large() -> None:
    lambdas = Lambdas(post_thing={"statusCode": 201, "body": "{}"})

    response = client(lambdas).post("/v2/things", headers=AUTH, data=b"x" * (MAX_BODY_BYTES + 1))

    assert error_of(response) == (413, "request_too_large")
    assert lambdas.calls == []


def test_local_endpoints_are_served_beside_the_api() -> None:
    # Given a local endpoint registered on a path
    def hello(_: Request, __: Mapping[str, str]) -> Response:
        return Response("hi")

    lambdas = Lambdas()
    app = ApiGateway([ROUTE], lambdas, {("GET", "/_local/hello"): hello})

    # When it is called without any token
    response = Client(app).get("/_local/hello")

    # Then it answers, and no Lambda ran
    assert response.get_data() == b"hi"
    assert lambdas.calls == []


def test_a_local_endpoint_gets_its_paths_parameters() -> None:
    # Given a local endpoint whose path has a {domain} segment
    def publish(_: Request, path: Mapping[str, str]) -> Response:
        return Response(f"published {path['domain']}")

    lambdas = Lambdas()
    app = ApiGateway([ROUTE], lambdas, {("POST", "/_local/dns/{domain}/publish"): publish})

    # When it is called with a value there, and with another method or a longer path
    response = Client(app).post("/_local/dns/mail.acme.example/publish")
    wrong_method = Client(app).get("/_local/dns/mail.acme.example/publish")
    longer = Client(app).post("/_local/dns/a/b/publish")

    # Then the endpoint gets the value; the others are not it (the API answers them)
    assert response.get_data() == b"published mail.acme.example"
    assert error_of(wrong_method) == (404, "route_not_found")
    assert error_of(longer) == (404, "route_not_found")
    assert lambdas.calls == []


ARN = f"{STAGE_ARN}/GET/v2/things"


@pytest.mark.parametrize(
    ("statements", "allowed"),
    [
        ([("Allow", f"{STAGE_ARN}/*")], True),
        ([("Allow", ARN)], True),
        ([("Allow", f"{STAGE_ARN}/POST/*")], False),
        ([("Allow", f"{STAGE_ARN}/???/v2/things")], True),
        ([("Allow", "*"), ("Deny", ARN)], False),
        ([], False),
    ],
)
def test_the_policy_is_evaluated_like_iam(statements: list[tuple[str, str]], allowed: bool) -> None:
    document = {
        "Statement": [
            {"Action": "execute-api:Invoke", "Effect": effect, "Resource": resource}
            for effect, resource in statements
        ]
    }

    assert policy_allows(document, ARN) is allowed


PUBLIC = PublicRoute(
    route_id="open_link",
    method="GET",
    path="/v2/links/{token}",
    read_only=True,
    rate_limit=1,
    burst_limit=2,
)


def test_a_public_route_runs_without_the_authorizer_and_with_no_identity() -> None:
    lambdas = Lambdas(open_link={"statusCode": 200, "body": "<p>page</p>"})
    gateway = Client(ApiGateway([ROUTE], lambdas, {}, [PUBLIC]))

    response = gateway.get("/v2/links/abc")

    assert response.status_code == 200
    assert lambdas.modules() == ["open_link"]
    event = lambdas.event("open_link")
    assert event["pathParameters"] == {"token": "abc"}
    assert "authorizer" not in event["requestContext"]
    # and the JWT routes still need their token
    assert gateway.get(PATH).status_code == 401


def test_a_public_route_is_throttled_past_its_burst() -> None:
    clock = [0.0]
    lambdas = Lambdas(open_link={"statusCode": 200, "body": ""})
    gateway = ApiGateway([ROUTE], lambdas, {}, [PUBLIC])
    gateway._limits["open_link"] = RateLimit(1, 2, now=lambda: clock[0])
    client_ = Client(gateway)

    statuses = [client_.get("/v2/links/abc").status_code for _ in range(3)]
    clock[0] += 1.0  # a second later, one more request is allowed
    statuses.append(client_.get("/v2/links/abc").status_code)

    assert statuses == [200, 200, 429, 200]
    assert lambdas.modules() == ["open_link"] * 3
