"""An endpoint's delivery log, and sending again what it holds: one delivery, a window of
them, or a signed test event. Each is queued for the sender (services/webhook_sender.py) as
PENDING, under its own delivery id, so a receiver that already has it sees the same
`webhook-id` and can tell it apart from a new event."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from tenx_email import clock, webhook_payloads
from tenx_email.adapters import queues
from tenx_email.dal import webhook_deliveries as store
from tenx_email.dal.queries import Page
from tenx_email.errors import (
    InvalidReplayWindow,
    WebhookDeliveryNotFound,
    WebhookDisabled,
    WebhookQueueUnavailable,
    WebhookReplayLimitReached,
)
from tenx_email.models import HandleAccess
from tenx_email.services.webhooks import require_endpoint
from tenx_email.settings import webhook_settings
from tenx_email.webhooks import (
    DELIVERY_ID,
    DELIVERY_RETENTION,
    MAX_ATTEMPTS_LOGGED,
    DeliveryStatus,
    WebhookDelivery,
    WebhookEndpoint,
)

MAX_PAGE_SIZE = 100
# One window replay re-sends at most this many deliveries (the answer says if there were more).
MAX_REPLAYED = 500


@dataclass(frozen=True)
class Replayed:
    replayed: int
    truncated: bool  # the window held more: replay from the last one's time on


def list_deliveries(
    access: HandleAccess,
    webhook_id: str,
    status: DeliveryStatus | None,
    limit: int,
    next_token: str | None,
) -> Page[WebhookDelivery]:
    endpoint = require_endpoint(access, webhook_id)
    return store.page(endpoint.handle, endpoint.webhook_id, status, limit, next_token)


def _sendable(access: HandleAccess, webhook_id: str) -> WebhookEndpoint:
    endpoint = require_endpoint(access, webhook_id)
    if not endpoint.enabled:
        raise WebhookDisabled(
            "the endpoint is disabled: enable it (PUT with enabled true) to send to it again"
        )
    return endpoint


def _queue(deliveries: list[WebhookDelivery]) -> None:
    for delivery in deliveries:
        store.set_status(delivery, DeliveryStatus.PENDING)
    bodies = {
        d.delivery_id: webhook_payloads.job_body(d.handle, d.webhook_id, d.delivery_id)
        for d in deliveries
    }
    if queues.send_all(webhook_settings().webhook_queue_url, bodies):
        raise WebhookQueueUnavailable(
            "the webhook queue did not take every delivery; try again (what was queued is sent)"
        )


def replay_one(access: HandleAccess, webhook_id: str, delivery_id: str) -> WebhookDelivery:
    endpoint = _sendable(access, webhook_id)
    found = (
        store.get(endpoint.handle, endpoint.webhook_id, delivery_id)
        if DELIVERY_ID.fullmatch(delivery_id)
        else None
    )
    if found is None:
        raise WebhookDeliveryNotFound(f"delivery {delivery_id[:40]!r} is not in this log")
    if len(found.attempts) >= MAX_ATTEMPTS_LOGGED:
        raise WebhookReplayLimitReached(
            f"this delivery was attempted {len(found.attempts)} times; it is not sent again"
        )
    _queue([found])
    return found.model_copy(update={"status": DeliveryStatus.PENDING, "next_attempt_at": None})


def replay_window(
    access: HandleAccess, webhook_id: str, since: datetime, until: datetime
) -> Replayed:
    """Re-send the deliveries of events from `since` to `until` (oldest first, at most
    MAX_REPLAYED), whatever their status."""
    if until <= since:
        raise InvalidReplayWindow("until must be after since")
    if until - since > DELIVERY_RETENTION:
        raise InvalidReplayWindow(
            f"a window spans at most {DELIVERY_RETENTION.days} days (the log keeps no more)"
        )
    endpoint = _sendable(access, webhook_id)
    found = store.between(endpoint.handle, endpoint.webhook_id, since, until, MAX_REPLAYED + 1)
    chosen = [d for d in found[:MAX_REPLAYED] if len(d.attempts) < MAX_ATTEMPTS_LOGGED]
    _queue(chosen)
    return Replayed(replayed=len(chosen), truncated=len(found) > MAX_REPLAYED)


def send_test(access: HandleAccess, webhook_id: str) -> WebhookDelivery:
    """A signed test event (type WEBHOOK_TEST), logged and sent like any delivery."""
    endpoint = _sendable(access, webhook_id)
    now = clock.now()
    occurrence = webhook_payloads.webhook_test(endpoint.handle, endpoint.webhook_id, now)
    delivery = WebhookDelivery(
        handle=endpoint.handle,
        webhook_id=endpoint.webhook_id,
        delivery_id=occurrence.delivery_id,
        event_type=occurrence.event_type,
        payload=occurrence.body,
        status=DeliveryStatus.PENDING,
        created_at=now,
    )
    store.put_new(delivery)
    _queue([delivery])
    return delivery
