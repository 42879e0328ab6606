"""Trigger-jobs consumer: campaign events (from the HTTP routes or the campaign-events bus)
and delayed rules' schedules. The jobs of a batch are worked on together (services/triggers.py,
`run_jobs`): the first record's turn runs the whole batch, and each record is then settled by
its own job's outcome (partial batch response). A job that can never succeed fails until the
queue moves it to its DLQ, whose alarm tells an operator."""

from __future__ import annotations

from tenx_email.startup import module_loaded

from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from tenx_email.consumers import RecordHandler, sqs_batch_consumer
from tenx_email.services import triggers


class _Batch:
    """The bodies of one invocation's records; their jobs run together on first use (inside
    a record's turn, so an unexpected failure fails that record, not the whole batch)."""

    def __init__(self, bodies: list[str]) -> None:
        self.bodies = bodies
        self.outcomes: dict[str, Exception | None] | None = None

    def settle(self, body: str) -> None:
        if self.outcomes is None:
            self.outcomes = triggers.run_jobs(self.bodies)
        error = self.outcomes[body]
        if error is not None:
            raise error


def _prepare(records: list[SQSRecord]) -> RecordHandler:
    batch = _Batch([record.body for record in records])

    def _run(record: SQSRecord) -> None:
        batch.settle(record.body)

    return _run


handler = sqs_batch_consumer(_prepare)

module_loaded()
