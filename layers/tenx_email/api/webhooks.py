"""API shapes of webhook endpoints."""

from __future__ import annotations

from typing import Annotated, Literal, Self

from pydantic import Field, StrictBool, StringConstraints

from tenx_email import clock
from tenx_email.api.base import ApiInput, ApiModel, VersionNumber, checked_by_service
from tenx_email.services.webhooks import EndpointDraft
from tenx_email.webhooks import EVENT_TYPES, MAX_DESCRIPTION, WebhookEndpoint

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
