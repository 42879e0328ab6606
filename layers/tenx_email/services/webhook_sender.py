"""The webhook sender: one queued delivery -> one signed POST to its endpoint, retried on
the schedule (tenx_email.webhooks.RETRY_SCHEDULE) until it succeeds or the schedule ends.

    PENDING --2xx--> SUCCEEDED
            --anything else, attempts left--> PENDING (record postponed by the next delay)
            --anything else, schedule spent--> FAILED
            --endpoint deleted, disabled or gone--> CANCELLED

Each record reads its delivery and endpoint together (one BatchGetItem) right before the
POST, so deleting or disabling an endpoint stops its deliveries at once. The delay comes
from the attempts the delivery's log holds, not SQS's receive count: a duplicate record or a
crash must not skip the schedule ahead or back. Deliveries are at least once: a receiver
that answered 2xx after our read timeout gets the event again, with the same `webhook-id`.

An endpoint whose deliveries keep failing is marked (`failingSince`); when a delivery fails
for good and the endpoint has failed, with no success, for DISABLE_AFTER, it is disabled
with a reason. Logs name ids, statuses and error kinds only: never a URL, secret or body.
"""

from __future__ import annotations

import math
import random
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from aws_lambda_powertools.metrics import MetricUnit
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from tenx_email import clock, ids, webhook_signing
from tenx_email.adapters import secret_box, sqs_visibility, webhook_http
from tenx_email.dal import webhook_deliveries as deliveries
from tenx_email.dal import webhook_endpoint_health as health
from tenx_email.observability import logger, metrics
from tenx_email.services import webhooks as endpoints
from tenx_email.webhooks import (
    DELIVERY_ID,
    DISABLE_AFTER,
    RETRY_SCHEDULE,
    WEBHOOK_ID,
    DeliveryAttempt,
    DeliveryStatus,
    WebhookDelivery,
    WebhookEndpoint,
)

# The first attempt and one per delay of the schedule.
MAX_SCHEDULED_ATTEMPTS = 1 + len(RETRY_SCHEDULE)
JITTER = 0.1
# SQS's longest visibility timeout (12 hours).
MAX_POSTPONE_SECONDS = 12 * 3600
# No POST starts with less time left than it may take (connect and read timeouts) plus
# recording its outcome: an invocation cut off mid-POST would lose the attempt's record.
POST_BUDGET_SECONDS = webhook_http.CONNECT_TIMEOUT_SECONDS + webhook_http.READ_TIMEOUT_SECONDS + 4.0
# A record given back for lack of time comes back this soon (it was not attempted).
RETRY_LATER_SECONDS = 5
# A record back this little before its delivery's next attempt is due is attempted (its
# postponement was rounded to the second); one back earlier waits.
EARLY_SLACK = timedelta(seconds=1)
# What a failure without a status was, in the words an endpoint's disabled reason uses.
_KIND_WORDS = {
    "invalid_url": "invalid URL",
    "too_large": "body too large",
    "dns": "DNS lookup failed",
    "refused_address": "address refused",
    "connect": "connection failed",
    "tls": "TLS handshake failed",
    "timeout": "timed out",
    "dropped": "connection dropped",
    "protocol": "not an HTTP answer",
}
# How much of a receiver's answer an attempt keeps (the customer's own receiver's words).
EXCERPT_CHARS = 100


class RetryLater(Exception):
    """The record comes back later, not attempted (reported as a batch item failure)."""

    def __init__(self, reason: str, seconds: int = RETRY_LATER_SECONDS) -> None:
        super().__init__(reason)
        self.seconds = seconds


class AttemptFailed(Exception):
    """The attempt failed and is scheduled again: the record comes back after the delay."""

    def __init__(self, delay_seconds: int) -> None:
        super().__init__(f"next attempt in {delay_seconds} s")
        self.delay_seconds = delay_seconds


@dataclass(frozen=True)
class QueuedRecord:
    """One SQS record of the webhook queue, as the function hands it over."""

    body: str
    queue_arn: str
    receipt_handle: str
    deadline: float  # time.monotonic() by which the invocation ends


class _Job(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    handle: str = Field(pattern=ids.HANDLE_PATTERN)
    webhook_id: str = Field(alias="webhookId", pattern=WEBHOOK_ID.pattern)
    delivery_id: str = Field(alias="deliveryId", pattern=DELIVERY_ID.pattern)


def retry_delay(attempts_so_far: int) -> timedelta:
    """The wait after the `attempts_so_far`-th failed attempt (1-based), +-10% jitter, so
    that an endpoint's many failed deliveries do not all come back in the same second."""
    base = RETRY_SCHEDULE[attempts_so_far - 1].total_seconds()
    jittered = base * random.uniform(1 - JITTER, 1 + JITTER)  # noqa: S311 - not a secret
    return timedelta(seconds=min(jittered, MAX_POSTPONE_SECONDS))


def send(record: QueuedRecord) -> None:
    try:
        job = _Job.model_validate_json(record.body)
    except ValidationError:
        # Retried like any failure, then kept in the dead-letter queue (and alarmed on).
        logger.error("malformed webhook record")
        raise
    log = {"handle": job.handle, "webhook_id": job.webhook_id, "delivery_id": job.delivery_id}
    try:
        _send(job, record, log)
    except RetryLater as retry:
        logger.info("webhook delivery given back", extra={**log, "reason": str(retry)})
        sqs_visibility.postpone(record.queue_arn, record.receipt_handle, retry.seconds)
        raise
    except AttemptFailed as failed:
        delay = failed.delay_seconds
        logger.info("webhook delivery retried later", extra={**log, "delay": delay})
        sqs_visibility.postpone(record.queue_arn, record.receipt_handle, delay)
        raise
    except Exception:
        logger.exception(
            "webhook delivery failed; the record returns after its visibility timeout", extra=log
        )
        raise


def _send(job: _Job, record: QueuedRecord, log: dict[str, str]) -> None:
    delivery, endpoint = deliveries.with_endpoint(job.handle, job.webhook_id, job.delivery_id)
    if delivery is None:
        # The fan-out stores a delivery before it queues it: this one expired or never was.
        logger.warning("dropped a record whose webhook delivery is not stored", extra=log)
        return
    if delivery.status is not DeliveryStatus.PENDING:
        return  # it has its outcome already: a duplicate or late record
    if endpoint is None or endpoint.deleted or not endpoint.enabled:
        # Deleting or disabling an endpoint stops its deliveries.
        deliveries.set_status(delivery, DeliveryStatus.CANCELLED)
        metrics.add_metric(name="WebhookDeliveriesCancelled", unit=MetricUnit.Count, value=1)
        return
    if wait := _not_due_for(delivery):
        raise RetryLater("its next attempt is not due yet", wait)
    if record.deadline - time.monotonic() < POST_BUDGET_SECONDS:
        raise RetryLater("too little time left for another POST")
    now = clock.now()
    try:
        response = webhook_http.post(
            endpoint.url,
            delivery.payload,
            _headers(endpoint, delivery, now),
            allow_private=endpoints.allows_private_targets(),
        )
    except webhook_http.DeliveryError as error:
        attempt = DeliveryAttempt(at=now, error=f"{error.kind}: {error.detail}")
        _failed(delivery, endpoint, attempt, _KIND_WORDS.get(error.kind, error.kind), log)
        return
    if 200 <= response.status < 300:
        attempt = DeliveryAttempt(
            at=now, http_status=response.status, latency_ms=response.latency_ms
        )
        deliveries.record_attempt(delivery, attempt, DeliveryStatus.SUCCEEDED, None)
        if endpoint.failing_since is not None:
            health.clear_failing(endpoint)
        metrics.add_metric(name="WebhookDeliveriesSucceeded", unit=MetricUnit.Count, value=1)
        return
    attempt = DeliveryAttempt(
        at=now,
        http_status=response.status,
        latency_ms=response.latency_ms,
        error=_status_error(response),
    )
    _failed(delivery, endpoint, attempt, f"HTTP {response.status}", log)


def _not_due_for(delivery: WebhookDelivery) -> int:
    """How many seconds a record is early for its delivery's next attempt (0: it is due). A
    second record of a delivery (SQS may deliver one twice, and the fan-out queues a delivery
    again while it awaits its first attempt) or one whose postponing failed waits for the
    attempt the schedule set, rather than skipping ahead."""
    if delivery.next_attempt_at is None:
        return 0
    early = delivery.next_attempt_at - clock.now()
    if early <= EARLY_SLACK:
        return 0
    return min(math.ceil(early.total_seconds()), MAX_POSTPONE_SECONDS)


def _headers(endpoint: WebhookEndpoint, delivery: WebhookDelivery, now: datetime) -> dict[str, str]:
    # Every current secret signs: during a rotation, a receiver holding either verifies.
    context = endpoints.secret_context(endpoint.handle, endpoint.webhook_id)
    secrets = [secret_box.unseal(s.sealed, context) for s in endpoint.signing_secrets(now)]
    # The delivery id is the webhook-id: the same on every retry and replay, for dedup.
    return webhook_signing.signed_headers(
        secrets, delivery.delivery_id, signing_time(), delivery.payload
    )


def signing_time() -> datetime:
    """The wall clock's time, which receivers check theirs against (the service's clock is
    moved forward only in the local stack, to fire schedules)."""
    return datetime.now(UTC)


def _status_error(response: webhook_http.Response) -> str:
    words = f"HTTP {response.status}"
    if 300 <= response.status < 400:
        words += " (redirects are not followed)"
    excerpt = " ".join(response.body_excerpt.split())[:EXCERPT_CHARS]
    return f"{words}: {excerpt}" if excerpt else words


def _failed(
    delivery: WebhookDelivery,
    endpoint: WebhookEndpoint,
    attempt: DeliveryAttempt,
    last: str,
    log: dict[str, str],
) -> None:
    """Record a failed attempt; schedule the next (AttemptFailed) or give up (FAILED)."""
    attempts = len(delivery.attempts) + 1
    failing_since = endpoint.failing_since or attempt.at
    if endpoint.failing_since is None:
        health.mark_failing(endpoint, attempt.at)
    if attempts < MAX_SCHEDULED_ATTEMPTS:
        delay = retry_delay(attempts)
        deliveries.record_attempt(delivery, attempt, DeliveryStatus.PENDING, attempt.at + delay)
        metrics.add_metric(name="WebhookDeliveriesRetried", unit=MetricUnit.Count, value=1)
        raise AttemptFailed(max(1, round(delay.total_seconds())))
    deliveries.record_attempt(delivery, attempt, DeliveryStatus.FAILED, None)
    metrics.add_metric(name="WebhookDeliveriesFailed", unit=MetricUnit.Count, value=1)
    logger.info("webhook delivery failed for good", extra={**log, "last": last[:40]})
    failing_for = attempt.at - failing_since
    if failing_for >= DISABLE_AFTER:
        reason = f"every delivery failed for {failing_for.days} days (last: {last})"
        if health.disable(endpoint, reason, attempt.at):
            metrics.add_metric(name="WebhookEndpointsDisabled", unit=MetricUnit.Count, value=1)
            logger.warning("webhook endpoint disabled", extra={**log, "reason": reason})
