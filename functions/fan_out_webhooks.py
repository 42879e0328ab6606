"""Webhook fan-out: the table's stream -> one queued delivery per event and subscribed
endpoint (services/webhook_fanout.py). The event source's filter passes message items' and
rule runs' changes only. A batch succeeds or fails whole: Lambda retries a failed batch as
it was, then hands it to the fan-out's DLQ."""

from __future__ import annotations

from tenx_email.startup import module_loaded

from aws_lambda_powertools.utilities.data_classes import DynamoDBStreamEvent, event_source
from aws_lambda_powertools.utilities.typing import LambdaContext

from tenx_email.observability import logger, metrics
from tenx_email.services import webhook_fanout


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
@event_source(data_class=DynamoDBStreamEvent)
def handler(event: DynamoDBStreamEvent, context: LambdaContext) -> None:
    webhook_fanout.fan_out(list(event.records))


module_loaded()
