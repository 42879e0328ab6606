"""A local API Gateway (REST API with a TOKEN authorizer and Lambda proxy integrations).

Driven by the same route table as the deployed API, it runs the real authorizer and route
Lambdas with the events API Gateway sends and answers refusals with the deployed gateway
responses, so a client cannot tell the two apart by status or body.
"""

from __future__ import annotations

import base64
import logging
import re
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from werkzeug.wrappers import Request, Response

from devstack.environment import ACCOUNT_ID, REGION, STAGE
from tenx_email import gateway_responses
from tenx_email.routes import PublicRoute, Route

AUTHORIZER_MODULE = "authorizer"
API_ID = "local"
MAX_BODY_BYTES = 10 * 1024 * 1024  # API Gateway's payload limit

Invoke = Callable[[str, dict[str, Any]], Any]
# A local endpoint gets the request and its path's {name} segments.
LocalHandler = Callable[[Request, Mapping[str, str]], Response]

_log = logging.getLogger(__name__)


class AuthorizerFailure(Exception):
    """The authorizer's answer is not one API Gateway can use."""


@dataclass(frozen=True)
class RouteMatch:
    route: Route | PublicRoute
    path_parameters: dict[str, str]


class RateLimit:
    """API Gateway's method throttling, as a token bucket: `rate` requests a second, up to
    `burst` at once; past it a request gets the THROTTLED gateway response (429)."""

    def __init__(self, rate: float, burst: int, now: Callable[[], float] = time.monotonic):
        self._rate, self._burst, self._now = rate, burst, now
        self._tokens, self._at = float(burst), now()

    def allow(self) -> bool:
        now = self._now()
        self._tokens = min(self._burst, self._tokens + (now - self._at) * self._rate)
        self._at = now
        if self._tokens < 1:
            return False
        self._tokens -= 1
        return True


def path_pattern(template: str) -> re.Pattern[str]:
    """A path template as a regex: a {name} segment matches one non-empty path segment, as in
    API Gateway."""
    parts = re.split(r"\{(\w+)\}", template)
    regex = "".join(
        f"(?P<{part}>[^/]+)" if index % 2 else re.escape(part) for index, part in enumerate(parts)
    )
    return re.compile(regex)


class RouteTable:
    def __init__(self, routes: Sequence[Route | PublicRoute]) -> None:
        self._patterns = [(route, path_pattern(route.path)) for route in routes]

    def match(self, method: str, path: str) -> RouteMatch | None:
        """The route for this request; None for an unknown path or an unknown method on it."""
        for route, pattern in self._patterns:
            found = pattern.fullmatch(path)
            if found and route.method == method:
                return RouteMatch(route=route, path_parameters=found.groupdict())
        return None


def _iam_pattern(resource: str) -> re.Pattern[str]:
    """An IAM resource pattern: `*` matches any run of characters, `?` any one character."""
    wildcards = {"*": ".*", "?": "."}
    # DOTALL: any character means a line break too (a path may carry an encoded %0A).
    return re.compile(
        "".join(wildcards.get(char) or re.escape(char) for char in resource), re.DOTALL
    )


_INVOKE_ACTIONS = frozenset({"execute-api:Invoke", "execute-api:*", "*"})


def _as_list(value: Any) -> list[Any]:
    # IAM allows a single value wherever it allows a list.
    return [value] if isinstance(value, str | dict) else list(value)


def _statement_applies(statement: Mapping[str, Any], method_arn: str) -> bool:
    invokes = any(action in _INVOKE_ACTIONS for action in _as_list(statement.get("Action", [])))
    return invokes and any(
        _iam_pattern(resource).fullmatch(method_arn)
        for resource in _as_list(statement.get("Resource", []))
    )


def policy_allows(policy: Mapping[str, Any], method_arn: str) -> bool:
    """IAM's rule for the authorizer's policy: an explicit Deny wins, else an Allow is needed."""
    effects = {
        statement.get("Effect")
        for statement in _as_list(policy.get("Statement", []))
        if _statement_applies(statement, method_arn)
    }
    return "Allow" in effects and "Deny" not in effects


def _context_value(value: object) -> str:
    # API Gateway passes the authorizer's context on as strings and refuses nested values.
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str | int | float):
        return str(value)
    raise AuthorizerFailure(f"context values must be strings, numbers or booleans: {value!r}")


@dataclass(frozen=True)
class Authorization:
    principal_id: str
    allowed: bool
    context: dict[str, str]


def read_authorization(answer: object, method_arn: str) -> Authorization:
    if not isinstance(answer, dict):
        raise AuthorizerFailure("the authorizer did not return an object")
    principal_id, policy = answer.get("principalId"), answer.get("policyDocument")
    if not isinstance(principal_id, str) or not isinstance(policy, dict):
        raise AuthorizerFailure("the authorizer's answer lacks principalId or policyDocument")
    context = answer.get("context") or {}
    if not isinstance(context, dict):
        raise AuthorizerFailure("the authorizer's context is not an object")
    return Authorization(
        principal_id=principal_id,
        allowed=policy_allows(policy, method_arn),
        context={str(key): _context_value(value) for key, value in context.items()},
    )


def proxy_event(
    request: Request,
    body: bytes,
    matched: RouteMatch,
    authorization: Authorization | None,
    request_id: str,
) -> dict[str, Any]:
    """The event a REST API's Lambda proxy integration sends."""
    headers: dict[str, list[str]] = {}
    for name, value in request.headers.items():
        headers.setdefault(name, []).append(value)
    query = request.args.to_dict(flat=False)
    now = time.time()
    route = matched.route
    return {
        "resource": route.path,
        "path": request.path,
        "httpMethod": request.method,
        # API Gateway keeps the last value of a repeated header or query parameter here.
        "headers": {name: values[-1] for name, values in headers.items()} or None,
        "multiValueHeaders": headers or None,
        "queryStringParameters": {name: values[-1] for name, values in query.items()} or None,
        "multiValueQueryStringParameters": query or None,
        "pathParameters": matched.path_parameters or None,
        "stageVariables": None,
        "body": body.decode("utf-8", errors="replace") if body else None,
        "isBase64Encoded": False,
        "requestContext": {
            "accountId": ACCOUNT_ID,
            "apiId": API_ID,
            "stage": STAGE,
            "requestId": request_id,
            "extendedRequestId": request_id,
            "requestTime": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now)),
            "requestTimeEpoch": int(now * 1000),
            "resourceId": route.route_id,
            "resourcePath": route.path,
            "httpMethod": request.method,
            "path": request.path,
            "protocol": request.environ.get("SERVER_PROTOCOL", "HTTP/1.1"),
            "domainName": request.host,
            "identity": {"sourceIp": request.remote_addr, "userAgent": request.user_agent.string},
            **(
                {"authorizer": {"principalId": authorization.principal_id, **authorization.context}}
                if authorization is not None
                else {}
            ),
        },
    }


def lambda_response(result: object, request_id: str) -> Response | None:
    """The client's response from a proxy integration's answer; None if it is malformed."""
    if not isinstance(result, dict):
        return None
    status, body = result.get("statusCode"), result.get("body")
    if isinstance(status, bool) or not isinstance(status, int) or not 100 <= status <= 599:
        return None
    if body is not None and not isinstance(body, str):
        return None
    headers = dict(result.get("multiValueHeaders") or {})
    for name, value in (result.get("headers") or {}).items():
        # Both maps are merged; for a name in both, multiValueHeaders wins.
        headers.setdefault(name, [value])
    if not any(name.lower() == "content-type" for name in headers):
        headers["Content-Type"] = ["application/json"]  # API Gateway's default
    headers["x-amzn-RequestId"] = [request_id]
    return Response(
        base64.b64decode(body or "") if result.get("isBase64Encoded") else body or "",
        status=status,
        headers=[(name, str(value)) for name, values in headers.items() for value in values],
    )


def gateway_response(
    response_type: str,
    default_status: int,
    request_id: str,
    authorizer: dict[str, str] | None = None,
) -> Response:
    spec = gateway_responses.BY_TYPE[response_type]
    return Response(
        gateway_responses.render(response_type, request_id, authorizer),
        status=spec.status_code or default_status,
        headers={"Content-Type": "application/json", "x-amzn-RequestId": request_id},
    )


class ApiGateway:
    """A WSGI application: the API's routes, plus local-only endpoints next to them."""

    def __init__(
        self,
        routes: Sequence[Route],
        invoke: Invoke,
        local_endpoints: Mapping[tuple[str, str], LocalHandler],
        public_routes: Sequence[PublicRoute] = (),
    ) -> None:
        self._routes = RouteTable([*routes, *public_routes])
        self._limits = {
            route.route_id: RateLimit(route.rate_limit, route.burst_limit)
            for route in public_routes
        }
        self._invoke = invoke
        self._local = [
            (method, path_pattern(path), handler)
            for (method, path), handler in local_endpoints.items()
        ]

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        return self._respond(request)(environ, start_response)

    def _respond(self, request: Request) -> Response:
        for method, pattern, handler in self._local:
            found = pattern.fullmatch(request.path)
            if found and method == request.method:
                return handler(request, found.groupdict())
        return self._api(request)

    def _api(self, request: Request) -> Response:
        request_id = str(uuid.uuid4())
        matched = self._routes.match(request.method, request.path)
        if matched is None:
            return gateway_response("MISSING_AUTHENTICATION_TOKEN", 403, request_id)
        if (request.content_length or 0) > MAX_BODY_BYTES:
            return gateway_response("REQUEST_TOO_LARGE", 413, request_id)
        body = request.stream.read(MAX_BODY_BYTES + 1)
        if len(body) > MAX_BODY_BYTES:
            return gateway_response("REQUEST_TOO_LARGE", 413, request_id)
        if isinstance(matched.route, PublicRoute):
            if not self._limits[matched.route.route_id].allow():
                return gateway_response("THROTTLED", 429, request_id)
            return self._integrate(proxy_event(request, body, matched, None, request_id), matched)
        token = request.headers.get("Authorization", "")
        if not token.strip():
            return gateway_response("UNAUTHORIZED", 401, request_id)

        method_arn = (
            f"arn:aws:execute-api:{REGION}:{ACCOUNT_ID}:{API_ID}/{STAGE}/"
            f"{request.method}{request.path}"
        )
        try:
            answer = self._invoke(
                AUTHORIZER_MODULE,
                {"type": "TOKEN", "authorizationToken": token, "methodArn": method_arn},
            )
            authorization = read_authorization(answer, method_arn)
        except Exception:
            _log.exception("the authorizer failed")
            return gateway_response("AUTHORIZER_FAILURE", 500, request_id)
        if not authorization.allowed:
            return gateway_response("ACCESS_DENIED", 403, request_id, authorization.context)

        return self._integrate(
            proxy_event(request, body, matched, authorization, request_id), matched
        )

    def _integrate(self, event: dict[str, Any], matched: RouteMatch) -> Response:
        request_id = event["requestContext"]["requestId"]
        try:
            result = self._invoke(matched.route.handler_module, event)
        except Exception:
            _log.exception("%s failed", matched.route.handler_module)
            result = None
        response = lambda_response(result, request_id)
        if response is None:
            # A function error or a malformed answer: API Gateway's 502 "Internal server error".
            return gateway_response("DEFAULT_5XX", 502, request_id)
        return response
