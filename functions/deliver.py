"""Delivery consumer: each SQS record names one queued message; each record is settled on its
own (partial batch response), so one failing message never holds back the others."""

from __future__ import annotations

import time

from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from tenx_email.consumers import sqs_consumer
from tenx_email.services import delivery


def _deliver(record: SQSRecord, lambda_context: LambdaContext) -> None:
    delivery.deliver(
        delivery.QueuedRecord(
            body=record.body,
            sent_timestamp_ms=int(record.attributes.sent_timestamp),
            receive_count=int(record.attributes.approximate_receive_count),
            queue_arn=record.event_source_arn,
            receipt_handle=record.receipt_handle,
            deadline=time.monotonic() + lambda_context.get_remaining_time_in_millis() / 1000,
        )
    )


handler = sqs_consumer(_deliver)
