"""Stored items of messages and what hangs off them: the message with its recipients and
timeline, each recipient's messages and the event feed (written by the event projection),
suppressions, idempotency keys, quota and usage (dal/items.py has the shared base)."""

from __future__ import annotations

import json
import zlib
from collections.abc import Sequence
from datetime import datetime
from email.utils import parseaddr
from typing import Any, Self

from boto3.dynamodb.conditions import Attr, ConditionBase
from pydantic import BaseModel, ConfigDict, field_validator, model_validator
from pydantic.alias_generators import to_camel

from tenx_email import ids, keys
from tenx_email.dal.items import StoredItem
from tenx_email.dal.message_size import bounded_detail
from tenx_email.message_models import DeliveryEvent, EventType, Message, MessageStatus, Recipient
from tenx_email.models import Purpose
from tenx_email.sending_models import Suppression, SuppressionSource


def real_sends() -> ConditionBase:
    """A filter keeping real messages (not test sends): those stored before test sends
    existed have no testMode."""
    return Attr("testMode").not_exists() | Attr("testMode").eq(False)


class RecipientItem(BaseModel):
    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=True, extra="ignore", defer_build=True
    )
    email: str
    status: MessageStatus
    ses_message_id: str | None = None
    claimed_at: datetime | None = None
    reason: str | None = None
    unsubscribed_at: datetime | None = None


class TimelineEntryItem(BaseModel):
    """One event on a message's timeline (under its id), kept small because the message item
    is rewritten on every transition: its time is its id's (a ULID), its recipient an index
    into the message's recipients, its purpose the message's."""

    model_config = ConfigDict(extra="ignore", defer_build=True)
    type: EventType
    rcpt: int | None = None
    detail: str | None = None

    @classmethod
    def from_domain(cls, event: DeliveryEvent, rcpt: int | None) -> TimelineEntryItem:
        """`rcpt`: the index of `event.recipient` among the message's recipients."""
        detail = bounded_detail(event.detail) if event.detail is not None else None
        return cls(type=event.type, rcpt=rcpt, detail=detail)

    def to_item(self) -> dict[str, Any]:
        return self.model_dump(mode="json", exclude_none=True)


class MessageItem(StoredItem):
    """A message with its recipients and its timeline. In no index: every delivery and
    feedback step writes it, and index entries would double those writes (docs/data-model.md)."""

    entity_type = "MESSAGE"
    handle: str
    message_id: str
    status: MessageStatus
    purpose: Purpose
    sender_id: str
    from_name: str
    from_address: str
    reply_to: str | None = None
    recipients: list[RecipientItem]
    subject: str
    template_id: str
    template_version: int
    variables: dict[str, str]
    idempotency_key: str | None = None
    list_unsubscribe: bool = False
    test_mode: bool = False
    rule_id: str | None = None
    rule_version: int | None = None
    campaign_id: str | None = None
    campaign_event_id: str | None = None
    sequence_id: str | None = None
    sequence_version: int | None = None
    sequence_step: int | None = None
    status_reason: str | None = None
    created_at: datetime
    updated_at: datetime
    # Event id -> entry: an event is added at most once (its id is the condition).
    timeline: dict[str, TimelineEntryItem] = {}  # noqa: RUF012 (pydantic copies it)

    @model_validator(mode="before")
    @classmethod
    def _split_from(cls, stored: Any) -> Any:
        # Messages stored before the name and address were kept apart hold one formatted
        # `fromEmail` ("Name <local@domain>", names without specials then).
        if isinstance(stored, dict) and "fromAddress" not in stored and "fromEmail" in stored:
            name, address = parseaddr(stored["fromEmail"])
            return {**stored, "fromName": name, "fromAddress": address}
        return stored

    @classmethod
    def from_domain(cls, message: Message, timeline: Sequence[DeliveryEvent] = ()) -> MessageItem:
        emails = [recipient.email for recipient in message.recipients]
        return cls(
            **keys.message(message.handle, message.message_id),
            **message.model_dump(exclude={"recipients"}),
            recipients=[
                RecipientItem(**recipient.model_dump()) for recipient in message.recipients
            ],
            timeline={
                event.event_id: TimelineEntryItem.from_domain(
                    event, emails.index(event.recipient) if event.recipient else None
                )
                for event in timeline
            },
        )

    def to_domain(self) -> Message:
        return Message(
            **self.model_dump(exclude={"pk", "sk", "recipients", "timeline"}),
            recipients=tuple(Recipient(**item.model_dump()) for item in self.recipients),
        )

    def events(self) -> list[DeliveryEvent]:
        """The timeline as events, oldest first."""
        return [
            DeliveryEvent(
                handle=self.handle,
                message_id=self.message_id,
                event_id=event_id,
                type=entry.type,
                purpose=self.purpose,
                recipient=self.recipients[entry.rcpt].email if entry.rcpt is not None else None,
                detail=entry.detail,
                occurred_at=ids.ulid_time(event_id),
                test_mode=self.test_mode,
            )
            for event_id, entry in sorted(self.timeline.items())
        ]


class RecipientMessageItem(StoredItem):
    """A message sent to an address (lowercased), written by the event projection when the
    message is stored: the list of a recipient's events reads these, then the timelines."""

    entity_type = "RECIPIENT_MESSAGE"
    handle: str
    email: str
    message_id: str

    @classmethod
    def of(cls, handle: str, email: str, message_id: str) -> RecipientMessageItem:
        return cls(
            **keys.recipient_message(handle, email, message_id),
            handle=handle,
            email=email,
            message_id=message_id,
        )


class FeedEventItem(BaseModel):
    """One event in a page of the handle's event feed (its time is its id's, a ULID)."""

    model_config = ConfigDict(extra="ignore", defer_build=True)
    id: str
    msg: str
    type: EventType
    purpose: Purpose
    rcpt: str | None = None
    detail: str | None = None
    test: bool | None = None  # only when true (a feed page holds many events)

    @classmethod
    def from_domain(cls, event: DeliveryEvent) -> FeedEventItem:
        return cls(
            id=event.event_id,
            msg=event.message_id,
            type=event.type,
            purpose=event.purpose,
            rcpt=event.recipient,
            detail=event.detail,
            test=True if event.test_mode else None,
        )

    def to_domain(self, handle: str) -> DeliveryEvent:
        return DeliveryEvent(
            handle=handle,
            message_id=self.msg,
            event_id=self.id,
            type=self.type,
            purpose=self.purpose,
            recipient=self.rcpt,
            detail=self.detail,
            occurred_at=ids.ulid_time(self.id),
            test_mode=bool(self.test),
        )


class EventFeedItem(StoredItem):
    """A page of the handle's event feed, written once by the event projection: events of
    one stream batch, oldest first (keys.event_feed: pages sort in the order written). They
    are stored compressed (zlib of their JSON): a page is written once and read whole, and
    DynamoDB charges by size (50 events are ~10 KB of JSON, a fraction of that compressed)."""

    entity_type = "EVENT_FEED"
    handle: str
    events: list[FeedEventItem]

    @field_validator("events", mode="before")
    @classmethod
    def _decompress(cls, stored: Any) -> Any:
        if isinstance(stored, list):  # built here, not read back
            return stored
        return json.loads(zlib.decompress(bytes(stored)))

    def to_item(self) -> dict[str, Any]:
        item = super().to_item()
        packed = json.dumps(item["events"], separators=(",", ":")).encode()
        return {**item, "events": zlib.compress(packed)}

    @classmethod
    def from_domain(cls, key: keys.Key, handle: str, events: Sequence[DeliveryEvent]) -> Self:
        ordered = sorted(events, key=lambda event: event.event_id)
        return cls(
            **key, handle=handle, events=[FeedEventItem.from_domain(event) for event in ordered]
        )

    def to_domain(self) -> list[DeliveryEvent]:
        return [event.to_domain(self.handle) for event in self.events]


class SuppressionItem(StoredItem):
    entity_type = "SUPPRESSION"
    handle: str
    email: str
    reason: str
    source: SuppressionSource
    created_at: datetime
    # Absent: every purpose (suppressions stored before scopes existed are all of that kind).
    purposes: list[Purpose] | None = None

    @classmethod
    def from_domain(cls, suppression: Suppression) -> SuppressionItem:
        return cls(
            **keys.suppression(suppression.handle, suppression.email), **suppression.model_dump()
        )

    def to_domain(self) -> Suppression:
        return Suppression(**self.model_dump(exclude={"pk", "sk"}))


class IdempotencyItem(StoredItem):
    """A direct send's idempotency key: which message it made, and a hash of the request so a
    different request reusing the key is recognised. Expires (TTL) after the retention."""

    entity_type = "IDEMPOTENCY"
    message_id: str
    request_hash: str
    expires_at: int


class QuotaItem(StoredItem):
    entity_type = "QUOTA"
    daily_limit: int


class UsageItem(StoredItem):
    entity_type = "USAGE"
    used: int = 0
    expires_at: int | None = None


class UsageChargeItem(StoredItem):
    """Names a stream batch that charged a day's usage: its existence refuses the batch's
    second charge."""

    entity_type = "USAGE_CHARGE"
    expires_at: int
