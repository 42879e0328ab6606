"""Which error codes each operation of the OpenAPI document lists, and their statuses: the
domain errors' (tenx_email.errors, as the resolver maps them) and the gateway's own
responses. The document itself is put together in openapi.py."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from http import HTTPStatus
from typing import Any

from tenx_email import errors, gateway_responses
from tenx_email.api.base import ErrorBody
from tenx_email.api.bodies import BODY_METHODS
from tenx_email.dal.pagination import InvalidNextToken
from tenx_email.routes import Route, Scope

ERROR_SCHEMA = "Error"
_ERROR_REF = f"#/components/schemas/{ERROR_SCHEMA}"


class OpenApiError(Exception):
    """The route modules cannot be described as one consistent document."""


# Codes every route can answer (the gateway's and the access checks').
_COMMON_ERRORS = (
    "missing_bearer_token",
    "invalid_token",
    "forbidden",
    "insufficient_role",
    "route_not_found",
    "throttled",
)
# Only a handle's members learn that it is inactive; account routes never answer it.
_HANDLE_ERRORS = ("handle_inactive",)
# An operation with a request body or query parameters validates them.
_VALIDATION_ERRORS = ("invalid_request",)
# The gateway refuses bodies over its payload limit.
_BODY_ERRORS = ("request_too_large",)
# Any POST or PUT that carries a body must send JSON (api/bodies.py), with or without a
# request body of its own.
_MEDIA_TYPE_ERRORS = ("unsupported_media_type",)

_TEMPLATE_CONTENT = ("invalid_header_value", "template_body_required", "template_too_large")
# What a campaign email (a rule's, a sequence step's) needs, after the campaign itself.
_CAMPAIGN_EMAIL_REFERENCES = (
    "campaign_not_found",
    "email_template_not_found",
    "email_template_not_active",
    "sender_profile_not_found",
    "sender_not_ready",
    "sender_missing_product_notification_purpose",
)
_RULE_CHECKS = (
    "invalid_trigger",
    "delay_minutes_required_for_delayed_trigger",
    "delay_minutes_below_minimum",
    "delay_minutes_above_maximum",
    "delay_minutes_not_allowed",
    "invalid_variable_mappings",
    *_CAMPAIGN_EMAIL_REFERENCES,
)

# A sequence's checks: the rule codes that fit, and its own.
_SEQUENCE_CHECKS = (
    "invalid_trigger",
    "invalid_sequence_steps",
    "delay_minutes_below_minimum",
    "delay_minutes_above_maximum",
    "invalid_variable_mappings",
    "sequence_too_long",
    *_CAMPAIGN_EMAIL_REFERENCES,
)

# What each route's own checks can refuse with, beyond the codes above (see docs/api.md's route
# sections). Statuses come from the exception classes, so a code is listed under its status.
ROUTE_ERRORS: dict[str, tuple[str, ...]] = {
    "get_domain_identity": ("invalid_request", "account_domain_not_found"),
    "reconcile_domain_identity": ("invalid_request", "account_domain_not_found"),
    "attach_domain": ("account_id_required", "domain_already_attached"),
    "get_handle_access": (),
    "list_senders": (),
    "put_sender": (
        "invalid_sender_id",
        "sender_local_part_not_allowed",
        "invalid_header_value",
        "account_domain_not_found",
        "domain_email_identity_not_ready",
        "version_conflict",
    ),
    "list_templates": ("invalid_next_token",),
    "create_template": ("invalid_template_id", *_TEMPLATE_CONTENT, "email_template_already_exists"),
    "get_template": ("invalid_template_id", "email_template_not_found"),
    "update_template": (
        "invalid_template_id",
        "template_id_mismatch",
        *_TEMPLATE_CONTENT,
        "email_template_not_found",
        "email_template_version_not_found",
        "template_changed_concurrently",
    ),
    "preview_template": (
        "invalid_template_id",
        "rendered_subject_unsafe",
        "email_template_not_found",
        "email_template_version_not_found",
    ),
    "send_message": (
        "invalid_recipient",
        "consent_attestation_required",
        "missing_template_variables",
        "rendered_subject_unsafe",
        "sender_purpose_not_allowed",
        "sender_profile_not_found",
        "email_template_not_found",
        "sender_profile_not_ready",
        "email_template_not_active",
        "email_recipient_suppressed",
        "handle_in_sandbox",
        "handle_sending_paused",
        "idempotency_key_conflict",
        "email_quota_exceeded",
        "message_too_large",
        "transactional_email_queue_unavailable",
    ),
    "list_messages": ("invalid_next_token",),
    "get_message": ("message_not_found",),
    "list_events": ("event_filter_required", "invalid_next_token", "message_not_found"),
    "list_suppressions": ("invalid_next_token",),
    "put_suppression": ("invalid_recipient", "invalid_header_value"),
    "delete_suppression": ("invalid_recipient",),
    "get_quota": (),
    "get_email_stats": ("invalid_stats_range",),
    "list_webhooks": (),
    "create_webhook": ("invalid_webhook_url", "invalid_webhook_events", "webhook_limit_reached"),
    "get_webhook": ("webhook_not_found",),
    "update_webhook": (
        "invalid_webhook_url",
        "invalid_webhook_events",
        "webhook_not_found",
        "version_conflict",
    ),
    "delete_webhook": ("webhook_not_found", "version_conflict"),
    "rotate_webhook_secret": ("webhook_not_found", "version_conflict"),
    "list_webhook_deliveries": ("webhook_not_found", "invalid_next_token"),
    "replay_webhook_delivery": (
        "webhook_not_found",
        "webhook_disabled",
        "webhook_delivery_not_found",
        "webhook_replay_limit_reached",
        "webhook_queue_unavailable",
    ),
    "replay_webhook_deliveries": (
        "invalid_replay_window",
        "webhook_not_found",
        "webhook_disabled",
        "webhook_queue_unavailable",
    ),
    "send_webhook_test": ("webhook_not_found", "webhook_disabled", "webhook_queue_unavailable"),
    "get_campaign_settings": ("campaign_not_found",),
    "put_campaign_settings": ("campaign_not_found", "version_conflict", "invalid_send_window"),
    "list_email_rules": ("campaign_not_found",),
    "create_email_rule": (*_RULE_CHECKS, "email_rule_limit_reached"),
    "update_email_rule": (*_RULE_CHECKS, "email_rule_not_found", "version_conflict"),
    "delete_email_rule": ("campaign_not_found", "email_rule_not_found"),
    "list_sequences": ("campaign_not_found",),
    "create_sequence": (*_SEQUENCE_CHECKS, "sequence_limit_reached"),
    "get_sequence": ("campaign_not_found", "sequence_not_found"),
    "update_sequence": (
        *_SEQUENCE_CHECKS,
        "sequence_not_found",
        "sequence_archived",
        "version_conflict",
    ),
    "delete_sequence": ("campaign_not_found", "sequence_not_found"),
    "get_sequence_stats": ("campaign_not_found", "sequence_not_found"),
    "list_enrollments": ("campaign_not_found", "sequence_not_found", "invalid_next_token"),
    "enroll_lead": (
        "campaign_not_found",
        "sequence_not_found",
        "sequence_archived",
        "lead_not_found",
        "campaign_event_queue_unavailable",
    ),
    "stop_enrollment": ("campaign_not_found", "sequence_not_found", "enrollment_not_found"),
    "list_rule_runs": ("campaign_not_found", "invalid_next_token"),
    "capture_lead": (
        "campaign_not_found",
        "idempotency_key_conflict",
        "campaign_event_queue_unavailable",
    ),
    "record_conversion": (
        "campaign_not_found",
        "lead_not_found",
        "idempotency_key_conflict",
        "campaign_event_queue_unavailable",
    ),
}

# Headers that come with some error codes.
_ERROR_HEADERS: dict[str, dict[str, Any]] = {
    "email_quota_exceeded": {
        "Retry-After": {
            "description": "With `email_quota_exceeded`: seconds until the UTC day ends.",
            "schema": {"type": "integer", "minimum": 0},
        }
    }
}


def _subclasses(base: type[errors.DomainError]) -> Iterator[type[errors.DomainError]]:
    for subclass in base.__subclasses__():
        yield subclass
        yield from _subclasses(subclass)


def _add_code(statuses: dict[str, int], code: str, status: int) -> None:
    if statuses.setdefault(code, status) != status:
        raise OpenApiError(f"error code {code} has two statuses: {statuses[code]} and {status}")


def error_statuses() -> dict[str, int]:
    """Every error code the API can answer with its HTTP status: the domain errors' (the
    resolver maps each to its status) and the gateway's own responses."""
    statuses: dict[str, int] = {}
    classes: list[type[errors.DomainError]] = [errors.DomainError, InvalidNextToken]
    for error_class in [*classes, *_subclasses(errors.DomainError)]:
        _add_code(statuses, error_class.code, error_class.status)
    for spec in gateway_responses.GATEWAY_RESPONSES:
        found = re.search(r'"error":"(\w+)"', spec.template)
        if found and spec.status_code is not None:
            _add_code(statuses, found.group(1), spec.status_code)
    return statuses


def route_error_codes(route: Route, operation: Mapping[str, Any]) -> list[str]:
    """The codes `route` can answer, without duplicates, in a stable order."""
    try:
        own = ROUTE_ERRORS[route.route_id]
    except KeyError:
        raise OpenApiError(f"ROUTE_ERRORS has no entry for route {route.route_id}") from None
    codes: list[str] = [*_COMMON_ERRORS]
    if route.scope is Scope.HANDLE:
        codes += _HANDLE_ERRORS
    has_query = any(param.get("in") == "query" for param in operation.get("parameters", []))
    if "requestBody" in operation or has_query:
        codes += _VALIDATION_ERRORS
    if "requestBody" in operation:
        codes += _BODY_ERRORS
    if route.method in BODY_METHODS:
        codes += _MEDIA_TYPE_ERRORS
    codes += own
    return list(dict.fromkeys(codes))


def error_responses(codes: Iterable[str], statuses: Mapping[str, int]) -> dict[str, Any]:
    by_status: dict[int, list[str]] = {}
    for code in codes:
        if code not in statuses:
            raise OpenApiError(f"unknown error code {code}: no DomainError or gateway response")
        by_status.setdefault(statuses[code], []).append(code)
    responses: dict[str, Any] = {}
    for status, status_codes in sorted(by_status.items()):
        listed = ", ".join(f"`{code}`" for code in status_codes)
        response: dict[str, Any] = {
            "description": f"{HTTPStatus(status).phrase}: {listed}",
            "content": {"application/json": {"schema": {"$ref": _ERROR_REF}}},
        }
        headers = {
            name: header
            for code in status_codes
            for name, header in _ERROR_HEADERS.get(code, {}).items()
        }
        if headers:
            response["headers"] = headers
        responses[str(status)] = response
    return responses


def error_schema() -> dict[str, Any]:
    schema = ErrorBody.model_json_schema(by_alias=True)
    schema["title"] = ERROR_SCHEMA
    schema["description"] = "Every error body: the code, a message for people, the request id."
    return schema
