"""The event projection: messages' timelines -> the handle-wide event feed.

Delivery and feedback append each event to its message's timeline in the write that records
it (one write per outcome). The handle-wide list of events is built from the table's stream
instead: each batch of message changes becomes a few feed pages per handle, many events per
item, so an event costs a fraction of a write there rather than an item and an index entry.
The feed lags the timeline by the stream's delay (seconds).

A batch is projected whole or not at all: any failure raises, and Lambda retries the same
batch, which rewrites the same pages (keys derive from the events and the batch's first
sequence number), so no event is lost or listed twice."""

from __future__ import annotations

from collections.abc import Iterable

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import (
    DynamoDBRecord,
    DynamoDBRecordEventName,
)

from tenx_email.dal import feeds
from tenx_email.dal.items import MessageItem
from tenx_email.models import DeliveryEvent
from tenx_email.observability import logger, metrics


def new_events(record: DynamoDBRecord) -> list[DeliveryEvent]:
    """The events a message change added to its timeline (none for a removal)."""
    change = record.dynamodb
    if record.event_name is DynamoDBRecordEventName.REMOVE or change is None:
        return []
    message = MessageItem.from_item(change.new_image)
    before = {entry["id"] for entry in (change.old_image or {}).get("timeline", [])}
    return [event for event in message.events() if event.event_id not in before]


def project(records: Iterable[DynamoDBRecord]) -> int:
    """Write the batch's new events to their handles' feeds; returns how many."""
    by_handle: dict[str, list[DeliveryEvent]] = {}
    first_sequence = ""
    for record in records:
        if not first_sequence and record.dynamodb is not None:
            first_sequence = record.dynamodb.sequence_number or ""
        for event in new_events(record):
            by_handle.setdefault(event.handle, []).append(event)
    for handle, events in by_handle.items():
        feeds.put_pages(handle, events, batch=first_sequence)
    projected = sum(len(events) for events in by_handle.values())
    metrics.add_metric(name="EventsProjected", unit=MetricUnit.Count, value=projected)
    logger.info("events projected", extra={"events": projected, "handles": len(by_handle)})
    return projected
