"""The OpenAPI document's `webhooks` section: one entry per event type an endpoint can
receive, each with its payload's schema and the Standard Webhooks headers. The payload
models here are what tenx_email/webhook_payloads.py builds (tests/unit/test_webhook_payloads.py
validates its output against them)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel

from tenx_email.campaign_models import RuleRunOutcome
from tenx_email.message_models import EventType
from tenx_email.models import Purpose
from tenx_email.webhooks import TEST_EVENT_TYPE


class _Payload(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid")


class SequenceStepRef(_Payload):
    sequence_id: str
    version: int
    step: int  # the step's index in the sequence's steps


class MessageEventData(_Payload):
    handle: str
    message_id: str
    event_id: str
    recipient: str | None = None
    purpose: Purpose
    ses_message_id: str | None = None  # once SES accepted the message
    detail: str | None = None  # e.g. "Permanent/General" for a bounce
    occurred_at: str
    test_mode: Literal[True] | None = None  # present on test sends only
    # Campaign email only: the campaign, and the rule or the sequence step that made it.
    campaign_id: str | None = None
    rule_id: str | None = None
    rule_version: int | None = None
    sequence: SequenceStepRef | None = None


class RuleRunData(_Payload):
    handle: str
    campaign_id: str
    rule_id: str
    rule_version: int
    campaign_event_id: str
    message_id: str | None = None  # MESSAGE_CREATED
    reason: str | None = None  # SKIPPED
    occurred_at: str


class WebhookTestData(_Payload):
    handle: str
    webhook_id: str
    occurred_at: str


class MessageEventPayload(_Payload):
    type: EventType
    timestamp: str
    data: MessageEventData


class RuleRunPayload(_Payload):
    type: RuleRunOutcome
    timestamp: str
    data: RuleRunData


class WebhookTestPayload(_Payload):
    type: Literal["WEBHOOK_TEST"]
    timestamp: str
    data: WebhookTestData


_HEADERS = [
    ("webhook-id", "The delivery's id (`whd_...`): the same on every retry and replay."),
    ("webhook-timestamp", "Seconds since the epoch when this attempt was signed."),
    (
        "webhook-signature",
        "`v1,<base64 HMAC-SHA256>` of `<id>.<timestamp>.<body>` with the endpoint's secret;"
        " two, space-separated, while a rotated secret still signs.",
    ),
]


def _operation(summary: str, payload: type[_Payload], schemas: dict[str, Any]) -> dict[str, Any]:
    schema = payload.model_json_schema(by_alias=True, ref_template="#/components/schemas/{model}")
    for name, definition in schema.pop("$defs", {}).items():
        schemas.setdefault(name, definition)
    schemas.setdefault(payload.__name__, schema)
    return {
        "post": {
            "summary": summary,
            "tags": ["webhooks"],
            "parameters": [
                {
                    "name": name,
                    "in": "header",
                    "required": True,
                    "description": text,
                    "schema": {"type": "string"},
                }
                for name, text in _HEADERS
            ],
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {
                        "schema": {"$ref": f"#/components/schemas/{payload.__name__}"}
                    }
                },
            },
            "responses": {
                "2XX": {"description": "Received: any 2xx ends the delivery's attempts."}
            },
        }
    }


def webhooks_section(schemas: dict[str, Any]) -> dict[str, Any]:
    """`webhooks` by event type; the payload schemas are added to `schemas`."""
    section: dict[str, Any] = {}
    for event in EventType:
        section[event.value] = _operation(
            f"A message's {event.value} event", MessageEventPayload, schemas
        )
    for outcome in RuleRunOutcome:
        section[outcome.value] = _operation(
            f"A rule run's {outcome.value} outcome", RuleRunPayload, schemas
        )
    test = _operation("A test event (POST .../test)", WebhookTestPayload, schemas)
    section[TEST_EVENT_TYPE] = test
    return section
