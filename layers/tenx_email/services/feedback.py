"""Feedback: what SES reports about each sent email becomes a timeline event, a recipient and
message status, and, for hard bounces and complaints, a suppression.

SES publishes the configuration set's events to the default event bus, and a rule forwards
them to the feedback queue. An event finds its message through the tags delivery set on the
send (handle, messageId, rcpt). Everything here is safe to repeat: the event's id derives from
the EventBridge event id and is written once, statuses only move forward, and a suppression is
only created where none exists (a manual one is never overwritten).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from aws_lambda_powertools.metrics import MetricUnit
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from tenx_email import clock, ids
from tenx_email.dal import delivery as store
from tenx_email.dal import messages as message_store
from tenx_email.dal import suppressions as suppression_store
from tenx_email.models import (
    DeliveryEvent,
    EventType,
    Message,
    MessageStatus,
    Suppression,
    SuppressionSource,
)
from tenx_email.observability import logger, metrics
from tenx_email.services.delivery import outcome_of


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


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore", populate_by_name=True)


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


def handle_event(body: str) -> None:
    """Apply one SES event (the body of a feedback queue record)."""
    try:
        _handle(body)
    except Exception as error:
        # The type only: a validation error would quote the event, addresses included.
        logger.error(
            "SES event not applied; it will be retried", extra={"error": type(error).__name__}
        )
        raise


def _handle(body: str) -> None:
    event = _SesEvent.model_validate_json(body)
    kind = KINDS.get(event.detail.event_type)
    if kind is None:
        return  # opens, clicks and the like: not tracked
    mail = event.detail.mail
    try:
        target = _Target.model_validate({name: values[0] for name, values in mail.tags.items()})
    except (ValidationError, IndexError):
        logger.warning("SES event without our tags", extra={"ses_message_id": mail.message_id})
        return
    message = message_store.get(target.handle, target.message_id)
    if message is None or not _names_recipient(message, target.rcpt, mail.destination):
        logger.warning(
            "SES event for no known recipient",
            extra={"handle": target.handle, "message_id": target.message_id, "rcpt": target.rcpt},
        )
        return
    _apply(event, kind, message, target.rcpt)


def _names_recipient(message: Message, rcpt: int, destination: list[str]) -> bool:
    """The tags point at a recipient SES actually sent to."""
    if rcpt >= len(message.recipients):
        return False
    return message.recipients[rcpt].email.lower() in {address.lower() for address in destination}


def _apply(event: _SesEvent, kind: _Kind, message: Message, rcpt: int) -> None:
    email = message.recipients[rcpt].email
    detail = _detail(event.detail)
    suppression = _suppression(event.detail, message.handle, email)
    if suppression is not None and suppression_store.put_if_absent(suppression):
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
    result = store.advance(
        message,
        rcpt,
        timeline_event,
        kind.status,
        ses_message_id=event.detail.mail.message_id,
        reason=f"{kind.event.value.lower()}: {detail}"
        if kind.status is MessageStatus.FAILED
        else None,
        record_if_stale=kind.record_if_stale,
    )
    logger.info(
        "SES event applied",
        extra={
            "message_id": message.message_id,
            "rcpt": rcpt,
            "event_type": kind.event.value,
            "result": result.value,
        },
    )
    current = message_store.get(message.handle, message.message_id)
    outcome = outcome_of(current.recipients) if current else None
    if current is not None and outcome is not None:
        store.set_status(current, *outcome)


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
