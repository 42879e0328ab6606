"""The table's change stream, read directly: what an operator's replay of a batch the event
projection gave up on needs (in AWS the functions get the stream from their event source, and
the local stack's stand-in for it reads it the same way: devstack/streams.py)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

if TYPE_CHECKING:
    from mypy_boto3_dynamodbstreams import DynamoDBStreamsClient

# Reading a range gives up after this many empty reads of an open shard in a row.
_EMPTY_READS = 3


class RangeGone(Exception):
    """The stream no longer holds the range (it keeps records 24 hours)."""


def streams_client(region: str | None = None) -> DynamoDBStreamsClient:
    # botocore would send stream calls to an account-specific endpoint
    # (<account>.streams-ddb...), which moto does not answer; the regional one serves both.
    config = Config(account_id_endpoint_mode="disabled")
    return boto3.client("dynamodbstreams", region_name=region, config=config)


def lambda_record(record: dict[str, Any], stream_arn: str) -> dict[str, Any]:
    """A stream record as Lambda passes it: with the stream's ARN, and the creation time in
    epoch seconds (boto3 parsed it into a datetime)."""
    change = dict(record["dynamodb"])
    created = change.get("ApproximateCreationDateTime")
    if isinstance(created, datetime):
        change["ApproximateCreationDateTime"] = int(created.timestamp())
    return {**record, "dynamodb": change, "eventSourceARN": stream_arn}


def records_between(stream_arn: str, shard_id: str, first: str, last: str) -> list[dict[str, Any]]:
    """The shard's records from sequence number `first` to `last`, both included, as Lambda
    passes them; RangeGone if the stream no longer has them."""
    client = streams_client()
    try:
        iterator: str | None = client.get_shard_iterator(
            StreamArn=stream_arn,
            ShardId=shard_id,
            ShardIteratorType="AT_SEQUENCE_NUMBER",
            SequenceNumber=first,
        )["ShardIterator"]
    except ClientError as error:
        raise RangeGone(error.response.get("Error", {}).get("Code", "")) from None
    found: list[dict[str, Any]] = []
    empty = 0
    while iterator and empty < _EMPTY_READS:
        try:
            response = client.get_records(ShardIterator=iterator)
        except ClientError as error:  # TrimmedDataAccessException, ExpiredIteratorException
            raise RangeGone(error.response.get("Error", {}).get("Code", "")) from None
        records = response.get("Records", [])
        iterator = response.get("NextShardIterator")
        empty = 0 if records else empty + 1
        for record in records:
            sequence = record["dynamodb"]["SequenceNumber"]
            if int(sequence) > int(last):
                return found
            found.append(lambda_record(dict(record), stream_arn))
    if not found or found[0]["dynamodb"]["SequenceNumber"] != first:
        raise RangeGone("TrimmedData")
    return found
