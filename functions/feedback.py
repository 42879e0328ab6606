"""Feedback consumer: each SQS record carries one SES sending event from EventBridge; each
record is settled on its own (partial batch response)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    process_partial_response,
)
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from tenx_email.observability import logger, metrics, tracer
from tenx_email.services import feedback

# A batch whose records all failed is reported like any other (not raised), so the response
# always names exactly the records to retry.
processor = BatchProcessor(EventType.SQS, raise_on_entire_batch_failure=False)


def _apply(record: SQSRecord) -> None:
    feedback.handle_event(record.body)


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return dict(
        process_partial_response(
            event=event, record_handler=_apply, processor=processor, context=context
        )
    )
