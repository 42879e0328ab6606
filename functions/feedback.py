"""Feedback consumer: each SQS record carries one SES sending event from EventBridge."""

from __future__ import annotations

from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from tenx_email.consumers import sqs_consumer
from tenx_email.services import feedback


def _apply(record: SQSRecord) -> None:
    feedback.handle_event(record.body)


handler = sqs_consumer(_apply)
