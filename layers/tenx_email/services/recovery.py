"""Operators' recovery: what to do when the event projection gave up on a stream batch.

The projection's event source retries a failing batch, then puts its place in the stream (not
its records) on the projection's dead-letter queue, and the stream keeps records 24 hours.
Within that time `replay_projection_dead_letters` reads each such batch back from the stream
and projects it, exactly as the function would have, but for two things (services/projection.py,
`Replay`): events its failed attempts already put in the feed are not listed again, and usage is
not charged; instead every day the batch stored messages on is recounted from the stored
messages (`recount_usage`), which is exact whatever the attempts charged. A batch the stream
no longer holds stays on the queue and is reported: its messages' timelines are whole, only
the handle-wide feed misses its events; recount the days it covered by hand.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord
from pydantic import BaseModel, ConfigDict, Field

from tenx_email import clock
from tenx_email.adapters import dead_letters, table_stream
from tenx_email.dal import feeds, quotas, tenancy
from tenx_email.errors import InvalidInput
from tenx_email.resources import EVENT_PROJECTION, stream_dead_letter_queue_name
from tenx_email.services import projection
from tenx_email.services.rules import MAX_DELAY_MINUTES

# A delayed rule's message is made up to its delay after the campaign event its id is dated
# by, plus the schedule's day of retries.
_RULE_MESSAGE_LAG = timedelta(minutes=MAX_DELAY_MINUTES) + timedelta(days=2)


class _BatchInfo(BaseModel):
    model_config = ConfigDict(populate_by_name=True, extra="ignore")

    shard_id: str = Field(alias="shardId")
    first: str = Field(alias="startSequenceNumber")
    last: str = Field(alias="endSequenceNumber")
    stream_arn: str = Field(alias="streamArn")
    first_arrival: datetime = Field(alias="approximateArrivalOfFirstRecord")


class _FailureRecord(BaseModel):
    """What the event source puts on the dead-letter queue for a batch it gave up on."""

    model_config = ConfigDict(populate_by_name=True, extra="ignore")

    batch: _BatchInfo = Field(alias="DDBStreamBatchInfo")


@dataclass
class Replayed:
    batches: int = 0
    events: int = 0
    # Batches the stream no longer holds (left on the queue), by their first sequence number.
    gone: list[str] = field(default_factory=list)
    recounted: dict[str, int] = field(default_factory=dict)  # "<handle> <day>" -> recipients


def replay_projection_dead_letters(stage: str) -> Replayed:
    """Project again every batch on the event projection's dead-letter queue that the stream
    still holds, delete each once projected, then recount the days' usage they touched."""
    url = dead_letters.queue_url(stream_dead_letter_queue_name(stage, EVENT_PROJECTION))
    replayed, days = Replayed(), set[tuple[str, str]]()
    for letter in dead_letters.each(url):
        failure = _FailureRecord.model_validate_json(letter.body)
        info = failure.batch
        try:
            raw = table_stream.records_between(
                info.stream_arn, info.shard_id, info.first, info.last
            )
        except table_stream.RangeGone:
            replayed.gone.append(info.first)
            continue
        records = [DynamoDBRecord(record) for record in raw if _projected(record)]
        # Its attempts wrote between its first record's arrival and the give-up; an earlier
        # replay of it, since then.
        since = info.first_arrival - feeds.SINCE_LOOKBACK
        until = clock.now() + feeds.SINCE_LOOKBACK
        outcome = projection.project(
            records, projection.Replay(partial(_listed, info.first, since, until))
        )
        dead_letters.delete(url, letter)
        replayed.batches += 1
        replayed.events += outcome.events
        days |= outcome.days
    for handle, day in sorted(days):
        replayed.recounted[f"{handle} {day}"] = recount_usage(handle, day)
    return replayed


def _listed(batch: str, since: datetime, until: datetime, handle: str) -> set[str]:
    return feeds.listed_by_batch(handle, batch, since, until)


def _projected(record: dict[str, Any]) -> bool:
    """The event source's filter: only message items' changes reach the projection."""
    sort_key = record.get("dynamodb", {}).get("Keys", {}).get("SK", {}).get("S", "")
    return EVENT_PROJECTION.passes(str(sort_key))


def recount_usage(handle: str, day: str) -> int:
    """Set the handle's usage of `day` (YYYY-MM-DD, UTC) to the recipients of the messages
    stored that day, counted from the messages; returns it. A message stored while this runs
    may be counted once more or less than it should: run it when the handle is quiet, or
    accept that for a daily guard."""
    try:
        day_start = datetime.strptime(day, "%Y-%m-%d").replace(tzinfo=UTC)
    except ValueError:
        raise InvalidInput(f"day must be YYYY-MM-DD, not {day!r}") from None
    if day_start > clock.now():
        raise InvalidInput(f"{day} has not begun")
    found = tenancy.get_handle(handle)
    shards = found.shard_count if found else 1
    used = quotas.recipients_stored_on(handle, shards, day, day_start, _RULE_MESSAGE_LAG)
    quotas.set_usage(handle, day, used, projection.usage_expiry(day))
    return used
