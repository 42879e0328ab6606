"""The OpenAPI operations of the public routes (routes.PUBLIC_ROUTES): no bearer token, and
answers that are pages (or, for a client that asks for JSON, the API's JSON bodies). Their
route modules answer with hand-made responses, which Powertools cannot describe, so the
operations are written out here; tests/unit/test_openapi.py checks them against the routes."""

from __future__ import annotations

import importlib
from typing import Any

from tenx_email.errors import UnsubscribeLinkMalformed, UnsubscribeLinkNotFound
from tenx_email.routes import PUBLIC_ROUTES, PublicRoute
from tenx_email.unsubscribe_tokens import MAX_TOKEN_CHARS

TAG = "unsubscribe"
TAG_DESCRIPTION = (
    "One-click unsubscribe (RFC 8058): the links in campaign mail. No bearer token: the "
    "sealed token in the path is the authority. Throttled on their own."
)
_TOKEN = {
    "name": "token",
    "in": "path",
    "required": True,
    "description": "The sealed token of one recipient of one message (from List-Unsubscribe).",
    "schema": {
        "type": "string",
        "minLength": 1,
        "maxLength": MAX_TOKEN_CHARS,
        "pattern": "^[A-Za-z0-9_-]+$",
    },
}
_HTML = {"text/html": {"schema": {"type": "string"}}}


def _error(code: str, error_ref: str) -> dict[str, Any]:
    return {
        "description": f"`{code}`: a page (or the JSON error body when Accept asks for JSON)",
        "content": {**_HTML, "application/json": {"schema": {"$ref": error_ref}}},
    }


def _operation(route: PublicRoute, error_ref: str) -> dict[str, Any]:
    module = importlib.import_module(f"functions.{route.handler_module}")
    description = " ".join((module.__doc__ or "").split())
    operation: dict[str, Any] = {
        "operationId": route.route_id,
        "summary": route.route_id.replace("_", " ").capitalize(),
        "description": description,
        "tags": [TAG],
        "security": [],
        "parameters": [_TOKEN],
        "responses": {
            "200": {"description": "OK", "content": dict(_HTML)},
            "400": _error(UnsubscribeLinkMalformed.code, error_ref),
            "404": _error(UnsubscribeLinkNotFound.code, error_ref),
            "429": {
                "description": "`throttled`: over the route's own limit (API Gateway's body)",
                "content": {"application/json": {"schema": {"$ref": error_ref}}},
            },
        },
        "x-throttle": {"rateLimit": route.rate_limit, "burstLimit": route.burst_limit},
    }
    if route.method == "POST":
        form = {
            "schema": {
                "type": "object",
                "properties": {"List-Unsubscribe": {"type": "string", "const": "One-Click"}},
            }
        }
        operation["requestBody"] = {
            "required": False,
            "description": "RFC 8058's body; the token alone decides (any body is taken).",
            "content": {"application/x-www-form-urlencoded": form, "multipart/form-data": form},
        }
        operation["responses"]["200"]["content"]["application/json"] = {
            "schema": {
                "type": "object",
                "properties": {"unsubscribed": {"type": "boolean"}},
                "required": ["unsubscribed"],
            }
        }
    return operation


def public_paths(error_ref: str) -> dict[str, dict[str, Any]]:
    paths: dict[str, dict[str, Any]] = {}
    for route in PUBLIC_ROUTES:
        paths.setdefault(route.path, {})[route.method.lower()] = _operation(route, error_ref)
    return paths
