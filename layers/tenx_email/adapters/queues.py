"""SQS: handing accepted messages to delivery."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from functools import cache
from typing import TYPE_CHECKING

import boto3
from botocore.exceptions import BotoCoreError, ClientError

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient
    from mypy_boto3_sqs.type_defs import SendMessageBatchRequestEntryTypeDef

# The message item is written right after the enqueue (see services/sending.py); a short delay
# makes it all but certain that delivery finds it on the first receive.
DELIVERY_DELAY_SECONDS = 1
# SQS takes at most 10 entries per SendMessageBatch.
_ENTRIES_PER_BATCH = 10


class QueueUnavailable(Exception):
    """The queue could not take the message."""


@cache
def _client() -> SQSClient:
    return boto3.client("sqs")


def queue_url(queue_name: str) -> str:
    """A queue's URL by its name (for operators' commands, which know only the stage)."""
    return _client().get_queue_url(QueueName=queue_name)["QueueUrl"]


def enqueue_delivery(queue_url: str, handle: str, message_id: str) -> None:
    try:
        _client().send_message(
            QueueUrl=queue_url,
            MessageBody=json.dumps({"handle": handle, "messageId": message_id}),
            DelaySeconds=DELIVERY_DELAY_SECONDS,
        )
    except (ClientError, BotoCoreError) as error:
        raise QueueUnavailable(str(error)) from error


def enqueue_deliveries(queue_url: str, messages: Sequence[tuple[str, str]]) -> set[str]:
    """Hand several accepted messages (handle, message id; ids distinct) to delivery with
    SendMessageBatch, 10 a call. Returns the message ids SQS did not take: the entries it
    reported failed, and every entry of a call that failed as a whole."""
    bodies = {
        message_id: json.dumps({"handle": handle, "messageId": message_id})
        for handle, message_id in messages
    }
    return send_all(queue_url, bodies, DELIVERY_DELAY_SECONDS)


def send_all(queue_url: str, bodies: Mapping[str, str], delay_seconds: int = 0) -> set[str]:
    """Send message bodies (by distinct names) with SendMessageBatch, 10 a call; returns the
    names SQS did not take: the entries it reported failed, and every entry of a call that
    failed as a whole."""
    named = list(bodies.items())
    refused: set[str] = set()
    for start in range(0, len(named), _ENTRIES_PER_BATCH):
        chunk = named[start : start + _ENTRIES_PER_BATCH]
        entries: list[SendMessageBatchRequestEntryTypeDef] = [
            {"Id": str(position), "MessageBody": body, "DelaySeconds": delay_seconds}
            for position, (_, body) in enumerate(chunk)
        ]
        try:
            response = _client().send_message_batch(QueueUrl=queue_url, Entries=entries)
        except (ClientError, BotoCoreError):
            refused.update(name for name, _ in chunk)
            continue
        # Only what SQS names as taken counts as queued.
        taken = {entry["Id"] for entry in response.get("Successful", [])}
        refused.update(
            name for position, (name, _) in enumerate(chunk) if str(position) not in taken
        )
    return refused


def enqueue_job(queue_url: str, job: dict[str, object]) -> None:
    """Hand a campaign trigger job to the trigger Lambda."""
    try:
        _client().send_message(QueueUrl=queue_url, MessageBody=json.dumps(job))
    except (ClientError, BotoCoreError) as error:
        raise QueueUnavailable(str(error)) from error
