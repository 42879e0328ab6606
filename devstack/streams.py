"""A DynamoDB stream event source mapping, locally: reads every shard of the table's stream
from its start, keeps the records the consumer's filter lets through (sort key prefix), and
hands them to the consumer in batches, as Lambda's poller does. A batch whose consumer raises
is retried as it was, up to the spec's retry attempts, then dropped with an error in the log
(where Lambda would name it in the consumer's dead-letter queue)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

import boto3
from botocore.config import Config

from tenx_email.resources import StreamConsumerSpec

if TYPE_CHECKING:
    from mypy_boto3_dynamodbstreams import DynamoDBStreamsClient

# Between polls, busy or not: the event source gathers records for up to its batching window
# too, and the local stack's functions share one lock (devstack/lambdas.py), so polling
# nonstop under load would keep the API routes waiting.
POLL_SECONDS = 1.0
Consumer = Callable[[dict[str, Any]], Any]

_log = logging.getLogger(__name__)


def streams_client(region: str) -> DynamoDBStreamsClient:
    # botocore would send stream calls to an account-specific endpoint
    # (<account>.streams-ddb...), which moto does not answer.
    config = Config(account_id_endpoint_mode="disabled")
    return boto3.client("dynamodbstreams", region_name=region, config=config)


def _lambda_record(record: dict[str, Any], arn: str) -> dict[str, Any]:
    """A stream record as Lambda passes it: with the stream's ARN, and the creation time in
    epoch seconds (boto3 parsed it into a datetime)."""
    change = dict(record["dynamodb"])
    created = change.get("ApproximateCreationDateTime")
    if isinstance(created, datetime):
        change["ApproximateCreationDateTime"] = int(created.timestamp())
    return {**record, "dynamodb": change, "eventSourceARN": arn}


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
    ) -> None:
        self._streams = streams
        self._arn = arn
        self._spec = spec
        self._consumer = consumer
        self._shards: dict[str, _Shard] = {}

    def _passes(self, record: dict[str, Any]) -> bool:
        sort_key = record.get("dynamodb", {}).get("Keys", {}).get("SK", {}).get("S", "")
        return str(sort_key).startswith(self._spec.sort_key_prefix)

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
                _lambda_record(dict(record), self._arn)
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
                    "the stream consumer failed %s times; batch of shard %s dropped",
                    shard.attempts,
                    shard_id,
                )
            taken += len(shard.pending)
            shard.pending, shard.attempts = [], 0
        return taken

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
