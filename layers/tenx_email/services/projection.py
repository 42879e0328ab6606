"""The event projection: messages' timelines -> the lists of events beyond a message's own.

Delivery and feedback add each event to its message's timeline in the write that records it
(one write per outcome). The other event lists are built from the table's stream instead:
- the handle-wide feed: each batch of message changes becomes a few feed pages per handle,
  many events per item, so an event costs a fraction of a write rather than an item and an
  index entry;
- each recipient's messages: a new message is named under each of its recipients once, and
  the list of a recipient's events reads those messages' timelines.
Both lag the timelines by the stream's delay (seconds).

A batch is projected whole or not at all: any failure raises, and Lambda retries the same
batch, which rewrites the same items (keys derive from the events, the messages and the
batch's first sequence number), so no event is lost or listed twice."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import (
    DynamoDBRecord,
    DynamoDBRecordEventName,
)
from pydantic import ValidationError

from tenx_email.dal import feeds
from tenx_email.dal.items import MessageItem
from tenx_email.dal.table import put_all
from tenx_email.models import DeliveryEvent, Message
from tenx_email.observability import logger, metrics


@dataclass(frozen=True)
class MessageChange:
    events: list[DeliveryEvent]  # what the change added to the message's timeline
    stored: Message | None  # the message, when the change stored it


def message_change(record: DynamoDBRecord) -> MessageChange:
    """What a message item's change means for the lists (its item read once)."""
    change = record.dynamodb
    if record.event_name is DynamoDBRecordEventName.REMOVE or change is None:
        return MessageChange(events=[], stored=None)
    item = MessageItem.from_item(change.new_image)
    before = set((change.old_image or {}).get("timeline", {}))
    stored = item.to_domain() if record.event_name is DynamoDBRecordEventName.INSERT else None
    return MessageChange(
        events=[event for event in item.events() if event.event_id not in before],
        stored=stored,
    )


def project(records: Iterable[DynamoDBRecord]) -> int:
    """Write the batch's new events to their handles' feeds, and its new messages under their
    recipients; returns how many events."""
    by_handle: dict[str, list[DeliveryEvent]] = {}
    items: list[dict[str, Any]] = []
    first_sequence = ""
    for record in records:
        if not first_sequence and record.dynamodb is not None:
            first_sequence = record.dynamodb.sequence_number or ""
        try:
            change = message_change(record)
        except ValidationError:
            # An item that is no message as we store it would fail every retry of the batch
            # and hold back the rest of its shard: it is left out, loudly (its own timeline
            # is unaffected; only the lists beyond it miss it).
            item_keys = record.dynamodb.keys if record.dynamodb else None
            logger.error("message change not projected", extra={"keys": item_keys})
            metrics.add_metric(name="RecordsNotProjected", unit=MetricUnit.Count, value=1)
            continue
        for event in change.events:
            by_handle.setdefault(event.handle, []).append(event)
        if change.stored is not None:
            items += feeds.recipient_messages(change.stored)
    for handle, events in by_handle.items():
        items += feeds.feed_pages(handle, events, batch=first_sequence)
    # Whole items under keys of the projection's own making: writing one again changes nothing.
    put_all(items)
    projected = sum(len(events) for events in by_handle.values())
    metrics.add_metric(name="EventsProjected", unit=MetricUnit.Count, value=projected)
    logger.info("events projected", extra={"events": projected, "handles": len(by_handle)})
    return projected
