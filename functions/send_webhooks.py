"""Webhook sender: each SQS record names one stored delivery; it is signed and POSTed to its
endpoint (services/webhook_sender.py). Each record is settled on its own (partial batch
response): a failed attempt's record is postponed by the retry schedule's next delay and
reported as failed, so it comes back then; the others of its batch are consumed."""

from __future__ import annotations

import time

from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from tenx_email.consumers import RecordHandler, sqs_batch_consumer
from tenx_email.services import webhook_sender


def _prepare(_: list[SQSRecord]) -> RecordHandler:
    # Nothing is shared across a batch's records: each reads its own delivery and endpoint
    # right before its POST, so a deletion meanwhile still stops it.
    def _send(record: SQSRecord, lambda_context: LambdaContext) -> None:
        webhook_sender.send(
            webhook_sender.QueuedRecord(
                body=record.body,
                queue_arn=record.event_source_arn,
                receipt_handle=record.receipt_handle,
                deadline=time.monotonic() + lambda_context.get_remaining_time_in_millis() / 1000,
            )
        )

    return _send


handler = sqs_batch_consumer(_prepare)
