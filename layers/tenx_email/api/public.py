"""The resolver and Lambda entrypoint of the public routes (routes.PUBLIC_ROUTES): no JWT, no
tenant check (the link's token is checked by the service), and pages rather than JSON. Domain
errors become HTTP here as in api/resolver.py, with the same status and code: as a plain
page for a browser, as the API's JSON error body for a client that asks for JSON."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from tenx_email.api.resolver import LambdaHandler, error_response, log_refusal
from tenx_email.api.unsubscribe_pages import PAGE_HEADERS, error_page
from tenx_email.errors import DomainError
from tenx_email.observability import logger, metrics
from tenx_email.routes import PublicRoute

_TITLES = {400: "This link is not complete", 404: "This link does not work"}


def wants_json(app: APIGatewayRestResolver) -> bool:
    accept = (app.current_event.headers or {}).get("accept") or ""
    return "application/json" in accept and "text/html" not in accept


def page(status: int, html: str) -> Response[str]:
    return Response(status_code=status, body=html, headers=dict(PAGE_HEADERS))


def create_public_resolver() -> APIGatewayRestResolver:
    app = APIGatewayRestResolver(enable_validation=True)

    def request_id() -> str:
        return str(app.current_event.request_context.request_id or "")

    @app.exception_handler(DomainError)
    def domain_error(error: DomainError) -> Response[str]:
        log_refusal(error)
        if wants_json(app):
            return error_response(error.status, error.code, error.message, request_id())
        title = _TITLES.get(error.status, "Something is not right")
        return page(error.status, error_page(title, error.message))

    @app.not_found
    def not_found(_: Exception) -> Response[str]:
        return page(404, error_page("Not found", "There is nothing here."))

    return app


def public_entrypoint(app: APIGatewayRestResolver, route: PublicRoute) -> LambdaHandler:
    """The Lambda handler of a public route: logging (never the path: it holds the token)
    and metrics around the resolver."""

    @logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
    @metrics.log_metrics
    def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
        return app.resolve(event, context)

    return handler
