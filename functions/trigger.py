"""Trigger-jobs consumer: campaign events (from the HTTP routes or the campaign-events bus)
and delayed rules' schedules. Each record is settled on its own (partial batch response); a
job that can never succeed fails until the queue moves it to its DLQ, whose alarm tells an
operator."""

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
from tenx_email.services import triggers

processor = BatchProcessor(EventType.SQS, raise_on_entire_batch_failure=False)


def _run(record: SQSRecord) -> None:
    triggers.run_job(record.body)


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return dict(
        process_partial_response(
            event=event, record_handler=_run, processor=processor, context=context
        )
    )
