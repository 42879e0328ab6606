"""The API's OpenAPI document, generated from the route functions themselves.

Every route module of the route table (`functions/<route_id>.py`) has its own Powertools
resolver; each resolver describes its one operation (parameters, request body, success
response) from the same pydantic models that validate requests and shape responses. This
module merges them, in route-table order, into one OpenAPI 3.1 document and adds what the
route modules do not say themselves: the bearer JWT every route needs, the error responses
(each route's error codes, with their statuses taken from `tenx_email.errors` and the gateway
responses), servers, tags and operation ids.

    python -m tenx_email.openapi                    # print the document
    python -m tenx_email.openapi --write FILE       # write it (`make openapi`)
    python -m tenx_email.openapi --check FILE       # exit 1 if FILE is not up to date

Only importing the route modules is needed: no AWS, no settings (they are read per request).
"""

from __future__ import annotations

import argparse
import copy
import importlib
import json
import re
import sys
from collections.abc import Iterator, Mapping, Sequence
from http import HTTPStatus
from pathlib import Path
from typing import Any

from tenx_email import ids, openapi_public, openapi_webhooks
from tenx_email.openapi_errors import (
    ERROR_SCHEMA,
    ROUTE_ERRORS,
    OpenApiError,
    error_responses,
    error_schema,
    error_statuses,
    route_error_codes,
)
from tenx_email.routes import ROUTES, Route, Scope
from tenx_email.services.domains import DOMAIN_FORM
from tenx_email.services.inspection import MESSAGE_ID
from tenx_email.services.rules import RULE_ID
from tenx_email.services.sequences import SEQUENCE_ID
from tenx_email.webhooks import DELIVERY_ID, WEBHOOK_ID

TITLE = "tenx-email API"
# The version of this document's API (the paths are /v2/...); change it with the contract.
API_VERSION = "2.0.0"
DESCRIPTION = """\
Multi-tenant campaign email automation: sending domains, sender profiles, versioned \
templates, direct sends with their timelines, suppressions, quota, campaign email rules and \
sequences.

Every route needs `Authorization: Bearer <jwt>` (RS256 or ES256, from the configured \
issuer), but the unsubscribe links (`/v2/unsubscribe/{token}`), which recipients follow. \
Every error body is `{"error": "<code>", "message": "<text>", "requestId": "<id>"}`; \
each operation lists the codes it can answer under each status. Any route may also answer \
`500 internal_error` or `authorizer_failure` (our fault: retry with backoff); those are not \
listed per operation.

Generated from the route functions by `make openapi`; do not edit by hand."""

BEARER_SCHEME = "bearerAuth"

SERVERS: list[dict[str, Any]] = [
    {
        "url": "https://{apiHost}/{stage}",
        "description": "A deployed stage (the stack's API endpoint output).",
        "variables": {
            "apiHost": {
                "default": "api-id.execute-api.us-east-1.amazonaws.com",
                "description": "The REST API's host, <api-id>.execute-api.<region>.amazonaws.com",
            },
            "stage": {"default": "dev", "description": "The `stage` the stack was deployed with."},
        },
    },
    {"url": "http://127.0.0.1:3000", "description": "The local stack (`make dev`)."},
]

# One tag per route family, in the order the families first appear in the route table.
TAGS: dict[str, str] = {
    "domains": "Sending domains: SES identities with Easy DKIM and a custom MAIL FROM domain.",
    "access": "The caller's own role on a handle.",
    "senders": "Sender profiles: the From addresses a handle sends with.",
    "templates": "Versioned templates with `{{variable}}` substitution, and previews.",
    "messages": "Direct sends, the handle's messages and their delivery events.",
    "suppressions": "Addresses a handle never sends to.",
    "quota": "The handle's daily sending quota.",
    "stats": "The handle's emails per hour or day: accepted, sent, delivered, bounced, ...",
    "webhooks": "Endpoints that receive the handle's events, signed (Standard Webhooks).",
    "email-rules": "Campaign email rules, and what each did with each campaign event.",
    "sequences": "Campaign sequences: emails and waits in order, versioned, with exit conditions.",
    "campaign-events": "Test lead captures and conversions that trigger campaign rules.",
}

# Every path parameter's form, as the routes check it; a value of another form is refused
# with the route's own code (403 forbidden for a handle, 400 invalid_sender_id, 400
# invalid_template_id, 400 invalid_recipient, or 404 for the ids that then name nothing). The
# domain is checked trimmed and lowercased.
PATH_FORMS: dict[str, dict[str, Any]] = {
    "handle": {"pattern": ids.HANDLE_PATTERN},
    "domain": DOMAIN_FORM,
    "senderId": {"pattern": ids.SENDER_ID.pattern},
    "templateId": {"pattern": ids.TEMPLATE_ID.pattern},
    "messageId": {"pattern": MESSAGE_ID},
    "email": ids.EMAIL_ADDRESS_FORM,
    "campaignId": {"pattern": ids.CAMPAIGN_ID_PATTERN},
    "ruleId": {"pattern": RULE_ID.pattern},
    "sequenceId": {"pattern": SEQUENCE_ID.pattern},
    "leadId": {"pattern": ids.LEAD_ID_PATTERN},
    "webhookId": {"pattern": WEBHOOK_ID.pattern},
    "deliveryId": {"pattern": DELIVERY_ID.pattern},
}

# Powertools documents a 422 with its own body (the resolver answers 400 invalid_request
# instead) and adds a schema for its response validation errors (which no client sees).
_POWERTOOLS_ONLY_SCHEMAS = frozenset(
    {"HTTPValidationError", "ValidationError", "ResponseValidationError"}
)
_POWERTOOLS_VALIDATION_STATUS = "422"


# --- one route's operation ---------------------------------------------------------------------


def _route_schema(route: Route) -> dict[str, Any]:
    module = importlib.import_module(f"functions.{route.handler_module}")
    app = getattr(module, "app", None)
    if app is None:
        raise OpenApiError(f"functions/{route.handler_module}.py has no module-level `app`")
    loaded: dict[str, Any] = json.loads(app.get_openapi_json_schema(title=TITLE))
    return loaded


def _family(route: Route) -> str:
    if route.scope is Scope.ACCOUNT:
        return "domains"
    if "/campaigns/" in route.path:
        for family in ("email-rules", "sequences"):
            if f"/{family}" in route.path:
                return family
        return "campaign-events"
    if "/email/" not in route.path:
        return "access"  # /v2/handles/{handle}/access, the one route about the caller
    segment = route.path.split("/email/", 1)[1].split("/", 1)[0]
    family = {"events": "messages"}.get(segment, segment)
    if family not in TAGS:
        raise OpenApiError(f"route {route.route_id}: add a TAGS entry for family {family!r}")
    return family


def _texts(route: Route) -> tuple[str, str]:
    """(summary, description): the route id in words, and the route module's docstring,
    which starts with `METHOD /path[?query]: what it does.` (a head this function drops)."""
    module = importlib.import_module(f"functions.{route.handler_module}")
    doc = " ".join((module.__doc__ or "").split())
    head = re.match(rf"{re.escape(route.method)} {re.escape(route.path)}\S*:\s*", doc)
    what = doc[head.end() :] if head else doc
    if not what:
        raise OpenApiError(f"functions/{route.handler_module}.py needs a docstring")
    what = what[0].upper() + what[1:]
    summary = route.route_id.replace("_", " ").capitalize()
    scope = (
        "the handle"
        if route.scope is Scope.HANDLE
        else "the account (the highest role held on any of its ACTIVE handles)"
    )
    return summary, f"{what}\n\nMinimum role: {route.min_role.value} on {scope}."


def _success(responses: Mapping[str, Any], route: Route) -> tuple[str, dict[str, Any]]:
    found = [
        (status, response)
        for status, response in responses.items()
        if status.isdigit() and 200 <= int(status) < 300
    ]
    if len(found) != 1:
        raise OpenApiError(f"route {route.route_id} must document exactly one success response")
    status, response = found[0]
    success = dict(response)
    success["description"] = HTTPStatus(int(status)).phrase
    if status == str(HTTPStatus.NO_CONTENT.value):
        success.pop("content", None)  # 204 carries no body
    return status, success


def _with_path_forms(route: Route, parameters: list[dict[str, Any]]) -> None:
    for parameter in parameters:
        if parameter.get("in") != "path":
            continue
        name = parameter["name"]
        if name not in PATH_FORMS:
            raise OpenApiError(f"route {route.route_id}: add a PATH_FORMS entry for {name!r}")
        parameter["schema"].update(PATH_FORMS[name])


def operation_of(route: Route, schema: Mapping[str, Any], statuses: Mapping[str, int]) -> Any:
    paths = schema.get("paths", {})
    method = route.method.lower()
    if list(paths) != [route.path] or list(paths[route.path]) != [method]:
        found = [(m.upper(), p) for p, item in paths.items() for m in item]
        raise OpenApiError(
            f"functions/{route.handler_module}.py must serve exactly {route.method} {route.path}; "
            f"it serves {found}"
        )
    generated = copy.deepcopy(paths[route.path][method])
    _with_path_forms(route, generated.get("parameters", []))
    responses = {
        status: response
        for status, response in generated.pop("responses", {}).items()
        if status != _POWERTOOLS_VALIDATION_STATUS
    }
    success_status, success = _success(responses, route)
    summary, description = _texts(route)
    operation: dict[str, Any] = {
        **generated,
        "operationId": route.route_id,
        "summary": summary,
        "description": description,
        "tags": [_family(route)],
        "security": [{BEARER_SCHEME: []}],
        "x-min-role": route.min_role.value,
    }
    operation["responses"] = {
        success_status: success,
        **error_responses(route_error_codes(route, operation), statuses),
    }
    return operation


# --- merging -----------------------------------------------------------------------------------


def merge_schemas(target: dict[str, Any], source: Mapping[str, Any], origin: str) -> None:
    """Add `source`'s component schemas to `target`; the same name must mean the same thing."""
    for name, definition in source.items():
        if name in _POWERTOOLS_ONLY_SCHEMAS:
            continue
        existing = target.setdefault(name, definition)
        if existing != definition:
            raise OpenApiError(
                f"schema name collision: {name} from {origin} differs from the one already "
                "merged; rename one of the models"
            )


def _refs(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                yield value
            else:
                yield from _refs(value)
    elif isinstance(node, list):
        for item in node:
            yield from _refs(item)


def _check_refs(document: Mapping[str, Any]) -> None:
    schemas = document["components"]["schemas"]
    for ref in _refs(document):
        name = ref.removeprefix("#/components/schemas/")
        if name == ref or name not in schemas:
            raise OpenApiError(f"unresolvable reference {ref}")


def build_document(routes: Sequence[Route] = ROUTES) -> dict[str, Any]:
    """The whole API as one OpenAPI document (a JSON-ready dict)."""
    generated = [(route, _route_schema(route)) for route in routes]
    statuses = error_statuses()  # once every route module (and what it raises) is loaded
    paths: dict[str, dict[str, Any]] = {}
    schemas: dict[str, Any] = {ERROR_SCHEMA: error_schema()}
    openapi_version = None
    for route, schema in generated:
        openapi_version = openapi_version or schema["openapi"]
        item = paths.setdefault(route.path, {})
        if route.method.lower() in item:
            raise OpenApiError(f"two routes serve {route.method} {route.path}")
        item[route.method.lower()] = operation_of(route, schema, statuses)
        merge_schemas(
            schemas, schema.get("components", {}).get("schemas", {}), route.handler_module
        )
    unknown = set(ROUTE_ERRORS) - {route.route_id for route in ROUTES}
    if unknown:
        raise OpenApiError(f"ROUTE_ERRORS names routes that do not exist: {sorted(unknown)}")
    for path, item in openapi_public.public_paths(f"#/components/schemas/{ERROR_SCHEMA}").items():
        paths.setdefault(path, {}).update(item)
    families = list(dict.fromkeys(_family(route) for route in routes))
    document: dict[str, Any] = {
        "openapi": openapi_version or "3.1.0",
        "info": {"title": TITLE, "version": API_VERSION, "description": DESCRIPTION},
        "servers": SERVERS,
        "security": [{BEARER_SCHEME: []}],
        "tags": [
            *({"name": family, "description": TAGS[family]} for family in families),
            {"name": openapi_public.TAG, "description": openapi_public.TAG_DESCRIPTION},
        ],
        "paths": paths,
        "webhooks": openapi_webhooks.webhooks_section(schemas),
        "components": {
            "schemas": schemas,
            "securitySchemes": {
                BEARER_SCHEME: {
                    "type": "http",
                    "scheme": "bearer",
                    "bearerFormat": "JWT",
                    "description": (
                        "A JWT signed with RS256 or ES256 by a key in the configured JWKS, with "
                        "exp, iat, iss, aud and sub; iss and aud equal the configured values."
                    ),
                }
            },
        },
    }
    _check_refs(document)
    return document


def render(document: Mapping[str, Any]) -> str:
    """The document as committed: sorted keys, two-space indents, a final newline."""
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tenx_email.openapi", description=__doc__)
    action = parser.add_mutually_exclusive_group()
    action.add_argument("--write", type=Path, metavar="FILE", help="write the document to FILE")
    action.add_argument("--check", type=Path, metavar="FILE", help="fail if FILE is stale")
    args = parser.parse_args(argv)
    text = render(build_document())
    if args.write:
        args.write.write_text(text, encoding="utf-8")
    elif args.check:
        current = args.check.read_text(encoding="utf-8") if args.check.exists() else ""
        if current != text:
            print(f"{args.check} is out of date: run `make openapi`", file=sys.stderr)
            return 1
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
