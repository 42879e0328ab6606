"""The local SQS event source mapping on moto: batches in, partial batch responses settled
exactly as Lambda settles them."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import boto3
import pytest

from devstack.pollers import SqsPoller
from devstack.resources import QueueUrls, create_queue
from tenx_email.resources import QueueSpec

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient

STAGE = "test"
SPEC = QueueSpec(key="work", consumer_timeout_seconds=10, batch_size=10, max_receive_count=2)


class Consumer:
    """A stand-in consumer Lambda: records its events and answers with `answer(event)`."""

    def __init__(self, answer: Callable[[dict[str, Any]], Any]) -> None:
        self.events: list[dict[str, Any]] = []
        self._answer = answer

    def __call__(self, event: dict[str, Any]) -> Any:
        self.events.append(event)
        return self._answer(event)


@pytest.fixture
def sqs(aws: None) -> SQSClient:
    return boto3.client("sqs", region_name="us-east-1")


@pytest.fixture
def queue(sqs: SQSClient) -> QueueUrls:
    return create_queue(sqs, STAGE, SPEC)


def queue_arn(sqs: SQSClient, url: str) -> str:
    return sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]


def poller(
    sqs: SQSClient, queue: QueueUrls, consumer: Consumer, spec: QueueSpec = SPEC
) -> SqsPoller:
    # No waiting in tests: failed records become visible again at once.
    return SqsPoller(
        sqs,
        spec,
        queue.queue_url,
        queue_arn(sqs, queue.queue_url),
        consumer,
        wait_seconds=0,
        retry_visibility_seconds=0,
    )


def send(sqs: SQSClient, url: str, *bodies: str) -> None:
    for body in bodies:
        sqs.send_message(QueueUrl=url, MessageBody=body)


def bodies_left(sqs: SQSClient, url: str) -> list[str]:
    messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
    return sorted(message["Body"] for message in messages)


def fail_bodies(*bodies: str) -> Callable[[dict[str, Any]], Any]:
    def answer(event: dict[str, Any]) -> Any:
        return {
            "batchItemFailures": [
                {"itemIdentifier": record["messageId"]}
                for record in event["Records"]
                if record["body"] in bodies
            ]
        }

    return answer


def test_the_consumer_gets_lambdas_sqs_event(sqs: SQSClient, queue: QueueUrls) -> None:
    # Given a message with an attribute
    sqs.send_message(
        QueueUrl=queue.queue_url,
        MessageBody='{"job": 1}',
        MessageAttributes={"kind": {"DataType": "String", "StringValue": "trigger"}},
    )
    consumer = Consumer(lambda _: None)

    # When the poller runs once
    handed = poller(sqs, queue, consumer).poll_once()

    # Then the consumer sees the record as Lambda's event source mapping delivers it
    assert handed == 1
    (record,) = consumer.events[0]["Records"]
    assert record["body"] == '{"job": 1}'
    assert record["eventSource"] == "aws:sqs"
    assert record["eventSourceARN"] == queue_arn(sqs, queue.queue_url)
    assert record["awsRegion"] == "us-east-1"
    assert record["attributes"]["ApproximateReceiveCount"] == "1"
    assert record["md5OfBody"]
    assert record["receiptHandle"]
    assert record["messageAttributes"]["kind"]["stringValue"] == "trigger"
    assert record["messageAttributes"]["kind"]["dataType"] == "String"


@pytest.mark.parametrize("answer", [None, {}, {"batchItemFailures": []}])
def test_a_batch_without_failures_is_deleted(sqs: SQSClient, queue: QueueUrls, answer: Any) -> None:
    # Given three messages and a consumer that reports no failure
    send(sqs, queue.queue_url, "a", "b", "c")

    # When the poller hands them over
    poller(sqs, queue, Consumer(lambda _: answer)).poll_once()

    # Then none is left
    assert bodies_left(sqs, queue.queue_url) == []


def test_a_partial_failure_deletes_only_the_successes(sqs: SQSClient, queue: QueueUrls) -> None:
    # Given three messages, one of which the consumer fails
    send(sqs, queue.queue_url, "a", "b", "c")
    consumer = Consumer(fail_bodies("b"))

    # When the poller hands them over in one batch
    poller(sqs, queue, consumer).poll_once()

    # Then only the failed one is back in the queue
    assert len(consumer.events) == 1
    assert len(consumer.events[0]["Records"]) == 3
    assert bodies_left(sqs, queue.queue_url) == ["b"]


@pytest.mark.parametrize(
    "answer",
    [
        {"batchItemFailures": [{"itemIdentifier": "not-in-this-batch"}]},
        {"batchItemFailures": [{"itemIdentifier": ""}]},
        {"batchItemFailures": [{"wrongKey": "x"}]},
        {"batchItemFailures": "all"},
    ],
)
def test_an_unusable_failure_report_keeps_the_whole_batch(
    sqs: SQSClient, queue: QueueUrls, answer: Any
) -> None:
    # Given three messages and a consumer whose report names no record of the batch properly
    send(sqs, queue.queue_url, "a", "b", "c")

    # When the poller hands them over
    poller(sqs, queue, Consumer(lambda _: answer)).poll_once()

    # Then every message stays, as Lambda treats the batch as failed
    assert bodies_left(sqs, queue.queue_url) == ["a", "b", "c"]


def test_a_consumer_exception_keeps_the_whole_batch(sqs: SQSClient, queue: QueueUrls) -> None:
    # Given three messages and a consumer that raises
    send(sqs, queue.queue_url, "a", "b", "c")

    def crash(_: dict[str, Any]) -> Any:
        raise RuntimeError("boom")

    # When the poller hands them over
    poller(sqs, queue, Consumer(crash)).poll_once()

    # Then every message stays
    assert bodies_left(sqs, queue.queue_url) == ["a", "b", "c"]


def test_a_record_that_keeps_failing_moves_to_the_dead_letter_queue(
    sqs: SQSClient, queue: QueueUrls
) -> None:
    # Given a message the consumer always fails, on a queue with maxReceiveCount 2
    send(sqs, queue.queue_url, "poison")
    consumer = Consumer(fail_bodies("poison"))
    source = poller(sqs, queue, consumer)

    # When the poller keeps polling
    handed = [source.poll_once() for _ in range(4)]

    # Then the consumer saw it maxReceiveCount times, and then the DLQ holds it
    assert handed == [1, 1, 0, 0]
    assert bodies_left(sqs, queue.dead_letter_url) == ["poison"]


def test_a_batch_fills_up_to_the_batch_size_across_receives(
    sqs: SQSClient, queue: QueueUrls
) -> None:
    # Given more messages than one SQS receive returns, and a batch size above that
    send(sqs, queue.queue_url, *(f"m{index}" for index in range(14)))
    spec = QueueSpec(key="work", consumer_timeout_seconds=10, batch_size=12)
    consumer = Consumer(lambda _: None)

    # When the poller runs once
    handed = poller(sqs, queue, consumer, spec).poll_once()

    # Then one event carries a full batch, and the rest waits for the next one
    assert handed == 12
    assert len(consumer.events[0]["Records"]) == 12
    assert len(bodies_left(sqs, queue.queue_url)) == 2
