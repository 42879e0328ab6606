"""The event projection: what follows from messages' changes, built from the table's stream.

Delivery and feedback add each event to its message's timeline in the write that records it
(one write per outcome), and the send route and the trigger store a message in one write.
What follows from those is written here instead:
- the handle-wide feed: each batch of message changes becomes a few feed pages per handle,
  many events per item, so an event costs a fraction of a write rather than an item and an
  index entry;
- each recipient's messages: a new message is named under each of its recipients once, and
  the list of a recipient's events reads those messages' timelines;
- a rule message's MESSAGE_CREATED run (over a SKIPPED one a repeated job may have written
  meanwhile: the message exists, so the rule did make it);
- the day's usage, charged with each new message's recipients (the quota checks read it);
- each handle's reputation counts (sends, hard bounces, complaints), which pause a handle
  whose rates reach the guard's levels (services/reputation.py);
- each handle's email stats per UTC hour (services/email_stats.py);
- each sequence's stats, from its enrollments' changes and its steps' messages
  (services/sequence_stats.py), and the cascade a sequence's change starts (archived or
  deleted: its enrollments stop; resumed: its held ones run; services/sequence_cascades.py).
All lag the messages by the stream's delay (seconds).

A batch is projected whole or not at all: any failure raises, and Lambda retries the same
batch, which rewrites the same items (keys derive from the events, the messages and the
batch's first sequence number; a retried batch's feed pages keep the position of the pages it
wrote before: dal/feeds.py), so no event is lost or listed twice."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import (
    DynamoDBRecord,
    DynamoDBRecordEventName,
)
from pydantic import ValidationError

from tenx_email import clock
from tenx_email.dal import feeds, quotas
from tenx_email.dal.campaign_items import RuleRunItem
from tenx_email.dal.message_items import MessageItem
from tenx_email.dal.table import put_all
from tenx_email.message_models import DeliveryEvent, Message
from tenx_email.observability import logger, metrics
from tenx_email.reputation import Counts, counted
from tenx_email.services import email_stats, reputation, sequence_cascades, sequence_stats
from tenx_email.services.quotas import quota_day

# A day's usage is kept a few days past it (the quota route shows today's only).
USAGE_RETENTION = timedelta(days=4)


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


@dataclass(frozen=True)
class Replay:
    """An operator's replay of a batch the projection gave up on (services/recovery.py). Its
    failed attempts (and an earlier replay's) may have written some of its feed pages, which
    pollers may have read, and later batches' pages since: the events already listed
    (`listed`, by handle) are left out rather than listed twice, and the rest go after the
    feed's head, never over a page already written. Its usage is not charged (whether its
    attempts charged is not known): the replay recounts the days it touches from the stored
    messages."""

    listed: Callable[[str], set[str]]


@dataclass(frozen=True)
class Projected:
    events: int
    # (handle, day) of the messages the batch stored: the days' usage it charged.
    days: frozenset[tuple[str, str]]


def project(records: Sequence[DynamoDBRecord], replay: Replay | None = None) -> Projected:
    """Write the batch's new events to their handles' feeds, its new messages under their
    recipients and, for rule messages, their rules' MESSAGE_CREATED runs; then charge the new
    messages' recipients to their days' usage (not in a replay)."""
    by_handle: dict[str, list[DeliveryEvent]] = {}
    items: list[dict[str, Any]] = []
    usage: Counter[tuple[str, str]] = Counter()  # (handle, day) -> recipients
    counts: dict[str, Counts] = {}  # handle -> its reputation counts
    sequences = [record.dynamodb.sequence_number or "" for record in records if record.dynamodb]
    first_sequence = sequences[0] if sequences else ""
    tallies: sequence_stats.Tallies = {}
    stats: email_stats.Tallies = {}
    enrollment_changes = [record for record in records if sequence_stats.is_enrollment(record)]
    sequence_stats.tally_enrollments(enrollment_changes, tallies)
    cascades = sequence_cascades.started_by(
        sequence_stats.sequence_changes(r for r in records if sequence_stats.is_sequence(r))
    )
    for record in records:
        if sequence_stats.is_enrollment(record) or sequence_stats.is_sequence(record):
            continue
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
            counts[event.handle] = counts.get(event.handle, Counts()) + counted(event)
        email_stats.tally(change.events, change.stored, stats)
        stored = change.stored
        if stored is not None:
            items += feeds.recipient_messages(stored)
            run = stored.rule_run()
            if run is not None:
                items.append(RuleRunItem.from_domain(run).to_item())
            sequence_stats.tally_message(stored, tallies)
            if not stored.test_mode:  # test sends are outside the quota
                usage[(stored.handle, quota_day(stored.created_at))] += len(stored.recipients)
    # Whole items under keys of the projection's own making: writing one again changes nothing.
    # A handle's feed pages are written one after another (the first with everything else),
    # so no reader sees a page before the pages ahead of it.
    now = clock.now()
    rounds: list[list[dict[str, Any]]] = [items]
    for handle, all_events in by_handle.items():
        listed = replay.listed(handle) if replay else set()
        events = [event for event in all_events if event.event_id not in listed]
        if not events:
            continue
        if replay is None:
            position = feeds.next_position(feeds.feed_head(handle), first_sequence, now)
            label = first_sequence
        else:
            # Never over pages already written (a reader may have passed them): after the head.
            position = feeds.position_after(feeds.feed_head(handle), now)
            label = feeds.replayed(first_sequence)
        for n, page in enumerate(feeds.feed_pages(handle, events, label, position)):
            if n == len(rounds):
                rounds.append([])
            rounds[n].append(page)
    for written_together in rounds:
        put_all(written_together)
    sequence_cascades.start(cascades)
    # Last, so that only a failure among the charges themselves can have a batch retried
    # after some of its charges; a charge names the batch (its first and last records), and
    # is refused when that batch charged the day before (dal/quotas.py, `charge`).
    batch = f"{first_sequence}-{sequences[-1]}" if sequences else ""
    if replay is None:  # a replay's attempts may have counted: it neither charges nor counts
        for (handle, day), recipients in usage.items():
            quotas.charge(handle, day, recipients, batch, usage_expiry(day))
        reputation.record(counts, batch)
        sequence_stats.record(tallies, batch)
        email_stats.record(stats, batch)
    projected = sum(len(events) for events in by_handle.values())
    metrics.add_metric(name="EventsProjected", unit=MetricUnit.Count, value=projected)
    logger.info("events projected", extra={"events": projected, "handles": len(by_handle)})
    return Projected(events=projected, days=frozenset(usage))


def usage_expiry(day: str) -> int:
    """When a day's usage item expires (epoch seconds)."""
    expires_at = datetime.strptime(day, "%Y-%m-%d").replace(tzinfo=UTC) + USAGE_RETENTION
    return int(expires_at.timestamp())
