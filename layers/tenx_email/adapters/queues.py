"""SQS: handing accepted messages to delivery."""

from __future__ import annotations

import json
from functools import cache
from typing import TYPE_CHECKING

import boto3
from botocore.exceptions import BotoCoreError, ClientError

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient

# The message item is written right after the enqueue (see services/sending.py); a short delay
# makes it all but certain that delivery finds it on the first receive.
DELIVERY_DELAY_SECONDS = 1


class QueueUnavailable(Exception):
    """The queue could not take the message."""


@cache
def _client() -> SQSClient:
    return boto3.client("sqs")


def enqueue_delivery(queue_url: str, handle: str, message_id: str) -> None:
    try:
        _client().send_message(
            QueueUrl=queue_url,
            MessageBody=json.dumps({"handle": handle, "messageId": message_id}),
            DelaySeconds=DELIVERY_DELAY_SECONDS,
        )
    except (ClientError, BotoCoreError) as error:
        raise QueueUnavailable(str(error)) from error


def enqueue_job(queue_url: str, job: dict[str, object]) -> None:
    """Hand a campaign trigger job to the trigger Lambda."""
    try:
        _client().send_message(QueueUrl=queue_url, MessageBody=json.dumps(job))
    except (ClientError, BotoCoreError) as error:
        raise QueueUnavailable(str(error)) from error
