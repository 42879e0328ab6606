"""An endpoint's delivery log, and sending again what it holds: one delivery, a window of
them, or a signed test event. Each is queued for the sender (services/webhook_sender.py) as
the delivery's next sending, under its own delivery id, so a receiver that already has it sees
the same `webhook-id` and can tell it apart from a new event. Nothing is written here: the log
shows a replay once its first attempt is recorded (with a schedule of its own)."""

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


def _queue(jobs: dict[str, str]) -> None:
    if queues.send_all(webhook_settings().webhook_queue_url, jobs):
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
    _queue({found.delivery_id: webhook_payloads.next_sending(found).body()})
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
    _queue({d.delivery_id: webhook_payloads.next_sending(d).body() for d in chosen})
    return Replayed(replayed=len(chosen), truncated=len(found) > MAX_REPLAYED)


def send_test(access: HandleAccess, webhook_id: str) -> WebhookDelivery:
    """A signed test event (type WEBHOOK_TEST), logged and sent like any delivery."""
    endpoint = _sendable(access, webhook_id)
    occurrence = webhook_payloads.webhook_test(endpoint.handle, endpoint.webhook_id, clock.now())
    job = webhook_payloads.first_sending(occurrence, endpoint.webhook_id)
    _queue({job.delivery_id: job.body()})
    return job.delivery()
