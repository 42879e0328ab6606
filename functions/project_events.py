"""Event projection: the table's stream -> the event feeds and the days' usage
(services/projection.py). The event source's filter passes message items' changes only. A
batch succeeds or fails whole: Lambda retries a failed batch as it was, then hands it to the
projection's DLQ."""

from __future__ import annotations

from tenx_email.startup import module_loaded

from aws_lambda_powertools.utilities.data_classes import DynamoDBStreamEvent, event_source
from aws_lambda_powertools.utilities.typing import LambdaContext

from tenx_email.observability import logger, metrics
from tenx_email.services import projection


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
@event_source(data_class=DynamoDBStreamEvent)
def handler(event: DynamoDBStreamEvent, context: LambdaContext) -> None:
    projection.project(list(event.records))


module_loaded()
