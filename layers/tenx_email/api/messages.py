"""API shapes of messages and their delivery events, as read back."""

from __future__ import annotations

from typing import TYPE_CHECKING, Self

from pydantic import Field

from tenx_email import clock
from tenx_email.api.base import ApiModel, ShowsTestMode
from tenx_email.message_models import DeliveryEvent, EventType, Message, MessageStatus
from tenx_email.models import Purpose

if TYPE_CHECKING:
    from tenx_email.services.inspection import MessageDetail


class MessageOut(ShowsTestMode):
    message_id: str
    handle: str
    status: MessageStatus
    purpose: Purpose
    sender_id: str
    recipient_count: int
    from_email: str
    created_at: str

    @classmethod
    def from_message(cls, message: Message) -> Self:
        return cls(
            message_id=message.message_id,
            handle=message.handle,
            status=message.status,
            purpose=message.purpose,
            sender_id=message.sender_id,
            recipient_count=message.recipient_count,
            from_email=message.from_email,
            created_at=clock.iso(message.created_at),
            test_mode=message.test_mode or None,
        )


class MessageEnvelope(ApiModel):
    message: MessageOut


class MessageListOut(ApiModel):
    messages: list[MessageOut]
    next_token: str | None


class EventOut(ShowsTestMode):
    event_id: str
    message_id: str
    type: EventType
    recipient: str | None
    purpose: Purpose
    detail: str | None
    occurred_at: str

    @classmethod
    def from_event(cls, event: DeliveryEvent) -> Self:
        return cls(
            event_id=event.event_id,
            message_id=event.message_id,
            type=event.type,
            recipient=event.recipient,
            purpose=event.purpose,
            detail=event.detail,
            occurred_at=clock.iso(event.occurred_at),
            test_mode=event.test_mode or None,
        )


class EventListOut(ApiModel):
    events: list[EventOut]
    next_token: str | None


class RecipientOut(ApiModel):
    email: str
    status: MessageStatus
    reason: str | None


class HeldOut(ApiModel):
    reason: str
    since: str


class SequenceStepOut(ApiModel):
    sequence_id: str
    version: int
    step: int  # 0-based, as the sequence's steps


class MessageDetailOut(MessageOut):
    subject: str
    template_id: str
    template_version: int
    status_reason: str | None
    rule_id: str | None
    rule_version: int | None
    list_unsubscribe: bool
    updated_at: str
    recipients: list[RecipientOut]
    timeline: list[EventOut]
    # While delivery holds the message (its handle's sending is paused); absent otherwise.
    held: HeldOut | None = Field(default=None, exclude_if=lambda value: value is None)
    # A sequence step's message: which step of which sequence version; absent otherwise.
    sequence: SequenceStepOut | None = Field(default=None, exclude_if=lambda value: value is None)

    @classmethod
    def from_detail(cls, detail: MessageDetail) -> Self:
        message = detail.message
        return cls(
            **MessageOut.from_message(message).model_dump(),
            subject=message.subject,
            template_id=message.template_id,
            template_version=message.template_version,
            status_reason=message.status_reason,
            rule_id=message.rule_id,
            rule_version=message.rule_version,
            list_unsubscribe=message.list_unsubscribe,
            updated_at=clock.iso(message.updated_at),
            recipients=[
                RecipientOut(email=r.email, status=r.status, reason=r.reason)
                for r in message.recipients
            ],
            timeline=[EventOut.from_event(event) for event in detail.timeline],
            held=HeldOut(reason=detail.held.reason, since=clock.iso(detail.held.since))
            if detail.held
            else None,
            sequence=SequenceStepOut(
                sequence_id=message.sequence_id,
                version=message.sequence_version or 1,
                step=message.sequence_step or 0,
            )
            if message.sequence_id
            else None,
        )


class MessageDetailEnvelope(ApiModel):
    message: MessageDetailOut
