"""Every work queue from the shared QUEUES spec, each with its dead-letter queue."""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import Duration
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from tenx_email.resources import QUEUES, QueueSpec, queue_name


@dataclass(frozen=True)
class QueuePair:
    spec: QueueSpec
    queue: sqs.Queue
    dead_letter_queue: sqs.Queue


class Queues(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, stage: str) -> None:
        super().__init__(scope, construct_id)
        self.pairs = {spec.key: self._pair(stage, spec) for spec in QUEUES}

    def _pair(self, stage: str, spec: QueueSpec) -> QueuePair:
        dead_letter_queue = sqs.Queue(
            self,
            f"{spec.key}-dlq",
            queue_name=queue_name(stage, spec, dead_letter=True),
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
            # A moved message keeps its original enqueue time, so the DLQ must keep it longer.
            retention_period=Duration.seconds(spec.dlq_retention_seconds),
        )
        queue = sqs.Queue(
            self,
            spec.key,
            queue_name=queue_name(stage, spec),
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
            retention_period=Duration.seconds(spec.retention_seconds),
            visibility_timeout=Duration.seconds(spec.visibility_timeout_seconds),
            dead_letter_queue=sqs.DeadLetterQueue(
                queue=dead_letter_queue, max_receive_count=spec.max_receive_count
            ),
        )
        return QueuePair(spec=spec, queue=queue, dead_letter_queue=dead_letter_queue)
