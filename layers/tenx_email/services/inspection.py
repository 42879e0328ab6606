"""Reading messages and their delivery events."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from tenx_email import ids, keys
from tenx_email.dal import feeds, holds
from tenx_email.dal import messages as store
from tenx_email.dal.queries import Page
from tenx_email.errors import EventFilterRequired, MessageNotFound
from tenx_email.message_models import DeliveryEvent, Hold, Message, MessageStatus
from tenx_email.models import HandleAccess, Purpose

MAX_PAGE_SIZE = 100
DEFAULT_PAGE_SIZE = 25
MAX_RECIPIENT_LENGTH = 320
TIMELINE_LENGTH = 100
# `msg_<ULID>`, and `_<shard>` after it for a message kept in a shard other than the first.
MESSAGE_ID = r"^msg_[0-9a-z]{26}(_[1-9][0-9]?)?$"


@dataclass(frozen=True)
class MessageDetail:
    message: Message
    timeline: list[DeliveryEvent]
    # Set while delivery holds the message back (its handle's sending is paused).
    held: Hold | None = None


@dataclass(frozen=True)
class EventQuery:
    message_id: str | None = None
    recipient: str | None = None
    purpose: Purpose | None = None
    since: datetime | None = None


def prefetch_message(handle_name: str, message_id: str | None) -> list[keys.Key]:
    """The message get_message and list_events(messageId) read first, for the access check to
    read along; nothing for an id that cannot name a message."""
    if message_id is None or not ids.is_valid(MESSAGE_ID, message_id):
        return []
    return [keys.message(handle_name, message_id), keys.held_message(handle_name, message_id)]


def prefetch_events(handle_name: str, query: Mapping[str, str]) -> list[keys.Key]:
    """What list_events reads for the access check to read along: the message of
    `messageId`. A recipient's messages are found by a Query, which runs only once access is
    decided (nothing of a handle's is read before that), so they are read after it."""
    if "messageId" in query:
        return prefetch_message(handle_name, query["messageId"])
    return []


def list_messages(
    access: HandleAccess,
    status: MessageStatus | None,
    purpose: Purpose | None,
    limit: int,
    next_token: str | None,
    test_mode: bool | None = None,
) -> Page[Message]:
    return store.list_messages(
        access.handle.handle,
        shards=access.handle.shard_count,
        status=status.value if status else None,
        purpose=purpose.value if purpose else None,
        limit=limit,
        next_token=next_token,
        test_mode=test_mode,
    )


def get_message(access: HandleAccess, message_id: str) -> MessageDetail:
    found = (
        store.get_with_timeline(access.handle.handle, message_id)
        if ids.is_valid(MESSAGE_ID, message_id)
        else None
    )
    if found is None:
        raise MessageNotFound(f"message {message_id} does not exist")
    message, timeline = found
    held = holds.get_hold(access.handle.handle, message_id)
    return MessageDetail(message=message, timeline=timeline[:TIMELINE_LENGTH], held=held)


def list_events(
    access: HandleAccess, query: EventQuery, limit: int, next_token: str | None
) -> Page[DeliveryEvent]:
    """Events of a message (its timeline), of a recipient, or (at least purpose or since
    given) of the handle (its feed, which lags the timelines by seconds)."""
    if not (query.message_id or query.recipient or query.purpose or query.since):
        raise EventFilterRequired(
            "give messageId or recipient, or at least one of purpose and since"
        )
    purpose = query.purpose.value if query.purpose else None
    since_event_id = ids.ulid_time_prefix(query.since) if query.since else None
    if query.message_id:
        page = store.timeline_page(
            access.handle.handle,
            query.message_id,
            purpose=purpose,
            since_event_id=since_event_id,
            limit=limit,
            next_token=next_token,
        )
        if page is None:
            raise MessageNotFound(f"message {query.message_id} does not exist")
        return page
    if query.recipient:
        return feeds.list_recipient_events(
            access.handle.handle,
            query.recipient.lower(),
            purpose=purpose,
            since_event_id=since_event_id,
            limit=limit,
            next_token=next_token,
        )
    return feeds.list_events(
        access.handle.handle,
        purpose=purpose,
        since=query.since,
        limit=limit,
        next_token=next_token,
    )
