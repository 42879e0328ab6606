"""Delivery consumer: each SQS record names one queued message. The batch's messages and what
their re-check needs are read together first (services/delivery.py, `DeliveryBatch`); each
record is then settled on its own (partial batch response), so one failing message never
holds back the others."""

from __future__ import annotations

from tenx_email.startup import module_loaded

import time

from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from tenx_email.consumers import RecordHandler, sqs_batch_consumer
from tenx_email.services import delivery


def _prepare(records: list[SQSRecord]) -> RecordHandler:
    batch = delivery.DeliveryBatch.load(record.body for record in records)

    def _deliver(record: SQSRecord, lambda_context: LambdaContext) -> None:
        batch.deliver(
            delivery.QueuedRecord(
                body=record.body,
                sent_timestamp_ms=int(record.attributes.sent_timestamp),
                receive_count=int(record.attributes.approximate_receive_count),
                queue_arn=record.event_source_arn,
                receipt_handle=record.receipt_handle,
                deadline=time.monotonic() + lambda_context.get_remaining_time_in_millis() / 1000,
            )
        )

    return _deliver


handler = sqs_batch_consumer(_prepare)

module_loaded()
