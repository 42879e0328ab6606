"""Feedback consumer: each SQS record carries one SES sending event from EventBridge. The
batch's messages are read together first (services/feedback.py, `FeedbackBatch`); each record
is then settled on its own (partial batch response)."""

from __future__ import annotations

from tenx_email.startup import module_loaded

from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from tenx_email.consumers import RecordHandler, sqs_batch_consumer
from tenx_email.services import feedback


def _prepare(records: list[SQSRecord]) -> RecordHandler:
    batch = feedback.FeedbackBatch.load(record.body for record in records)

    def _apply(record: SQSRecord) -> None:
        batch.handle_event(record.body)

    return _apply


handler = sqs_batch_consumer(_prepare)

module_loaded()
