"""The webhook sender: each queued job -> one signed POST to its endpoint, retried on the
schedule (tenx_email.webhooks.RETRY_SCHEDULE) until it succeeds or the schedule ends.

    (not stored) --2xx--> SUCCEEDED
                 --anything else, attempts left--> PENDING (record postponed by the next delay)
                 --anything else, schedule spent--> FAILED
                 --endpoint deleted, disabled, gone or unsubscribed--> CANCELLED

A batch's records read their deliveries and endpoints together (one BatchGetItem) right
before their POSTs, so deleting or disabling an endpoint stops its deliveries at once; the
POSTs then run at the same time (a thread each: the invocation waits for the slowest answer,
not their sum), and each record is settled on its own. A delivery is written once per
attempt, whole, on the condition that its log still holds what was read: a duplicated record
(a retried stream batch queues its jobs again) is recorded once, and its copy is consumed.
Where a job stands comes from the log, not SQS's receive count, so a duplicate or a crash
cannot skip the schedule ahead or back; a record that comes back before its delivery's next
attempt is due waits until it is. Deliveries are at least once: a receiver that answered 2xx
after our read timeout, or two copies of a job attempted at the same moment, send the event
again with the same `webhook-id`.

An endpoint whose deliveries keep failing is marked (`failingSince`); when a delivery fails
for good and the endpoint has failed, with no success, for DISABLE_AFTER, it is disabled
with a reason. Logs name ids, statuses and error kinds only: never a URL, secret or body.
"""

from __future__ import annotations

import math
import random
import time
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from enum import Enum
from functools import cache

from aws_lambda_powertools.metrics import MetricUnit
from pydantic import ValidationError

from tenx_email import clock, resources, webhook_signing
from tenx_email.adapters import secret_box, sqs_visibility, webhook_http
from tenx_email.dal import webhook_deliveries as deliveries
from tenx_email.dal import webhook_endpoint_health as health
from tenx_email.observability import logger, metrics
from tenx_email.services import webhooks as endpoints
from tenx_email.webhook_payloads import DeliveryJob
from tenx_email.webhooks import (
    DISABLE_AFTER,
    RETRY_SCHEDULE,
    TEST_EVENT_TYPE,
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
# recording the batch's outcomes: an invocation cut off mid-POST would lose the attempt.
POST_BUDGET_SECONDS = webhook_http.CONNECT_TIMEOUT_SECONDS + webhook_http.READ_TIMEOUT_SECONDS + 4.0
# A record given back for lack of time comes back this soon (it was not attempted).
RETRY_LATER_SECONDS = 5
# A record back more than this before its delivery's next attempt is due waits: a postponed
# record returns at its delay rounded to the second; a duplicate can arrive any time (the
# first retry is due 5 s after the first attempt, so the slack must be well under that).
EARLY_SECONDS = 1
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


class _Action(Enum):
    DONE = "done"  # finished, superseded by a replay, or a copy of another record
    CANCEL = "cancel"  # its endpoint was deleted or disabled
    WAIT = "wait"  # its next attempt is not due yet
    GIVE_BACK = "give back"  # too little time left to POST
    POST = "post"


@dataclass(frozen=True)
class _Plan:
    job: DeliveryJob
    stored: WebhookDelivery | None  # what the log held when read
    current: WebhookDelivery  # the sending this record attempts, as it stands
    endpoint: WebhookEndpoint | None
    action: _Action
    wait_seconds: int = 0
    posting: _Posting | None = None  # set once a POST plan's POST has started


@dataclass(frozen=True)
class _Posting:
    endpoint: WebhookEndpoint
    at: datetime
    answer: Future[webhook_http.Response]


def retry_delay(attempts_so_far: int) -> timedelta:
    """The wait after the `attempts_so_far`-th failed attempt (1-based), +-10% jitter, so
    that an endpoint's many failed deliveries do not all come back in the same second."""
    base = RETRY_SCHEDULE[attempts_so_far - 1].total_seconds()
    jittered = base * random.uniform(1 - JITTER, 1 + JITTER)  # noqa: S311 - not a secret
    return timedelta(seconds=min(jittered, MAX_POSTPONE_SECONDS))


class Batch:
    """One invocation's records: the first `settle` reads every record's delivery and starts
    the POSTs that are due; each `settle` then records one record's outcome."""

    def __init__(self, records: Sequence[QueuedRecord]) -> None:
        self._records = records
        self._plans: dict[str, _Plan] | None = None

    def settle(self, record: QueuedRecord, deadline: float) -> None:
        """Settle one record (`deadline`: time.monotonic() by which the invocation ends)."""
        if self._plans is None:
            try:
                self._plans = _start(self._records, deadline)
            except Exception:
                logger.exception("webhook batch not read; its records return after their timeout")
                raise
        plan = self._plans.get(record.receipt_handle)
        if plan is None:
            # Retried like any failure, then kept in the dead-letter queue (and alarmed on).
            logger.error("malformed webhook record")
            raise ValueError("malformed webhook record")
        job = plan.job
        log = {"handle": job.handle, "webhook_id": job.webhook_id, "delivery_id": job.delivery_id}
        try:
            _settle(plan, log)
        except RetryLater as retry:
            logger.info("webhook delivery given back", extra={**log, "reason": str(retry)})
            delay = plan.wait_seconds or RETRY_LATER_SECONDS
            sqs_visibility.postpone(record.queue_arn, record.receipt_handle, delay)
            raise
        except AttemptFailed as failed:
            delay = failed.delay_seconds
            logger.info("webhook delivery retried later", extra={**log, "delay": delay})
            sqs_visibility.postpone(record.queue_arn, record.receipt_handle, delay)
            raise
        except Exception:
            logger.exception(
                "webhook delivery failed; the record returns after its visibility timeout",
                extra=log,
            )
            raise


@cache
def _posts() -> ThreadPoolExecutor:
    # One thread per record of the largest batch: every POST of a batch starts at once.
    return ThreadPoolExecutor(
        max_workers=resources.WEBHOOK_QUEUE.batch_size, thread_name_prefix="webhook-post"
    )


def _start(records: Sequence[QueuedRecord], deadline: float) -> dict[str, _Plan]:
    jobs: dict[str, DeliveryJob] = {}
    for record in records:
        try:
            jobs[record.receipt_handle] = DeliveryJob.model_validate_json(record.body)
        except ValidationError:
            continue  # settled as malformed
    stored, found = deliveries.with_endpoints(
        [(job.handle, job.webhook_id, job.delivery_id) for job in jobs.values()]
    )
    now = clock.now()
    time_left = deadline - time.monotonic() >= POST_BUDGET_SECONDS
    plans: dict[str, _Plan] = {}
    taken: set[tuple[str, str, int]] = set()
    for receipt, job in jobs.items():
        plan = _plan(
            job,
            stored.get((job.webhook_id, job.delivery_id)),
            found.get((job.handle, job.webhook_id)),
            now,
        )
        sending = (job.webhook_id, job.delivery_id, plan.current.sending)
        if plan.action in (_Action.POST, _Action.CANCEL) and sending in taken:
            plan = replace(plan, action=_Action.DONE)  # two copies in one batch: one is sent
        taken.add(sending)
        if plan.action is _Action.POST and not time_left:
            plan = replace(plan, action=_Action.GIVE_BACK)
        if plan.action is _Action.POST and plan.endpoint is not None:
            answer = _posts().submit(
                webhook_http.post,
                plan.endpoint.url,
                plan.current.payload,
                _headers(plan.endpoint, plan.current, now),
                allow_private=endpoints.allows_private_targets(),
            )
            plan = replace(plan, posting=_Posting(plan.endpoint, now, answer))
        plans[receipt] = plan
    return plans


def _plan(
    job: DeliveryJob,
    stored: WebhookDelivery | None,
    endpoint: WebhookEndpoint | None,
    now: datetime,
) -> _Plan:
    """What this record does, from what the log holds."""
    current = job.delivery()
    if stored is not None:
        if job.sending < stored.sending:
            return _Plan(job, stored, stored, endpoint, _Action.DONE)  # a replay took over
        if job.sending > stored.sending:  # a replay begins: its own schedule, from here
            current = stored.model_copy(
                update={
                    "status": DeliveryStatus.PENDING,
                    "next_attempt_at": None,
                    "sending": job.sending,
                    "attempts_before": len(stored.attempts),
                }
            )
        elif stored.status is not DeliveryStatus.PENDING:
            return _Plan(job, stored, stored, endpoint, _Action.DONE)  # it has its outcome
        else:
            current = stored
            due = current.next_attempt_at
            if due is not None and (due - now).total_seconds() > EARLY_SECONDS:
                wait = min(MAX_POSTPONE_SECONDS, math.ceil((due - now).total_seconds()))
                return _Plan(job, stored, current, endpoint, _Action.WAIT, wait_seconds=wait)
    if endpoint is None or endpoint.deleted or not endpoint.enabled:
        return _Plan(job, stored, current, endpoint, _Action.CANCEL)
    if current.sending == 0 and not _still_wanted(endpoint, job.event_type):
        # Its endpoint stopped subscribing to the type since the fan-out queued it (a replay,
        # asked for by name, is sent whatever the subscription).
        return _Plan(job, stored, current, endpoint, _Action.CANCEL)
    return _Plan(job, stored, current, endpoint, _Action.POST)


def _still_wanted(endpoint: WebhookEndpoint, event_type: str) -> bool:
    return event_type == TEST_EVENT_TYPE or endpoint.subscribes(event_type)


def _settle(plan: _Plan, log: dict[str, str]) -> None:
    if plan.action is _Action.DONE:
        return
    if plan.action is _Action.CANCEL:
        # Deleting or disabling an endpoint stops its deliveries.
        cancelled = plan.current.model_copy(
            update={"status": DeliveryStatus.CANCELLED, "next_attempt_at": None}
        )
        if deliveries.save(cancelled, plan.stored):
            metrics.add_metric(name="WebhookDeliveriesCancelled", unit=MetricUnit.Count, value=1)
        return
    if plan.action is _Action.WAIT:
        raise RetryLater("its next attempt is not due yet")
    if plan.action is _Action.GIVE_BACK:
        raise RetryLater("too little time left for another POST")
    posting = plan.posting
    assert posting is not None  # a POST plan's POST started with the batch
    at, endpoint = posting.at, posting.endpoint
    try:
        response = posting.answer.result()
    except webhook_http.DeliveryError as error:
        attempt = DeliveryAttempt(at=at, error=f"{error.kind}: {error.detail}")
        _failed(plan, endpoint, attempt, _KIND_WORDS.get(error.kind, error.kind), log)
        return
    if 200 <= response.status < 300:
        attempt = DeliveryAttempt(
            at=at, http_status=response.status, latency_ms=response.latency_ms
        )
        if _record(plan, attempt, DeliveryStatus.SUCCEEDED, None, log):
            metrics.add_metric(name="WebhookDeliveriesSucceeded", unit=MetricUnit.Count, value=1)
        if endpoint.failing_since is not None:
            health.clear_failing(endpoint)
        return
    attempt = DeliveryAttempt(
        at=at,
        http_status=response.status,
        latency_ms=response.latency_ms,
        error=_status_error(response),
    )
    _failed(plan, endpoint, attempt, f"HTTP {response.status}", log)


def _record(
    plan: _Plan,
    attempt: DeliveryAttempt,
    status: DeliveryStatus,
    next_attempt_at: datetime | None,
    log: dict[str, str],
) -> bool:
    """Store the attempt; False when a copy of this record stored its own first (the copy,
    which then owns the schedule, was recorded once; this one is consumed)."""
    after = plan.current.model_copy(
        update={
            "attempts": (*plan.current.attempts, attempt),
            "status": status,
            "next_attempt_at": next_attempt_at,
        }
    )
    if deliveries.save(after, plan.stored):
        return True
    logger.info("a copy of this webhook record was recorded first", extra=log)
    metrics.add_metric(name="WebhookDuplicateAttempts", unit=MetricUnit.Count, value=1)
    return False


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
    plan: _Plan,
    endpoint: WebhookEndpoint,
    attempt: DeliveryAttempt,
    last: str,
    log: dict[str, str],
) -> None:
    """Record a failed attempt; schedule the next (AttemptFailed) or give up (FAILED)."""
    attempts = plan.current.attempts_this_sending() + 1
    failing_since = endpoint.failing_since or attempt.at
    if endpoint.failing_since is None:
        health.mark_failing(endpoint, attempt.at)
    if attempts < MAX_SCHEDULED_ATTEMPTS:
        delay = retry_delay(attempts)
        if _record(plan, attempt, DeliveryStatus.PENDING, attempt.at + delay, log):
            metrics.add_metric(name="WebhookDeliveriesRetried", unit=MetricUnit.Count, value=1)
            raise AttemptFailed(max(1, round(delay.total_seconds())))
        return
    if not _record(plan, attempt, DeliveryStatus.FAILED, None, log):
        return
    metrics.add_metric(name="WebhookDeliveriesFailed", unit=MetricUnit.Count, value=1)
    logger.info("webhook delivery failed for good", extra={**log, "last": last[:40]})
    failing_for = attempt.at - failing_since
    if failing_for >= DISABLE_AFTER:
        reason = f"every delivery failed for {failing_for.days} days (last: {last})"
        if health.disable(endpoint, reason, attempt.at):
            metrics.add_metric(name="WebhookEndpointsDisabled", unit=MetricUnit.Count, value=1)
            logger.warning("webhook endpoint disabled", extra={**log, "reason": reason})
