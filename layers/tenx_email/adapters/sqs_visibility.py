"""SQS: choose when a failed record comes back, instead of after the full visibility timeout."""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from tenx_email.observability import logger

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient


@cache
def _client(region: str) -> SQSClient:
    return boto3.client("sqs", region_name=region)


@cache
def _queue_url(queue_arn: str) -> str:
    # The event names its queue by ARN; GetQueueUrl gives the URL in any partition or endpoint.
    _, _, _, region, account, name = queue_arn.split(":")
    return _client(region).get_queue_url(QueueName=name, QueueOwnerAWSAccountId=account)["QueueUrl"]


def postpone(queue_arn: str, receipt_handle: str, seconds: int) -> None:
    """Make a received record visible again in `seconds`. Best effort: if this fails, the
    record returns after the queue's visibility timeout, which is only slower."""
    try:
        _client(queue_arn.split(":")[3]).change_message_visibility(
            QueueUrl=_queue_url(queue_arn), ReceiptHandle=receipt_handle, VisibilityTimeout=seconds
        )
    except (BotoCoreError, ClientError) as error:
        logger.warning("could not postpone a record", extra={"error": type(error).__name__})
