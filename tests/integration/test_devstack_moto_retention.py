"""The local stack lets go of what moto keeps forever (devstack/moto_retention.py): the copies
of the table each transaction leaves, the stream records every consumer has read, old shard
iterators; and a consumer still gets every record it has not read, once."""

from __future__ import annotations

import gc
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto.dynamodb.models.table import Table

from devstack.moto_retention import MotoRetention
from devstack.streams import StreamPoller, stream_arn
from tenx_email.adapters import table_stream
from tenx_email.adapters.table_stream import streams_client
from tenx_email.resources import StreamConsumerSpec
from tests.conftest import REGION, TABLE_NAME

SPEC = StreamConsumerSpec(module="test", sort_key_prefixes=("MSG#",), batch_size=100)


@pytest.fixture
def dynamodb(aws: None) -> Any:
    return boto3.client("dynamodb", region_name=REGION)


def put(dynamodb: Any, *numbers: int) -> None:
    for number in numbers:
        dynamodb.put_item(
            TableName=TABLE_NAME,
            Item={"PK": {"S": "H#acme"}, "SK": {"S": f"MSG#{number:04d}"}, "n": {"N": str(number)}},
        )


def cancel_a_transaction(dynamodb: Any) -> None:
    with pytest.raises(ClientError, match="TransactionCanceled"):
        dynamodb.transact_write_items(
            TransactItems=[
                {
                    "Put": {
                        "TableName": TABLE_NAME,
                        "Item": {"PK": {"S": "H#acme"}, "SK": {"S": "MSG#0000"}},
                        "ConditionExpression": "attribute_not_exists(PK)",
                    }
                }
            ]
        )


def tables_alive() -> int:
    gc.collect()
    return sum(isinstance(o, Table) and o.name == TABLE_NAME for o in gc.get_objects())


class Consumer:
    def __init__(self) -> None:
        self.numbers: list[int] = []

    def __call__(self, event: dict[str, Any]) -> None:
        self.numbers += [int(r["dynamodb"]["NewImage"]["n"]["N"]) for r in event["Records"]]


def poller(dynamodb: Any, consumer: Consumer) -> StreamPoller:
    return StreamPoller(streams_client(REGION), stream_arn(dynamodb, TABLE_NAME), SPEC, consumer)


def test_the_table_copies_moto_keeps_for_its_dashboard_are_let_go(dynamodb: Any) -> None:
    put(dynamodb, 0)
    for _ in range(5):
        cancel_a_transaction(dynamodb)
    assert tables_alive() > 5  # moto's own lists hold every copy

    MotoRetention(TABLE_NAME, []).sweep()

    assert tables_alive() == 1


def test_records_every_consumer_has_read_are_freed_but_the_tail(dynamodb: Any) -> None:
    ahead, behind = Consumer(), Consumer()
    fast, slow = poller(dynamodb, ahead), poller(dynamodb, behind)
    retention = MotoRetention(TABLE_NAME, [fast, slow], tail_records=3)
    put(dynamodb, *range(10))
    fast.drain()
    assert retention.sweep() == 0  # the slow consumer has read nothing yet

    slow.drain()
    assert retention.sweep() == 7
    assert retention.sweep() == 0  # what is freed stays freed

    put(dynamodb, *range(10, 15))
    fast.drain()
    slow.drain()
    assert ahead.numbers == behind.numbers == list(range(15))
    assert retention.sweep() == 5


def test_a_freed_record_is_gone_for_a_replay_as_past_dynamodbs_24_hours(dynamodb: Any) -> None:
    consumer = Consumer()
    reader = poller(dynamodb, consumer)
    put(dynamodb, *range(6))
    reader.drain()
    arn = stream_arn(dynamodb, TABLE_NAME)
    shard = streams_client(REGION).describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]
    first = int(shard["SequenceNumberRange"]["StartingSequenceNumber"])

    MotoRetention(TABLE_NAME, [reader], tail_records=2).sweep()

    with pytest.raises(table_stream.RangeGone, match="TrimmedDataAccessException"):
        table_stream.records_between(arn, shard["ShardId"], str(first), str(first + 1))
    kept = table_stream.records_between(arn, shard["ShardId"], str(first + 4), str(first + 5))
    assert [int(r["dynamodb"]["NewImage"]["n"]["N"]) for r in kept] == [4, 5]


def test_old_shard_iterators_are_dropped_and_new_ones_kept(dynamodb: Any) -> None:
    from moto.dynamodbstreams.models import dynamodbstreams_backends

    iterators = dynamodbstreams_backends["123456789012"][REGION].shard_iterators
    reader = poller(dynamodb, Consumer())
    retention = MotoRetention(TABLE_NAME, [reader], iterator_seconds=0)
    put(dynamodb, 1)
    reader.drain()
    made_before = set(iterators)
    assert made_before

    retention.sweep()  # these have now been seen once
    reader.drain()
    retention.sweep()  # and are dropped; the ones the last drain made are kept

    assert not made_before & set(iterators)
    assert iterators
