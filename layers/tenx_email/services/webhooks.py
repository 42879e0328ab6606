"""Webhook endpoints: create, read, change, delete, rotate the signing secret.

Checks, in this order: the body's shape (400 invalid_request), the URL (400
invalid_webhook_url: https, no credentials in it, not an address in a private range; the
local stage may use http and 127.0.0.1, for its receiver), the events (400
invalid_webhook_events: known types, no repeats); then the endpoint (404 webhook_not_found),
`expectedVersion` (409 version_conflict) and on create the handle's room (409
webhook_limit_reached). Where the URL's host resolves is checked again at every delivery
(adapters/webhook_http.py): a name can point elsewhere later.

A signing secret is shown once, in the answer that made it (create, rotate); it is stored
encrypted (adapters/secret_box.py) and never returned or logged again.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from tenx_email import clock, ids, keys, webhook_signing
from tenx_email.adapters import secret_box, webhook_http
from tenx_email.dal import webhooks as store
from tenx_email.errors import (
    InvalidWebhookEvents,
    InvalidWebhookUrl,
    VersionConflict,
    WebhookLimitReached,
    WebhookNotFound,
)
from tenx_email.models import HandleAccess
from tenx_email.settings import data_settings
from tenx_email.webhooks import (
    EVENT_TYPES,
    MAX_ENDPOINTS_PER_HANDLE,
    SECRET_OVERLAP,
    WEBHOOK_ID,
    SigningSecret,
    WebhookEndpoint,
)

LOCAL_STAGE = "local"


@dataclass(frozen=True)
class EndpointDraft:
    """An endpoint as the client sends it (the same on create and update)."""

    url: str
    events: Sequence[str]
    enabled: bool
    description: str | None


@dataclass(frozen=True)
class WithSecret:
    """An endpoint and the secret just made for it: shown this once."""

    endpoint: WebhookEndpoint
    secret: str


def prefetch(handle_name: str, webhook_id: str | None = None) -> list[keys.Key]:
    """The endpoint a route reads first, for the access check to read along."""
    if webhook_id is None or not WEBHOOK_ID.fullmatch(webhook_id):
        return []
    return [keys.webhook(handle_name, webhook_id)]


def allows_private_targets() -> bool:
    """Only the local stage may deliver to loopback and private addresses (its receiver)."""
    return data_settings().stage == LOCAL_STAGE


def _checked(draft: EndpointDraft) -> tuple[str, tuple[str, ...]]:
    try:
        url = webhook_http.validate_url(draft.url, allow_private=allows_private_targets())
    except webhook_http.InvalidUrl as invalid:
        raise InvalidWebhookUrl(invalid.detail) from None
    unknown = [event for event in draft.events if event not in EVENT_TYPES]
    if unknown:
        raise InvalidWebhookEvents(
            f"unknown event type {unknown[0][:40]!r}; known: {', '.join(EVENT_TYPES)}"
        )
    if len(set(draft.events)) != len(draft.events):
        raise InvalidWebhookEvents("an event type is listed twice")
    return url, tuple(draft.events)


def _new_secret(handle_name: str, webhook_id: str) -> tuple[str, SigningSecret]:
    secret = webhook_signing.new_secret()
    sealed = secret_box.seal(secret, secret_context(handle_name, webhook_id))
    return secret, SigningSecret(sealed=sealed, created_at=clock.now())


def secret_context(handle_name: str, webhook_id: str) -> dict[str, str]:
    """What a sealed secret belongs to (its KMS encryption context)."""
    return {"handle": handle_name, "webhookId": webhook_id}


def create_endpoint(access: HandleAccess, draft: EndpointDraft) -> WithSecret:
    url, events = _checked(draft)
    handle_name, now = access.handle.handle, clock.now()
    webhook_id = f"wh_{ids.ulid(now).lower()}"
    secret, signing = _new_secret(handle_name, webhook_id)
    endpoint = WebhookEndpoint(
        handle=handle_name,
        webhook_id=webhook_id,
        url=url,
        events=events,
        enabled=draft.enabled,
        description=draft.description,
        secrets=(signing,),
        version=1,
        created_at=now,
        updated_at=now,
    )
    try:
        store.create(endpoint, MAX_ENDPOINTS_PER_HANDLE)
    except store.EndpointLimitReached:
        raise WebhookLimitReached(
            f"a handle may have at most {MAX_ENDPOINTS_PER_HANDLE} webhook endpoints;"
            " delete one first"
        ) from None
    return WithSecret(endpoint=endpoint, secret=secret)


def list_endpoints(access: HandleAccess) -> list[WebhookEndpoint]:
    return store.endpoints(access.handle.handle)


def require_endpoint(access: HandleAccess, webhook_id: str) -> WebhookEndpoint:
    """A live endpoint of this handle, or 404."""
    endpoint = (
        store.get(access.handle.handle, webhook_id) if WEBHOOK_ID.fullmatch(webhook_id) else None
    )
    if endpoint is None or endpoint.deleted:
        raise WebhookNotFound(f"webhook endpoint {webhook_id[:40]!r} does not exist")
    return endpoint


def _check_version(endpoint: WebhookEndpoint, expected: int | None) -> None:
    if expected is not None and expected != endpoint.version:
        raise VersionConflict(
            f"the endpoint is at version {endpoint.version}, not {expected}; read it again"
        )


def _save(before: WebhookEndpoint, after: WebhookEndpoint) -> WebhookEndpoint:
    try:
        store.replace(after, before.version)
    except store.ConcurrentChange:
        raise VersionConflict("the endpoint changed meanwhile; read it again") from None
    return after


def update_endpoint(
    access: HandleAccess, webhook_id: str, draft: EndpointDraft, expected_version: int | None
) -> WebhookEndpoint:
    url, events = _checked(draft)
    endpoint = require_endpoint(access, webhook_id)
    _check_version(endpoint, expected_version)
    changed = endpoint.model_copy(
        update={
            "url": url,
            "events": events,
            "enabled": draft.enabled,
            "description": draft.description,
            "version": endpoint.version + 1,
            "updated_at": clock.now(),
            # Enabling it again (after the service disabled it) starts its failures afresh.
            **({"disabled_reason": None, "failing_since": None} if draft.enabled else {}),
        }
    )
    return _save(endpoint, changed)


def delete_endpoint(access: HandleAccess, webhook_id: str) -> None:
    """Soft delete: deliveries stop at once (the sender reads the endpoint before each), the
    delivery log stays readable until it expires. Deleting it again changes nothing."""
    endpoint = (
        store.get(access.handle.handle, webhook_id) if WEBHOOK_ID.fullmatch(webhook_id) else None
    )
    if endpoint is not None and endpoint.deleted:
        return
    endpoint = require_endpoint(access, webhook_id)
    deleted = endpoint.model_copy(
        update={"deleted": True, "enabled": False, "updated_at": clock.now(), "secrets": ()}
    )
    if not store.delete(endpoint, deleted.model_copy(update={"version": endpoint.version + 1})):
        raise VersionConflict("the endpoint changed meanwhile; read it again")


def rotate_secret(access: HandleAccess, webhook_id: str) -> WithSecret:
    """A new signing secret; the one it replaces keeps signing beside it for SECRET_OVERLAP."""
    endpoint = require_endpoint(access, webhook_id)
    now = clock.now()
    secret, signing = _new_secret(endpoint.handle, endpoint.webhook_id)
    # The newest secret retires in SECRET_OVERLAP; one retiring already stops now (a second
    # rotation within the overlap: receivers were told to move to the secret it replaces).
    newest = endpoint.secrets[:1]
    retiring = [s.model_copy(update={"retires_at": now + SECRET_OVERLAP}) for s in newest]
    rotated = endpoint.model_copy(
        update={
            "secrets": (signing, *retiring),
            "version": endpoint.version + 1,
            "updated_at": now,
        }
    )
    return WithSecret(endpoint=_save(endpoint, rotated), secret=secret)
