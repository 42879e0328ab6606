"""Trigger-jobs consumer: campaign events (from the HTTP routes or the campaign-events bus)
and delayed rules' schedules. The jobs of a batch are worked on together (services/triggers.py,
`run_jobs`): the first record's turn runs the whole batch, and each record is then settled by
its own job's outcome (partial batch response). A job that can never succeed fails until the
queue moves it to its DLQ, whose alarm tells an operator."""

from __future__ import annotations

from contextvars import ContextVar
from typing import Any

from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from tenx_email.consumers import sqs_consumer
from tenx_email.services import triggers


class _Batch:
    """The bodies of one invocation's records; their jobs run together on first use."""

    def __init__(self, bodies: list[str]) -> None:
        self.bodies = bodies
        self.outcomes: dict[str, Exception | None] | None = None

    def settle(self, body: str) -> None:
        if self.outcomes is None:
            self.outcomes = triggers.run_jobs(self.bodies)
        if body not in self.outcomes:  # not a record of this batch: on its own
            self.outcomes.update(triggers.run_jobs([body]))
        error = self.outcomes[body]
        if error is not None:
            raise error


_current: ContextVar[_Batch | None] = ContextVar("trigger_batch", default=None)


def _run(record: SQSRecord) -> None:
    batch = _current.get() or _Batch([record.body])
    batch.settle(record.body)


_consume = sqs_consumer(_run)


def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    records = event.get("Records") or []
    token = _current.set(_Batch([str(record.get("body", "")) for record in records]))
    try:
        return _consume(event, context)
    finally:
        _current.reset(token)
