"""The resolver every route function uses, and the one place domain errors become HTTP."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.event_handler.middlewares import NextMiddleware
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError

from tenx_email import ids
from tenx_email.errors import DomainError, Forbidden, Unauthenticated
from tenx_email.models import Caller, HandleAccess
from tenx_email.observability import logger
from tenx_email.routes import Route, Scope
from tenx_email.services import access

_ACCESS_CONTEXT_KEY = "handle_access"


def error_response(status: int, code: str, message: str, request_id: str) -> Response[str]:
    return Response(
        status_code=status,
        content_type="application/json",
        body=json.dumps({"error": code, "message": message, "requestId": request_id}),
    )


def _field_name(location: tuple[Any, ...]) -> str:
    # Powertools reports ("body", "field", ...) or ("path", "name"); show what the client sent.
    return ".".join(str(part) for part in location[1:]) or str(location[0])


def create_resolver() -> APIGatewayRestResolver:
    app = APIGatewayRestResolver(enable_validation=True)

    def request_id() -> str:
        return str(app.current_event.request_context.request_id or "")

    @app.exception_handler(DomainError)
    def domain_error(error: DomainError) -> Response[str]:
        logger.info("request refused", extra={"error_code": error.code, "status": error.status})
        return error_response(error.status, error.code, error.message, request_id())

    @app.exception_handler(RequestValidationError)
    def invalid_request(error: RequestValidationError) -> Response[str]:
        problems = [
            f"{_field_name(tuple(detail.get('loc', ())))}: {detail.get('msg', 'invalid')}"
            for detail in error.errors()
        ]
        return error_response(400, "invalid_request", "; ".join(problems[:10]), request_id())

    @app.not_found
    def not_found(_: Exception) -> Response[str]:
        return error_response(404, "route_not_found", "No such route.", request_id())

    return app


def caller(app: APIGatewayRestResolver) -> Caller:
    """The user the authorizer vouched for (its context arrives as strings)."""
    context = app.current_event.request_context.authorizer.raw_event or {}
    try:
        return Caller(sub=str(context["sub"]), token_expires_at=int(context["exp"]))
    except (KeyError, TypeError, ValueError) as error:
        raise Unauthenticated("the request carries no verified identity") from error


def require_role(route: Route) -> Callable[[APIGatewayRestResolver, NextMiddleware], Response[Any]]:
    """Route middleware: check the caller's handle access before the route runs."""
    if route.scope is not Scope.HANDLE:
        raise ValueError(f"{route.route_id} is not a handle route")

    def check(app: APIGatewayRestResolver, next_middleware: NextMiddleware) -> Response[Any]:
        handle_name = (app.current_event.path_parameters or {}).get("handle", "")
        if not ids.is_valid(ids.HANDLE_PATTERN, handle_name):
            raise Forbidden("you have no access to this handle")
        app.append_context(
            **{
                _ACCESS_CONTEXT_KEY: access.authorize_handle(
                    caller(app), handle_name, route.min_role
                )
            }
        )
        return next_middleware(app)

    return check


def handle_access(app: APIGatewayRestResolver) -> HandleAccess:
    """The access `require_role` checked for this request."""
    checked: HandleAccess = app.context[_ACCESS_CONTEXT_KEY]
    return checked
