"""Delivery consumer: each SQS record names one queued message; each record is settled on its
own (partial batch response), so one failing message never holds back the others."""

from __future__ import annotations

import time
from typing import Any

from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    process_partial_response,
)
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from tenx_email.observability import logger, metrics, tracer
from tenx_email.services import delivery

# A batch whose records all failed is reported like any other (not raised), so the response
# always names exactly the records to retry.
processor = BatchProcessor(EventType.SQS, raise_on_entire_batch_failure=False)


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


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return dict(
        process_partial_response(
            event=event, record_handler=_deliver, processor=processor, context=context
        )
    )
