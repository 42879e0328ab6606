"""API shapes of webhook endpoints."""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal, Self

from pydantic import AwareDatetime, Field, StrictBool, StringConstraints

from tenx_email import clock
from tenx_email.api.base import ApiInput, ApiModel, VersionNumber, checked_by_service
from tenx_email.services.webhooks import EndpointDraft
from tenx_email.webhooks import (
    EVENT_TYPES,
    MAX_DESCRIPTION,
    DeliveryStatus,
    WebhookDelivery,
    WebhookEndpoint,
)

MAX_URL = 2048


class WebhookIn(ApiInput):
    # The service checks the URL and the events (invalid_webhook_url, invalid_webhook_events).
    url: Annotated[str, StringConstraints(min_length=1, max_length=MAX_URL)]
    # The event types to receive; absent or empty: all of them (and types added later).
    events: Annotated[
        list[Annotated[str, StringConstraints(max_length=40)]],
        Field(max_length=len(EVENT_TYPES)),
        checked_by_service(uniqueItems=True, items={"enum": list(EVENT_TYPES)}),
    ] = Field(default_factory=list)
    enabled: StrictBool = True
    description: Annotated[str, StringConstraints(max_length=MAX_DESCRIPTION)] | None = None

    def draft(self) -> EndpointDraft:
        return EndpointDraft(
            url=self.url, events=self.events, enabled=self.enabled, description=self.description
        )


class WebhookUpdateIn(WebhookIn):
    """The whole endpoint again (what is left out takes its default), and optionally the
    version the client last read."""

    expected_version: VersionNumber | None = None


class WebhookOut(ApiModel):
    webhook_id: str
    url: str
    events: list[str]  # empty: all
    enabled: bool
    # ENABLED, DISABLED by the client (enabled false), or FAILING: disabled by the service
    # after failing too long (disabledReason says why; enabling it again restarts it).
    status: Literal["ENABLED", "DISABLED", "FAILING"]
    disabled_reason: str | None = Field(default=None, exclude_if=lambda value: value is None)
    description: str | None
    version: int
    created_at: str
    updated_at: str

    @classmethod
    def from_endpoint(cls, endpoint: WebhookEndpoint) -> Self:
        status: Literal["ENABLED", "DISABLED", "FAILING"] = (
            "ENABLED" if endpoint.enabled else "FAILING" if endpoint.disabled_reason else "DISABLED"
        )
        return cls(
            webhook_id=endpoint.webhook_id,
            url=endpoint.url,
            events=list(endpoint.events),
            enabled=endpoint.enabled,
            status=status,
            disabled_reason=endpoint.disabled_reason,
            description=endpoint.description,
            version=endpoint.version,
            created_at=clock.iso(endpoint.created_at),
            updated_at=clock.iso(endpoint.updated_at),
        )


class WebhookEnvelope(ApiModel):
    webhook: WebhookOut


class WebhookWithSecretOut(ApiModel):
    """The answer that made a secret: the only one that shows it."""

    webhook: WebhookOut
    secret: str  # whsec_...: keep it; it is never shown again
    # After a rotation: until when the previous secret signs too.
    previous_secret_expires_at: str | None = Field(
        default=None, exclude_if=lambda value: value is None
    )


class WebhookListOut(ApiModel):
    webhooks: list[WebhookOut]


class AttemptOut(ApiModel):
    at: str
    http_status: int | None
    latency_ms: int | None
    error: str | None


class DeliveryOut(ApiModel):
    delivery_id: str  # also the webhook-id header the receiver got
    event_type: str
    status: DeliveryStatus
    created_at: str
    next_attempt_at: str | None = Field(default=None, exclude_if=lambda value: value is None)
    attempts: list[AttemptOut]
    payload: dict[str, Any]  # the body sent, parsed

    @classmethod
    def from_delivery(cls, delivery: WebhookDelivery) -> Self:
        return cls(
            delivery_id=delivery.delivery_id,
            event_type=delivery.event_type,
            status=delivery.status,
            created_at=clock.iso(delivery.created_at),
            next_attempt_at=clock.iso(delivery.next_attempt_at)
            if delivery.next_attempt_at
            else None,
            attempts=[
                AttemptOut(
                    at=clock.iso(attempt.at),
                    http_status=attempt.http_status,
                    latency_ms=attempt.latency_ms,
                    error=attempt.error,
                )
                for attempt in delivery.attempts
            ],
            payload=json.loads(delivery.payload),
        )


class DeliveryEnvelope(ApiModel):
    delivery: DeliveryOut


class DeliveryListOut(ApiModel):
    deliveries: list[DeliveryOut]
    next_token: str | None


class ReplayWindowIn(ApiInput):
    # ISO 8601 with a time zone (2026-12-01T00:00:00Z): the events' times, not the attempts'.
    since: AwareDatetime
    until: AwareDatetime


class ReplayedOut(ApiModel):
    replayed: int
    truncated: bool  # more than 500 in the window: replay again from the last one's time
