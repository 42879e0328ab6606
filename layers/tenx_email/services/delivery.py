"""Delivery: a queued message becomes one SES call per recipient, and never two.

Each recipient moves by conditional writes (dal/delivery.py), so each step happens once:

    QUEUED --claim--> SENDING --SES accepted--> SENT
                              --SES refused for good--> FAILED
                              --SES throttled--> QUEUED (claim released, record retried later)
                              --claim older than LEASE--> UNKNOWN (never sent again)
    QUEUED --re-check failed, or suppressed--> DENIED
    QUEUED --the handle's sending is paused--> QUEUED, held (until an operator resumes it)
    SENDING --SES paused the handle's SES tenant--> QUEUED, held (likewise)
    QUEUED --bodies cannot be rendered--> FAILED

SES SendEmail has no idempotency token: only the consumer whose claim succeeded calls SES
for a recipient, and a claim whose outcome was never recorded (the process died after
calling SES) is not retried: once older than LEASE it becomes UNKNOWN. When every recipient
has an outcome, so does the message (`outcome_of`, services/recipient_state.py, whose rules
feedback shares).

Calls: the records of a batch share their reads (`DeliveryBatch`: two BatchGetItems for up to
ten messages). Then each recipient costs its claim, its SES call and one write that records
its outcome with its event and, when that leaves no recipient in flight, the message's
status: derived in memory from what this invocation knows of the message (`KnownMessage`),
and written only if the other recipients are still as it knows them. When they are not (SES's
feedback or another consumer moved one), the recipient is recorded alone and the message is
read again to conclude; while another consumer still holds a claim, the record comes back
later (RetryLater) until a pass concludes.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from aws_lambda_powertools.metrics import MetricUnit
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from tenx_email import clock, ids, sandbox
from tenx_email.adapters import ses_sending, sqs_visibility
from tenx_email.dal import delivery as store
from tenx_email.dal import delivery_reads as reads
from tenx_email.message_models import DeliveryEvent, EventType, MessageStatus
from tenx_email.observability import logger, metrics
from tenx_email.resources import DELIVERY_QUEUE
from tenx_email.services import delivery_checks as checks
from tenx_email.services import outgoing, pacing, sending_pause, ses_tenants
from tenx_email.services.recipient_state import (
    KnownMessage,
    conclusion,
    outcome_of,
    read_together,
    with_recipient,
)
from tenx_email.settings import sending_settings, ses_settings

# A claim is fresh only while the invocation that made it can still be running (at most the
# function's timeout); twice that leaves room for clock skew between invocations.
LEASE = timedelta(seconds=2 * DELIVERY_QUEUE.consumer_timeout_seconds)
# The send route enqueues before it stores the message: a record younger than this may just
# have overtaken that write. An older one belongs to a request that failed.
MISSING_MESSAGE_GRACE_SECONDS = 120
# A record retried later comes back after 5 s * 2^receives, at most 15 minutes: with
# maxReceiveCount 10, nine retries wait 10+20+40+80+160+320+640+900+900 = 3070 s (51 min).
RETRY_BASE_SECONDS = 5
RETRY_CAP_SECONDS = 900
# No SES call starts with less time left than one call can take (ses_sending's connect and
# read timeouts) plus recording its outcome: a timeout mid-call would leave it UNKNOWN.
SES_CALL_BUDGET_SECONDS = 15
# Concluding a message reads it again after each conditional write that found it changed.
_CONCLUDE_ATTEMPTS = 3

SUPPRESSED = "suppressed"
UNKNOWN_REASON = (
    "delivery state unknown after an interrupted send; not retried to avoid a duplicate"
)
_EVENT_TYPES = {
    MessageStatus.SENT: EventType.SENT,
    MessageStatus.DENIED: EventType.DENIED,
    MessageStatus.FAILED: EventType.FAILED,
    MessageStatus.UNKNOWN: EventType.UNKNOWN,
}


class RetryLater(Exception):
    """The record must come back later (reported as a batch item failure)."""


@dataclass(frozen=True)
class QueuedRecord:
    """One SQS record of the delivery queue, as the function hands it over."""

    body: str
    sent_timestamp_ms: int
    receive_count: int
    queue_arn: str
    receipt_handle: str
    deadline: float  # time.monotonic() by which the invocation ends


class _Job(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore", defer_build=True)

    handle: str = Field(pattern=ids.HANDLE_PATTERN)
    message_id: str = Field(alias="messageId", pattern=r"^[A-Za-z0-9_-]{1,100}$")


def retry_delay_seconds(receive_count: int) -> int:
    return int(min(RETRY_BASE_SECONDS * 2 ** max(receive_count, 1), RETRY_CAP_SECONDS))


def _load_batch(refs: list[reads.MessageRef]) -> dict[reads.MessageRef, KnownMessage]:
    return {
        ref: KnownMessage(*ref, found.message, recheck=found.recheck)
        for ref, found in reads.load_batch(refs).items()
    }


class DeliveryBatch:
    """One invocation's records: their messages and what their re-check needs are read
    together before the first record (dal/delivery_reads.py, `load_batch`: two consistent
    BatchGetItems for up to ten messages); each record is then delivered, and settled, on
    its own. A record the batch read does not cover (its body, or its message's item, did
    not parse; the batch read failed) reads on its own."""

    def __init__(self, known: dict[reads.MessageRef, KnownMessage]) -> None:
        self.known = known

    @classmethod
    def load(cls, bodies: Iterable[str]) -> DeliveryBatch:
        refs = []
        for body in bodies:
            try:
                job = _Job.model_validate_json(body)
            except ValidationError:
                continue  # fails on its own
            refs.append((job.handle, job.message_id))
        return cls(read_together(refs, _load_batch))

    def deliver(self, record: QueuedRecord) -> None:
        deliver(record, self)


def deliver(record: QueuedRecord, batch: DeliveryBatch | None = None) -> None:
    try:
        job = _Job.model_validate_json(record.body)
    except ValidationError:
        # Retried like any failure, then kept in the dead-letter queue (and alarmed on).
        logger.error("malformed delivery record")
        raise
    log = {"handle": job.handle, "message_id": job.message_id}
    ref = (job.handle, job.message_id)
    known = batch.known.get(ref) if batch is not None else None
    if known is None:
        known = KnownMessage.unread(*ref)
        if batch is not None:
            batch.known[ref] = known  # a duplicate record in the batch shares what it learns
    try:
        _deliver(known, record)
    except RetryLater as retry:
        known.fresh = False
        delay = retry_delay_seconds(record.receive_count)
        logger.info("delivery retried later", extra={**log, "reason": str(retry), "delay": delay})
        sqs_visibility.postpone(record.queue_arn, record.receipt_handle, delay)
        raise
    except Exception:
        known.fresh = False
        # Our exceptions carry ids and codes only, never addresses or content.
        logger.exception(
            "delivery failed; the record returns after its visibility timeout", extra=log
        )
        raise


def _deliver(known: KnownMessage, record: QueuedRecord) -> None:
    message = known.refresh()
    if message is None:
        # SQS stamps records with the wall clock, not the service's (movable) clock.
        if time.time() - record.sent_timestamp_ms / 1000 < MISSING_MESSAGE_GRACE_SECONDS:
            raise RetryLater("message not stored yet")
        logger.warning(
            "dropped a record whose message was never stored",
            extra={"handle": known.handle, "message_id": known.message_id},
        )
        return
    if message.status.rank >= MessageStatus.SENT.rank:
        return  # it has its outcome already: a duplicate or late record
    _expire_stale_claims(known)
    pending = [
        i for i, r in enumerate(known.current().recipients) if r.status is MessageStatus.QUEUED
    ]
    if pending:
        try:
            _send_pending(known, pending, record.deadline)
        except checks.Held as held:
            sending_pause.hold(known.handle, known.message_id, held.reason)
            logger.info(
                "delivery held",
                extra={"handle": known.handle, "message_id": known.message_id},
            )
            return
    _conclude(known)


def _expire_stale_claims(known: KnownMessage) -> None:
    now = clock.now()
    for index, recipient in enumerate(known.current().recipients):
        claimed_at = recipient.claimed_at
        if recipient.status is MessageStatus.SENDING and claimed_at and now - claimed_at > LEASE:
            _settle(known, index, MessageStatus.UNKNOWN, claimed_at, reason=UNKNOWN_REASON)


def _send_pending(known: KnownMessage, pending: list[int], deadline: float) -> None:
    message = known.current()
    emails = [message.recipients[i].email for i in pending]
    recheck = known.recheck
    if recheck is None or not recheck.covers(emails):
        recheck = known.recheck = reads.load_recheck(message, emails)
    try:
        content = checks.content(message, checks.recheck(message, recheck))
    except checks.Unsendable as refusal:
        for index in pending:
            _settle(known, index, refusal.status, None, reason=refusal.reason)
        return
    tenant = recheck.handle.ses_tenant if recheck.handle else None
    for index in pending:
        email = message.recipients[index].email.lower()
        if email in recheck.suppressed:
            _settle(known, index, MessageStatus.DENIED, None, reason=SUPPRESSED)
        elif email in recheck.outside_sandbox:
            _settle(known, index, MessageStatus.DENIED, None, reason=sandbox.REASON)
        else:
            _send_one(known, index, content, deadline, tenant)


def _send_one(
    known: KnownMessage, index: int, content: outgoing.Content, deadline: float, tenant: str | None
) -> None:
    # Waits for this invocation's turn at SES's rate (services/pacing.py).
    if not pacing.PACER.take_turn(deadline - SES_CALL_BUDGET_SECONDS):
        raise RetryLater("too little time left for another SES call")
    message = known.current()
    claimed_at = clock.now()
    if not store.claim(message, index, claimed_at):
        known.fresh = False
        return  # another consumer has it; _conclude waits for its outcome
    known.wrote(index, MessageStatus.SENDING, status=MessageStatus.SENDING, claimed_at=claimed_at)
    email = outgoing.email_for(message, index, content, claimed_at)
    # OutcomeUnknown passes through and leaves the claim in place: past the lease this
    # recipient becomes UNKNOWN, and it is never sent again.
    try:
        ses_message_id = ses_sending.send(
            email,
            region=ses_settings().ses_region,
            configuration_set=sending_settings().ses_configuration_set,
            tenant=tenant,
        )
    except ses_sending.Throttled as throttled:
        if store.release(known.current(), index, claimed_at):
            known.wrote(index, status=MessageStatus.QUEUED, claimed_at=None)
        else:
            known.fresh = False
        if (held := ses_tenants.held_reason(tenant, throttled.code)) is not None:
            raise checks.Held(held) from None
        metrics.add_metric(name="SesThrottled", unit=MetricUnit.Count, value=1)
        raise RetryLater(f"SES throttled ({throttled.code})") from None
    except ses_sending.Rejected as rejected:
        _settle(known, index, MessageStatus.FAILED, claimed_at, reason=rejected.detail)
        return
    _settle(known, index, MessageStatus.SENT, claimed_at, ses_message_id=ses_message_id)


def _settle(
    known: KnownMessage,
    index: int,
    status: MessageStatus,
    claimed_at: datetime | None,
    *,
    reason: str | None = None,
    ses_message_id: str | None = None,
) -> None:
    """Record recipient `index`'s outcome and its event in one write; when that gives every
    recipient an outcome, the message's status too (only from what we know is current)."""
    message = known.current()
    # SENT is dated by its claim, taken just before the SES call, so it sorts before anything
    # SES reports on the email (a delivery can be reported before the call has returned).
    at = claimed_at if status is MessageStatus.SENT and claimed_at else clock.now()
    event = DeliveryEvent(
        handle=message.handle,
        message_id=message.message_id,
        event_id=ids.ulid(at),
        type=_EVENT_TYPES[status],
        purpose=message.purpose,
        recipient=message.recipients[index].email,
        detail=reason,
        occurred_at=at,
    )
    changes: dict[str, object] = {"status": status}
    if reason is not None:
        changes["reason"] = reason
    if ses_message_id is not None:
        changes["ses_message_id"] = ses_message_id
    after = with_recipient(message, index, **changes)
    outcome = conclusion(message, after) if known.fresh else None

    def record(outcome: store.Outcome | None) -> bool:
        return store.settle(
            message,
            index,
            event,
            status,
            claimed_at=claimed_at,
            reason=reason,
            ses_message_id=ses_message_id,
            conclude=outcome,
        )

    settled = record(outcome)
    if not settled and outcome is not None:
        # Something moved since we read it (SES's feedback on another recipient, another
        # consumer), or our claim is gone: record this recipient alone if it is still ours;
        # the message's outcome then comes from a fresh read (_conclude).
        known.fresh, outcome = False, None
        settled = record(None)
    if not settled:
        known.fresh = False
        return
    known.wrote(index, outcome[0] if outcome else None, **changes)
    metrics.add_metric(name=f"Recipients{status.value.title()}", unit=MetricUnit.Count, value=1)


def _conclude(known: KnownMessage) -> None:
    """Give the message its outcome once every recipient has one; until then the record
    keeps coming back (another consumer is still sending, or gave a claim back). Nothing to
    do when our last write already gave it."""
    for _ in range(_CONCLUDE_ATTEMPTS):
        message = known.refresh()
        if message is None or message.status.rank >= MessageStatus.SENT.rank:
            return
        outcome = outcome_of(message.recipients)
        if outcome is None:
            raise RetryLater("recipients still in flight")
        if store.conclude(message, *outcome):
            known.message = message.model_copy(update={"status": outcome[0]})
            return
        known.fresh = False
    raise RetryLater("the message kept changing while it was concluded")
