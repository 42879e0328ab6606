"""Reading and clearing a dead-letter queue, for the operators' recovery commands."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING

import boto3

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient

# Long enough to handle one message before another reader could see it again.
_VISIBILITY_SECONDS = 300


@dataclass(frozen=True)
class DeadLetter:
    body: str
    receipt_handle: str


@cache
def _client() -> SQSClient:
    return boto3.client("sqs")


def queue_url(name: str) -> str:
    return _client().get_queue_url(QueueName=name)["QueueUrl"]


def each(url: str) -> Iterator[DeadLetter]:
    """The queue's messages, each hidden from other readers while it is handled; a message
    not deleted comes back after the visibility timeout."""
    while True:
        received = (
            _client()
            .receive_message(
                QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=_VISIBILITY_SECONDS
            )
            .get("Messages", [])
        )
        if not received:
            return
        for message in received:
            yield DeadLetter(body=message["Body"], receipt_handle=message["ReceiptHandle"])


def delete(url: str, letter: DeadLetter) -> None:
    _client().delete_message(QueueUrl=url, ReceiptHandle=letter.receipt_handle)
