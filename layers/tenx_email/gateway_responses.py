"""API Gateway's own error responses, as data.

The deployed API configures these as gateway responses; the local gateway renders the same
templates, so a client sees the same 401/403/404/429 bodies in both places. Templates may
use `$context.requestId` and `$context.authorizer.<key>`.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class GatewayResponseSpec:
    response_type: str
    status_code: int | None  # None keeps the status API Gateway chose
    template: str


def _error_template(code: str, message: str) -> str:
    return f'{{"error":"{code}","message":"{message}","requestId":"$context.requestId"}}'


# The authorizer answers every bad token with a Deny carrying the error code in its context:
# API Gateway then uses ACCESS_DENIED (remapped to 401), and UNAUTHORIZED is left to the one
# case the authorizer never sees, a request without an Authorization header.
GATEWAY_RESPONSES: tuple[GatewayResponseSpec, ...] = (
    GatewayResponseSpec(
        "UNAUTHORIZED",
        401,
        _error_template("missing_bearer_token", "Send Authorization: Bearer <jwt>."),
    ),
    GatewayResponseSpec(
        "ACCESS_DENIED",
        401,
        '{"error":"$context.authorizer.error","message":"$context.authorizer.message",'
        '"requestId":"$context.requestId"}',
    ),
    GatewayResponseSpec(
        "AUTHORIZER_FAILURE",
        500,
        _error_template("authorizer_failure", "The authorizer could not check the token."),
    ),
    GatewayResponseSpec(
        "MISSING_AUTHENTICATION_TOKEN",
        404,
        _error_template("route_not_found", "No such route."),
    ),
    GatewayResponseSpec(
        "THROTTLED",
        429,
        _error_template("throttled", "Too many requests; retry with backoff."),
    ),
    GatewayResponseSpec(
        "REQUEST_TOO_LARGE",
        413,
        _error_template("request_too_large", "The request body is too large."),
    ),
    GatewayResponseSpec(
        "DEFAULT_4XX",
        None,
        _error_template("bad_request", "The request was refused by the gateway."),
    ),
    GatewayResponseSpec(
        "DEFAULT_5XX",
        None,
        _error_template("internal_error", "The gateway failed to process the request."),
    ),
)

BY_TYPE = {spec.response_type: spec for spec in GATEWAY_RESPONSES}


def render(response_type: str, request_id: str, authorizer: dict[str, str] | None = None) -> str:
    """Fill a template the way API Gateway does (missing context keys render empty)."""
    body = BY_TYPE[response_type].template.replace("$context.requestId", request_id)
    for key, value in (authorizer or {}).items():
        body = body.replace(f"$context.authorizer.{key}", value)
    return body.replace("$context.authorizer.error", "").replace("$context.authorizer.message", "")
