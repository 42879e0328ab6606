"""Trigger-jobs consumer: campaign events (from the HTTP routes or the campaign-events bus)
and delayed rules' schedules. A job that can never succeed fails until the queue moves it to
its DLQ, whose alarm tells an operator."""

from __future__ import annotations

from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from tenx_email.consumers import sqs_consumer
from tenx_email.services import triggers


def _run(record: SQSRecord) -> None:
    triggers.run_job(record.body)


handler = sqs_consumer(_run)
