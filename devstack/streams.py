"""A DynamoDB stream event source mapping, locally: reads every shard of the table's stream
from its start, keeps the records the consumer's filter lets through (sort key prefix), and
hands them to the consumer in batches, as Lambda's poller does. A batch whose consumer raises
is retried as it was, up to the spec's retry attempts; then, as Lambda's on-failure
destination does, its place in the stream (shard and first and last sequence numbers, not its
records) goes to the consumer's dead-letter queue, from which an operator replays it."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from tenx_email import clock
from tenx_email.adapters.table_stream import lambda_record
from tenx_email.resources import StreamConsumerSpec

if TYPE_CHECKING:
    from mypy_boto3_dynamodbstreams import DynamoDBStreamsClient

# Between polls, busy or not: the event source gathers records for up to its batching window
# too, and the local stack's functions share one lock (devstack/lambdas.py), so polling
# nonstop under load would keep the API routes waiting.
POLL_SECONDS = 1.0
Consumer = Callable[[dict[str, Any]], Any]
# Where a batch the consumer gave up on goes: Lambda's on-failure record, as JSON.
OnFailure = Callable[[dict[str, Any]], None]

_log = logging.getLogger(__name__)


def stream_arn(dynamodb: Any, table_name: str) -> str:
    return str(dynamodb.describe_table(TableName=table_name)["Table"]["LatestStreamArn"])


@dataclass
class _Shard:
    # The sequence number of the last record read (None: read from the shard's start).
    after: str | None = None
    pending: list[dict[str, Any]] = field(default_factory=list)
    attempts: int = 0


class StreamPoller:
    def __init__(
        self,
        streams: DynamoDBStreamsClient,
        arn: str,
        spec: StreamConsumerSpec,
        consumer: Consumer,
        on_failure: OnFailure | None = None,
    ) -> None:
        self._streams = streams
        self._arn = arn
        self._spec = spec
        self._consumer = consumer
        self._on_failure = on_failure
        self._shards: dict[str, _Shard] = {}

    def read_up_to(self) -> int | None:
        """The sequence number of the last record read from every shard (None: one unread)."""
        positions = [shard.after for shard in self._shards.values()]
        if not positions or None in positions:
            return None
        return min(int(after) for after in positions if after is not None)

    def _passes(self, record: dict[str, Any]) -> bool:
        sort_key = record.get("dynamodb", {}).get("Keys", {}).get("SK", {}).get("S", "")
        return self._spec.passes(str(sort_key))

    def _discover_shards(self) -> None:
        description = self._streams.describe_stream(StreamArn=self._arn)["StreamDescription"]
        for shard in description.get("Shards", []):
            self._shards.setdefault(shard["ShardId"], _Shard())

    def _iterator(self, shard_id: str, shard: _Shard) -> str:
        # A fresh iterator from the last record read, each poll: moto's iterators hold on to
        # the shard as it was, and moto replaces a table's shard when it undoes a cancelled
        # transaction (Lambda's own iterators also expire after 15 minutes).
        position: dict[str, Any] = (
            {"ShardIteratorType": "AFTER_SEQUENCE_NUMBER", "SequenceNumber": shard.after}
            if shard.after
            else {"ShardIteratorType": "TRIM_HORIZON"}
        )
        return self._streams.get_shard_iterator(StreamArn=self._arn, ShardId=shard_id, **position)[
            "ShardIterator"
        ]

    def _read(self, shard_id: str, shard: _Shard) -> None:
        """Fill the shard's batch from the stream (unless a failed batch waits for retry)."""
        iterator: str | None = self._iterator(shard_id, shard)
        while iterator and len(shard.pending) < self._spec.batch_size:
            response = self._streams.get_records(
                ShardIterator=iterator, Limit=self._spec.batch_size - len(shard.pending)
            )
            records = response.get("Records", [])
            iterator = response.get("NextShardIterator")
            if not records:
                break
            shard.after = records[-1]["dynamodb"]["SequenceNumber"]
            shard.pending += [
                lambda_record(dict(record), self._arn)
                for record in records
                if self._passes(dict(record))
            ]

    def poll_once(self) -> int:
        """Hand each shard's next batch to the consumer; return how many records it took."""
        self._discover_shards()
        taken = 0
        for shard_id, shard in self._shards.items():
            if not shard.pending:
                self._read(shard_id, shard)
            if not shard.pending:
                continue
            try:
                self._consumer({"Records": shard.pending})
            except Exception:
                shard.attempts += 1
                if shard.attempts <= self._spec.retry_attempts:
                    _log.exception("the stream consumer failed; the batch will be retried")
                    continue
                _log.error(
                    "the stream consumer failed %s times; batch of shard %s given up on",
                    shard.attempts,
                    shard_id,
                )
                if self._on_failure is not None:
                    self._on_failure(self._failure_record(shard_id, shard))
            taken += len(shard.pending)
            shard.pending, shard.attempts = [], 0
        return taken

    def _failure_record(self, shard_id: str, shard: _Shard) -> dict[str, Any]:
        """What Lambda's on-failure destination receives for a stream batch it gave up on."""
        first, last = shard.pending[0]["dynamodb"], shard.pending[-1]["dynamodb"]

        def arrival(change: dict[str, Any]) -> str:
            return datetime.fromtimestamp(change["ApproximateCreationDateTime"], UTC).strftime(
                "%Y-%m-%dT%H:%M:%SZ"
            )

        return {
            "requestContext": {
                "condition": "RetryAttemptsExhausted",
                "approximateInvokeCount": shard.attempts,
            },
            "version": "1.0",
            "timestamp": clock.iso(clock.now()),
            "DDBStreamBatchInfo": {
                "shardId": shard_id,
                "startSequenceNumber": first["SequenceNumber"],
                "endSequenceNumber": last["SequenceNumber"],
                "approximateArrivalOfFirstRecord": arrival(first),
                "approximateArrivalOfLastRecord": arrival(last),
                "batchSize": len(shard.pending),
                "streamArn": self._arn,
            },
        }

    def drain(self) -> int:
        """Poll until the stream has nothing new (tests); return how many records were taken."""
        total = 0
        while taken := self.poll_once():
            total += taken
        return total

    def run_until(self, stop: threading.Event) -> None:
        while not stop.is_set():
            try:
                self.poll_once()
            except Exception:
                _log.exception("polling the table's stream failed")
            stop.wait(POLL_SECONDS)
