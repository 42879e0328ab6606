"""Webhook endpoints: where a handle wants its events pushed, and with which secrets they are
signed (the Standard Webhooks scheme: tenx_email/webhook_signing.py). Domain models and the
rules that need no storage; services/webhooks.py manages endpoints."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from enum import StrEnum

from tenx_email.campaign_models import RuleRunOutcome
from tenx_email.message_models import EventType
from tenx_email.models import DomainModel

WEBHOOK_ID = re.compile(r"^wh_[0-9a-z]{26}$")
MAX_ENDPOINTS_PER_HANDLE = 10
MAX_DESCRIPTION = 200
# After a rotation the previous secret keeps signing this long, beside the new one, so a
# receiver can switch without dropping a delivery.
SECRET_OVERLAP = timedelta(hours=24)

# Every timeline event, and every rule run outcome, can be subscribed to.
EVENT_TYPES: tuple[str, ...] = (*(t.value for t in EventType), *(o.value for o in RuleRunOutcome))
# The type of the event POST .../webhooks/{webhookId}/test sends (never subscribed to).
TEST_EVENT_TYPE = "WEBHOOK_TEST"


class SigningSecret(DomainModel):
    """One signing secret, encrypted (adapters/secret_box.py); `retires_at` set once a newer
    secret replaced it."""

    sealed: str
    created_at: datetime
    retires_at: datetime | None = None


class WebhookEndpoint(DomainModel):
    handle: str
    webhook_id: str
    url: str
    # The subscribed event types; empty: all of them (including types added later).
    events: tuple[str, ...]
    enabled: bool
    description: str | None
    secrets: tuple[SigningSecret, ...]  # newest first
    version: int
    created_at: datetime
    updated_at: datetime
    # Set when the service disabled it (it kept failing): why, in words.
    disabled_reason: str | None = None
    failing_since: datetime | None = None
    deleted: bool = False

    def subscribes(self, event_type: str) -> bool:
        return not self.events or event_type in self.events

    def signing_secrets(self, now: datetime) -> list[SigningSecret]:
        """The secrets that sign now: the newest, and one it replaced until it retires."""
        return [s for s in self.secrets if s.retires_at is None or s.retires_at > now]


# --- deliveries: one event to one endpoint, with every attempt ---

DELIVERY_ID = re.compile(r"^whd_[0-9a-z]{26}$")
# A delivery (and its attempts) is kept this long, then expires (TTL).
DELIVERY_RETENTION = timedelta(days=14)
# After a failed attempt, the next comes this long after it (each +-10% jitter): with the
# first, eight attempts over about 28 hours (Standard Webhooks' suggested schedule).
RETRY_SCHEDULE = (
    timedelta(seconds=5),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=5),
    timedelta(hours=10),
    timedelta(hours=10),
)
# An endpoint whose deliveries have failed, with no success since, for this long is disabled.
DISABLE_AFTER = timedelta(days=5)
# Replays of one delivery stop here (each adds an attempt to its log).
MAX_ATTEMPTS_LOGGED = 40


class DeliveryStatus(StrEnum):
    PENDING = "PENDING"  # waiting for its next attempt
    SUCCEEDED = "SUCCEEDED"  # a 2xx answer
    FAILED = "FAILED"  # every attempt of the schedule failed
    CANCELLED = "CANCELLED"  # its endpoint was deleted or disabled before it succeeded


class DeliveryAttempt(DomainModel):
    at: datetime
    http_status: int | None = None  # None: no answer (refused address, timeout, ...)
    latency_ms: int | None = None
    error: str | None = None  # what went wrong, in words (never the receiver's body)


class WebhookDelivery(DomainModel):
    handle: str
    webhook_id: str
    delivery_id: str  # also the `webhook-id` header: the same across retries and replays
    event_type: str
    payload: str  # the exact JSON body sent (and signed)
    status: DeliveryStatus
    attempts: tuple[DeliveryAttempt, ...] = ()
    created_at: datetime
    next_attempt_at: datetime | None = None
    # Which sending of the event this is: 0 its own, n its n-th replay; and how many attempts
    # the log held when this sending began (its retry schedule counts from there).
    sending: int = 0
    attempts_before: int = 0

    def attempts_this_sending(self) -> int:
        return len(self.attempts) - self.attempts_before
