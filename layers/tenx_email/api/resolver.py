"""The resolver every route function uses, and the one place domain errors become HTTP."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from tenx_email import ids, keys
from tenx_email.api import bodies
from tenx_email.errors import DomainError, Forbidden, InvalidSendWindow, Unauthenticated
from tenx_email.models import Caller, HandleAccess
from tenx_email.observability import logger, metrics
from tenx_email.routes import Route, Scope
from tenx_email.services import access

_ACCESS_CONTEXT_KEY = "handle_access"
# Validation error types (PydanticCustomError) that are API error codes of their own.
SEMANTIC_ERRORS = frozenset({InvalidSendWindow.code})


def _error_body(code: str, message: str, request_id: str) -> str:
    return json.dumps({"error": code, "message": message, "requestId": request_id})


def error_response(
    status: int, code: str, message: str, request_id: str, headers: dict[str, str] | None = None
) -> Response[str]:
    return Response(
        status_code=status,
        content_type="application/json",
        body=_error_body(code, message, request_id),
        headers=headers,
    )


def log_refusal(error: DomainError) -> None:
    logger.info("request refused", extra={"error_code": error.code, "status": error.status})


def _field_name(location: tuple[Any, ...]) -> str:
    # Powertools reports ("body", "field", ...) or ("path", "name"); show what the client sent.
    return ".".join(str(part) for part in location[1:]) or str(location[0])


def _problem(detail: Mapping[str, Any]) -> str:
    location = tuple(detail.get("loc", ()))
    if location == ("body",) and detail.get("type") == "missing":
        return f"the request has no body; {bodies.SEND_JSON}"
    # A validator's own words, without pydantic's "Value error, " before them.
    message = str(detail.get("msg", "invalid")).removeprefix("Value error, ")
    return f"{_field_name(location)}: {message}"


def create_resolver() -> APIGatewayRestResolver:
    # Bodies are parsed by bodies.json_object, which refuses malformed JSON and non-objects in
    # plain words; entrypoint has refused anything but JSON and hides its Content-Type.
    app = APIGatewayRestResolver(enable_validation=True, json_body_deserializer=bodies.json_object)

    def request_id() -> str:
        return str(app.current_event.request_context.request_id or "")

    @app.exception_handler(DomainError)
    def domain_error(error: DomainError) -> Response[str]:
        log_refusal(error)
        return error_response(error.status, error.code, error.message, request_id(), error.headers)

    @app.exception_handler(RequestValidationError)
    def invalid_request(error: RequestValidationError) -> Response[str]:
        details = list(error.errors())
        problems = [_problem(detail) for detail in details]
        # A request refused only for what well-formed values mean has that refusal's code.
        types = {str(detail.get("type")) for detail in details}
        code = types.pop() if len(types) == 1 and types <= SEMANTIC_ERRORS else "invalid_request"
        return error_response(400, code, "; ".join(problems[:10]), request_id())

    @app.not_found
    def not_found(_: Exception) -> Response[str]:
        return error_response(404, "route_not_found", "No such route.", request_id())

    return app


def _caller_of(event: dict[str, Any]) -> Caller:
    """The user the authorizer vouched for (its context arrives as strings)."""
    context = (event.get("requestContext") or {}).get("authorizer") or {}
    try:
        return Caller(sub=str(context["sub"]), token_expires_at=int(context["exp"]))
    except (KeyError, TypeError, ValueError) as error:
        raise Unauthenticated("the request carries no verified identity") from error


def caller(app: APIGatewayRestResolver) -> Caller:
    return _caller_of(app.current_event.raw_event)


@dataclass(frozen=True)
class RawRequest:
    """What a route's prefetch sees of a request before the resolver has validated anything:
    the path and query parameters and the body as sent (None if absent or undecodable)."""

    path: Mapping[str, str]
    query: Mapping[str, str]
    body: str | None

    def json_object(self) -> Mapping[str, Any]:
        """The body's JSON object, or {} if it is not one (the resolver refuses it later)."""
        if not self.body:
            return {}
        try:
            parsed = json.loads(self.body)
        except (ValueError, RecursionError):
            return {}
        return parsed if isinstance(parsed, dict) else {}


# A route's prefetch: the keys (under the caller's handle, whose name it is given) the route
# will read, derived leniently from the unvalidated request: whatever does not look valid is
# left out (the route then reads it itself, or refuses it). It must never raise.
Prefetch = Callable[[str, RawRequest], Sequence[keys.Key]]


def _raw_request(event: dict[str, Any]) -> RawRequest:
    body = event.get("body")
    if isinstance(body, str) and event.get("isBase64Encoded"):
        try:
            body = base64.b64decode(body, validate=True).decode()
        except (ValueError, UnicodeDecodeError):
            body = None
    return RawRequest(
        path=_strings(event.get("pathParameters")),
        query=_strings(event.get("queryStringParameters")),
        body=body if isinstance(body, str) else None,
    )


def _strings(mapping: object) -> dict[str, str]:
    if not isinstance(mapping, dict):
        return {}
    return {str(name): value for name, value in mapping.items() if isinstance(value, str)}


def _authorize_handle_request(
    event: dict[str, Any], route: Route, prefetch: Prefetch | None, consistent: bool
) -> HandleAccess:
    handle_name = (event.get("pathParameters") or {}).get("handle", "")
    if not ids.is_valid(ids.HANDLE_PATTERN, handle_name):
        raise Forbidden("you have no access to this handle")
    wanted = prefetch(handle_name, _raw_request(event)) if prefetch else ()
    return access.authorize_handle(
        _caller_of(event), handle_name, route.min_role, wanted, consistent=consistent
    )


def handle_access(app: APIGatewayRestResolver) -> HandleAccess:
    """The access `entrypoint` checked for this request."""
    checked: HandleAccess = app.context[_ACCESS_CONTEXT_KEY]
    return checked


LambdaHandler = Callable[[dict[str, Any], LambdaContext], dict[str, Any]]


def _refused(error: DomainError, event: dict[str, Any]) -> dict[str, Any]:
    """An error in API Gateway's proxy format, for refusals made before the resolver runs."""
    log_refusal(error)
    request_id = str((event.get("requestContext") or {}).get("requestId", ""))
    return {
        "statusCode": error.status,
        "headers": {"Content-Type": "application/json", **error.headers},
        "body": _error_body(error.code, error.message, request_id),
        "isBase64Encoded": False,
    }


def entrypoint(
    app: APIGatewayRestResolver,
    route: Route,
    prefetch: Prefetch | None = None,
    *,
    consistent_reads: bool = True,
) -> LambdaHandler:
    """The Lambda handler of a route function: logging with the request's correlation id
    and metrics around the resolver. A handle route's access is checked first, before
    the resolver validates the body, so a caller without access learns nothing from it.

    `prefetch` (handle routes): the keys the route will read, read in the access check's one
    BatchGetItem; the route's getters then find them in the request's read cache, which lives
    for this invocation only and is dropped at the request's first write. `consistent_reads`:
    False reads them eventually consistently (a route whose every check is enforced again by
    a later write or by delivery; see services/sending.py)."""

    @logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
    @metrics.log_metrics
    def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
        with access.request_scope():
            if route.scope is Scope.HANDLE:
                try:
                    checked = _authorize_handle_request(event, route, prefetch, consistent_reads)
                except DomainError as error:
                    return _refused(error, event)
                app.append_context(**{_ACCESS_CONTEXT_KEY: checked})
            refusal = bodies.refusal(event)
            if refusal is not None:
                return _refused(refusal, event)
            return app.resolve(bodies.as_json(event), context)

    return handler
