"""The Lambda handler of an SQS consumer (`sqs_batch_consumer`), with logging and metrics
around the batch: the consumer first sees the whole batch, for the reads and writes its
records share, then each record is settled on its own (partial batch response)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    process_partial_response,
)
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from tenx_email.observability import logger, metrics

LambdaHandler = Callable[[dict[str, Any], LambdaContext], dict[str, Any]]
# Powertools passes the Lambda context to record handlers that take a second argument named
# `lambda_context`.
RecordHandler = Callable[[SQSRecord], None] | Callable[[SQSRecord, LambdaContext], None]
# Given the batch's records, before any of them is handled: the handler of this batch's
# records. It must not raise (a raise would fail every record of the batch): what it cannot
# prepare, the record handler does on its own.
BatchPreparer = Callable[[list[SQSRecord]], RecordHandler]


def sqs_batch_consumer(prepare: BatchPreparer) -> LambdaHandler:
    # A batch whose records all failed is reported like any other (not raised), so the
    # response always names exactly the records to retry.
    processor = BatchProcessor(EventType.SQS, raise_on_entire_batch_failure=False)

    @logger.inject_lambda_context(clear_state=True)
    @metrics.log_metrics
    def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
        records = [SQSRecord(record) for record in event.get("Records") or []]
        return dict(
            process_partial_response(
                event=event,
                record_handler=prepare(records),
                processor=processor,
                context=context,
            )
        )

    return handler
