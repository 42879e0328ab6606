"""SQS event source mappings: long-poll a queue, hand batches to its consumer Lambda, and
settle each record by the consumer's partial batch response, as Lambda's poller does."""

from __future__ import annotations

import base64
import logging
import threading
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from tenx_email.resources import QueueSpec

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient
    from mypy_boto3_sqs.type_defs import MessageAttributeValueOutputTypeDef, MessageTypeDef

# Queue key -> the functions module whose handler consumes that queue. The consumers arrive
# with later issues; each adds its row here.
CONSUMERS: dict[str, str] = {
    "delivery": "deliver",
    "feedback": "feedback",
    "trigger-jobs": "trigger",
    "webhooks": "send_webhooks",
}

WAIT_SECONDS = 1  # short long-polls, so that stopping the stack never waits long
RETRY_VISIBILITY_SECONDS = 2
SQS_RECEIVE_LIMIT = 10

Consumer = Callable[[dict[str, Any]], Any]

_log = logging.getLogger(__name__)


def _lambda_attribute(value: MessageAttributeValueOutputTypeDef) -> dict[str, Any]:
    # Lambda's SQS event spells message attributes in camelCase, binary values in base64.
    binary = value.get("BinaryValue")
    return {
        "stringValue": value.get("StringValue"),
        "binaryValue": base64.b64encode(binary).decode() if binary is not None else None,
        "stringListValues": list(value.get("StringListValues", [])),
        "binaryListValues": [
            base64.b64encode(item).decode() for item in value.get("BinaryListValues", [])
        ],
        "dataType": value["DataType"],
    }


def sqs_event(messages: Iterable[MessageTypeDef], queue_arn: str) -> dict[str, Any]:
    """The event Lambda's SQS event source mapping sends."""
    region = queue_arn.split(":")[3]
    return {
        "Records": [
            {
                "messageId": message["MessageId"],
                "receiptHandle": message["ReceiptHandle"],
                "body": message["Body"],
                "attributes": dict(message.get("Attributes", {})),
                "messageAttributes": {
                    name: _lambda_attribute(value)
                    for name, value in message.get("MessageAttributes", {}).items()
                },
                "md5OfBody": message["MD5OfBody"],
                "eventSource": "aws:sqs",
                "eventSourceARN": queue_arn,
                "awsRegion": region,
            }
            for message in messages
        ]
    }


def failed_message_ids(response: Any, batch_ids: set[str]) -> set[str]:
    """The records to keep, by Lambda's rules for ReportBatchItemFailures: no answer or an
    empty list means all succeeded; a malformed entry or an unknown id fails the whole batch."""
    if response is None:
        return set()
    if not isinstance(response, dict):
        return batch_ids
    failures = response.get("batchItemFailures")
    if failures is None:
        return set()
    if not isinstance(failures, list):
        return batch_ids
    failed = set()
    for failure in failures:
        item = failure.get("itemIdentifier") if isinstance(failure, dict) else None
        if item not in batch_ids:
            return batch_ids
        failed.add(item)
    return failed


class SqsPoller:
    def __init__(
        self,
        sqs: SQSClient,
        spec: QueueSpec,
        queue_url: str,
        queue_arn: str,
        consumer: Consumer,
        *,
        wait_seconds: int = WAIT_SECONDS,
        retry_visibility_seconds: int = RETRY_VISIBILITY_SECONDS,
    ) -> None:
        self._sqs = sqs
        self._spec = spec
        self._url = queue_url
        self._arn = queue_arn
        self._consumer = consumer
        self._wait_seconds = wait_seconds
        self._retry_visibility = retry_visibility_seconds

    def _receive(self) -> list[MessageTypeDef]:
        """Up to batch_size messages: one long poll, then quick polls to fill the batch."""
        batch: list[MessageTypeDef] = []
        wait = self._wait_seconds
        while len(batch) < self._spec.batch_size:
            received = self._sqs.receive_message(
                QueueUrl=self._url,
                MaxNumberOfMessages=min(SQS_RECEIVE_LIMIT, self._spec.batch_size - len(batch)),
                WaitTimeSeconds=wait,
                MessageSystemAttributeNames=["All"],
                MessageAttributeNames=["All"],
            ).get("Messages", [])
            if not received:
                break
            batch += received
            wait = 0
        return batch

    def poll_once(self) -> int:
        """Receive one batch, run the consumer on it and settle it; return the batch size."""
        batch = self._receive()
        if not batch:
            return 0
        batch_ids = {message["MessageId"] for message in batch}
        try:
            response = self._consumer(sqs_event(batch, self._arn))
            failed = failed_message_ids(response, batch_ids)
        except Exception:
            _log.exception("the consumer of %s failed; the whole batch returns", self._spec.key)
            failed = batch_ids
        self._settle(batch, failed)
        return len(batch)

    def _settle(self, batch: list[MessageTypeDef], failed: set[str]) -> None:
        done = [message for message in batch if message["MessageId"] not in failed]
        retry = [message for message in batch if message["MessageId"] in failed]
        for chunk in _chunks(done):
            self._sqs.delete_message_batch(
                QueueUrl=self._url,
                Entries=[
                    {"Id": str(index), "ReceiptHandle": message["ReceiptHandle"]}
                    for index, message in enumerate(chunk)
                ],
            )
        # Lambda leaves failed records until their visibility timeout ends (minutes); locally
        # they come back after a few seconds, so retries and redrive show up while you watch.
        for chunk in _chunks(retry):
            self._sqs.change_message_visibility_batch(
                QueueUrl=self._url,
                Entries=[
                    {
                        "Id": str(index),
                        "ReceiptHandle": message["ReceiptHandle"],
                        "VisibilityTimeout": self._retry_visibility,
                    }
                    for index, message in enumerate(chunk)
                ],
            )

    def run_until(self, stop: threading.Event) -> None:
        while not stop.is_set():
            try:
                self.poll_once()
            except Exception:
                _log.exception("polling %s failed", self._spec.key)
                stop.wait(1)


def _chunks(messages: list[MessageTypeDef]) -> Iterable[list[MessageTypeDef]]:
    for start in range(0, len(messages), SQS_RECEIVE_LIMIT):
        yield messages[start : start + SQS_RECEIVE_LIMIT]
