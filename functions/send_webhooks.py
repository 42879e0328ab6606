"""Webhook sender: each SQS record is one job (a delivery to sign and POST to its endpoint:
services/webhook_sender.py). A batch's POSTs run at the same time; each record is settled on
its own (partial batch response): a failed attempt's record is postponed by the retry
schedule's next delay and reported as failed, so it comes back then; the others of its batch
are consumed."""

from __future__ import annotations

from tenx_email.startup import module_loaded

import time

from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from tenx_email.consumers import RecordHandler, sqs_batch_consumer
from tenx_email.services import webhook_sender


def _queued(record: SQSRecord) -> webhook_sender.QueuedRecord:
    return webhook_sender.QueuedRecord(
        body=record.body, queue_arn=record.event_source_arn, receipt_handle=record.receipt_handle
    )


def _prepare(records: list[SQSRecord]) -> RecordHandler:
    # Nothing is read yet (a preparer must not raise): the first record's settling reads the
    # batch's deliveries and endpoints, right before the POSTs, so a deletion meanwhile
    # still stops them.
    batch = webhook_sender.Batch([_queued(record) for record in records])

    def _settle(record: SQSRecord, lambda_context: LambdaContext) -> None:
        deadline = time.monotonic() + lambda_context.get_remaining_time_in_millis() / 1000
        batch.settle(_queued(record), deadline)

    return _settle


handler = sqs_batch_consumer(_prepare)

module_loaded()
