"""Feedback: what SES reports about each sent email becomes a timeline event, a recipient and
message status, and, for hard bounces and complaints, a suppression.

SES publishes the configuration set's events to the default event bus, and a rule forwards
them to the feedback queue. An event finds its message through the tags delivery set on the
send (handle, messageId, rcpt). Everything here is safe to repeat: the event's id derives from
the EventBridge event id and is written once, statuses only move forward, and a suppression is
only created where none exists (a manual one is never overwritten).

Calls: the messages of a batch's events are read together (`FeedbackBatch`, one BatchGetItem
for up to ten events); then an event that moves its recipient costs one write: its event,
the recipient's status and, when that gives the message a further outcome, the message's
status, conditioned on the other recipients being as read (a changed message is read again,
and the event decided anew). An event whose recipient is already as far costs its event
alone (or nothing, for Send); a hard bounce or complaint adds its suppression write.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from aws_lambda_powertools.metrics import MetricUnit
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from tenx_email import clock, ids, test_sends
from tenx_email.dal import delivery as store
from tenx_email.dal import delivery_reads as reads
from tenx_email.dal import suppressions as suppression_store
from tenx_email.message_models import DeliveryEvent, EventType, Message, MessageStatus
from tenx_email.observability import logger, metrics
from tenx_email.sending_models import Suppression, SuppressionSource
from tenx_email.services.recipient_state import (
    KnownMessage,
    conclusion,
    outcome_of,
    read_together,
    with_recipient,
)


@dataclass(frozen=True)
class _Kind:
    event: EventType
    status: MessageStatus
    # A Send that arrives after delivery recorded SENT repeats what the timeline shows.
    record_if_stale: bool = True


# detail.eventType of SES's configuration-set events -> our event and recipient status.
KINDS = {
    "Send": _Kind(EventType.SENT, MessageStatus.SENT, record_if_stale=False),
    "Delivery": _Kind(EventType.DELIVERED, MessageStatus.DELIVERED),
    "DeliveryDelay": _Kind(EventType.DELIVERY_DELAYED, MessageStatus.DELIVERY_DELAYED),
    "Bounce": _Kind(EventType.BOUNCED, MessageStatus.BOUNCED),
    "Complaint": _Kind(EventType.COMPLAINED, MessageStatus.COMPLAINED),
    "Reject": _Kind(EventType.REJECTED, MessageStatus.FAILED),
    "Rendering Failure": _Kind(EventType.RENDERING_FAILED, MessageStatus.FAILED),
}


# The recipient statuses whose SES report explains them.
_EXPLAINED = frozenset(
    {
        MessageStatus.FAILED,
        MessageStatus.BOUNCED,
        MessageStatus.COMPLAINED,
        MessageStatus.DELIVERY_DELAYED,
    }
)


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore", populate_by_name=True, defer_build=True)


class _Mail(_Model):
    message_id: str = Field(alias="messageId")
    destination: list[str] = []
    tags: dict[str, list[str]] = {}


class _Report(_Model):
    """The event type's own part of the detail (bounce, complaint, delivery, ...)."""

    timestamp: datetime | None = None  # to the millisecond; EventBridge's `time` has seconds
    bounce_type: str | None = Field(default=None, alias="bounceType")
    bounce_sub_type: str | None = Field(default=None, alias="bounceSubType")
    complaint_feedback_type: str | None = Field(default=None, alias="complaintFeedbackType")
    delay_type: str | None = Field(default=None, alias="delayType")
    reason: str | None = None


class _Detail(_Model):
    event_type: str = Field(alias="eventType")
    mail: _Mail
    bounce: _Report | None = None
    complaint: _Report | None = None
    delivery: _Report | None = None
    delivery_delay: _Report | None = Field(default=None, alias="deliveryDelay")
    reject: _Report | None = None

    @property
    def report(self) -> _Report | None:
        return self.bounce or self.complaint or self.delivery or self.delivery_delay or self.reject


class _SesEvent(_Model):
    """The EventBridge envelope SES publishes (source aws.ses)."""

    id: str
    time: datetime
    detail: _Detail


class _Target(_Model):
    """Our tags on the send, as SES echoes them (each tag value is a list)."""

    handle: str = Field(pattern=ids.HANDLE_PATTERN)
    message_id: str = Field(alias="messageId", pattern=r"^[A-Za-z0-9_-]{1,100}$")
    rcpt: int = Field(ge=0)


# An event that finds its message changed since it was read reads it again and decides anew;
# after this many tries the record is retried by SQS.
_ATTEMPTS = 3


def _target(event: _SesEvent) -> _Target | None:
    try:
        return _Target.model_validate(
            {name: values[0] for name, values in event.detail.mail.tags.items()}
        )
    except (ValidationError, IndexError):
        return None


def _load_messages(refs: list[reads.MessageRef]) -> dict[reads.MessageRef, KnownMessage]:
    return {ref: KnownMessage(*ref, message) for ref, message in reads.load_messages(refs).items()}


class FeedbackBatch:
    """One invocation's records: the messages their events name are read together before the
    first record (one consistent BatchGetItem for up to ten events), then each event is
    applied, and settled, on its own. An event the batch read does not cover reads its
    message on its own."""

    def __init__(self, known: dict[reads.MessageRef, KnownMessage]) -> None:
        self.known = known

    @classmethod
    def load(cls, bodies: Iterable[str]) -> FeedbackBatch:
        refs = []
        for body in bodies:
            try:
                event = _SesEvent.model_validate_json(body)
            except ValidationError:
                continue  # fails on its own
            target = _target(event) if event.detail.event_type in KINDS else None
            if target is not None:
                refs.append((target.handle, target.message_id))
        return cls(read_together(refs, _load_messages))

    def handle_event(self, body: str) -> None:
        handle_event(body, self)


def handle_event(body: str, batch: FeedbackBatch | None = None) -> None:
    """Apply one SES event (the body of a feedback queue record)."""
    try:
        _handle(body, batch)
    except Exception as error:
        # The type only: a validation error would quote the event, addresses included.
        logger.error(
            "SES event not applied; it will be retried", extra={"error": type(error).__name__}
        )
        raise


def _handle(body: str, batch: FeedbackBatch | None) -> None:
    event = _SesEvent.model_validate_json(body)
    kind = KINDS.get(event.detail.event_type)
    if kind is None:
        return  # opens, clicks and the like: not tracked
    mail = event.detail.mail
    target = _target(event)
    if target is None:
        logger.warning("SES event without our tags", extra={"ses_message_id": mail.message_id})
        return
    ref = (target.handle, target.message_id)
    known = batch.known.get(ref) if batch is not None else None
    if known is None:
        known = KnownMessage.unread(*ref)
        if batch is not None:
            batch.known[ref] = known  # the batch's other events for it share what it learns
    try:
        _apply(event, kind, known, target.rcpt)
    except Exception:
        known.fresh = False
        raise


def _names_recipient(message: Message, rcpt: int, destination: list[str]) -> bool:
    """The tags point at a recipient SES actually sent to."""
    if rcpt >= len(message.recipients):
        return False
    sent_to = test_sends.sent_to(message, rcpt).lower()  # a test send's went to the simulator
    return sent_to in {address.lower() for address in destination}


def _apply(event: _SesEvent, kind: _Kind, known: KnownMessage, rcpt: int) -> None:
    message = known.refresh()
    if message is None or not _names_recipient(message, rcpt, event.detail.mail.destination):
        logger.warning(
            "SES event for no known recipient",
            extra={"handle": known.handle, "message_id": known.message_id, "rcpt": rcpt},
        )
        return
    email = message.recipients[rcpt].email
    detail = _detail(event.detail)
    suppression = _suppression(event.detail, message.handle, email)
    if suppression is not None and suppression_store.put_unless_suppressed_for_all(suppression):
        metrics.add_metric(name="SuppressionsAdded", unit=MetricUnit.Count, value=1)
    report = event.detail.report
    occurred_at = report.timestamp if report and report.timestamp else event.time
    timeline_event = DeliveryEvent(
        handle=message.handle,
        message_id=message.message_id,
        event_id=ids.ulid(occurred_at, seed=f"ses-event|{event.id}"),
        type=kind.event,
        purpose=message.purpose,
        recipient=email,
        detail=detail,
        occurred_at=occurred_at,
    )
    # The recipient's reason says why it is where it is: a failure's, a bounce's type, a
    # complaint's feedback type, a delay's type; a delivery has none (and clears any before).
    reason = f"{kind.event.value.lower()}: {detail}" if kind.status in _EXPLAINED else None
    result = _record(known, rcpt, kind, timeline_event, event.detail.mail.message_id, reason)
    logger.info(
        "SES event applied",
        extra={
            "message_id": message.message_id,
            "rcpt": rcpt,
            "event_type": kind.event.value,
            "result": result,
        },
    )


def _record(
    known: KnownMessage,
    rcpt: int,
    kind: _Kind,
    timeline_event: DeliveryEvent,
    ses_message_id: str,
    reason: str | None,
) -> str:
    """Move the recipient forward with its event, and the message too when that gives it a
    further outcome, in one write; an event whose status cannot move goes on the timeline
    alone (if `kind.record_if_stale`). Decided from what we know of the message; a write
    that finds the message changed reads it again and decides anew."""
    for _ in range(_ATTEMPTS):
        message = known.refresh()
        if message is None:
            return "gone"
        current = message.recipients[rcpt]
        if current.status.rank >= kind.status.rank:
            # Statuses only move forward: what we read is as far or further, and stays so.
            _catch_up(known, message)
            if not kind.record_if_stale:
                return "stale"
            # Not recorded: a repeat, or the timeline's room for such events is used up.
            return "recorded" if store.put_event(message, rcpt, timeline_event) else "not recorded"
        changes: dict[str, object] = {"status": kind.status}
        if reason is not None:
            changes["reason"] = reason
        if current.ses_message_id is None:
            changes["ses_message_id"] = ses_message_id
        after = with_recipient(message, rcpt, **changes)
        outcome = conclusion(message, after)
        advanced = store.advance(
            message,
            rcpt,
            timeline_event,
            kind.status,
            ses_message_id=ses_message_id,
            reason=reason,
            conclude=outcome,
        )
        if advanced is store.Advance.MOVED:
            known.wrote(rcpt, outcome[0] if outcome else None, **changes)
            return "moved"
        known.fresh = False  # CONFLICT: read it again
    raise RuntimeError("the message kept changing while the event was applied")


def _catch_up(known: KnownMessage, message: Message) -> None:
    """A message whose status lags its recipients' outcome (its last recipient was recorded
    alone, and the delivery record that concludes it has not come back yet) gets it now.
    Costs nothing when it does not lag, as is usual."""
    outcome = outcome_of(message.recipients)
    if outcome is None or outcome[0].rank <= message.status.rank:
        return
    if store.conclude(message, *outcome):
        known.message = message.model_copy(update={"status": outcome[0]})
    else:
        known.fresh = False


def _detail(detail: _Detail) -> str | None:
    """A short description safe to show and store (no addresses, no SMTP transcripts)."""
    if detail.bounce is not None:
        return f"{detail.bounce.bounce_type}/{detail.bounce.bounce_sub_type}"
    if detail.complaint is not None:
        return detail.complaint.complaint_feedback_type or "complaint"
    if detail.reject is not None:
        return detail.reject.reason or "rejected"
    if detail.delivery_delay is not None:
        return detail.delivery_delay.delay_type or "delayed"
    if detail.event_type == "Rendering Failure":
        return "rendering failure"
    return None


def _suppression(detail: _Detail, handle: str, email: str) -> Suppression | None:
    """Hard bounces and complaints stop further mail to the address for this handle."""
    if detail.bounce is not None and detail.bounce.bounce_type == "Permanent":
        source, reason = SuppressionSource.BOUNCE, f"hard bounce ({_detail(detail)})"
    elif detail.complaint is not None:
        source, reason = SuppressionSource.COMPLAINT, "complaint"
    else:
        return None
    return Suppression(
        handle=handle, email=email.lower(), reason=reason, source=source, created_at=clock.now()
    )
