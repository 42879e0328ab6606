"""The table's stream consumers: a Lambda per StreamConsumerSpec, fed by an event source mapping
on the table's change stream, with a dead-letter queue of its own for the batches it gave up on."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from aws_cdk import Acknowledgment, Duration, Validations
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_event_sources as event_sources
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from infra.constants import STREAM_DLQ_RETENTION
from infra.constructs.functions import FunctionFactory
from tenx_email.resources import (
    TABLE,
    StreamConsumerSpec,
    stream_consumer_key,
    stream_dead_letter_queue_name,
)


class StreamConsumer(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        stage: str,
        spec: StreamConsumerSpec,
        functions: FunctionFactory,
        table: dynamodb.Table,
        table_actions: Sequence[str],
        environment: Mapping[str, str] | None = None,
    ) -> None:
        """`table_actions` are the only item actions the consumer may call, on the table itself
        (never its indexes); the event source adds the stream's read permissions."""
        super().__init__(scope, construct_id)
        self.key = stream_consumer_key(spec)
        # Holds what the event source mapping sends on failure: the batch's shard and sequence
        # numbers, not its records.
        self.dead_letter_queue = sqs.Queue(
            self,
            "Dlq",
            queue_name=stream_dead_letter_queue_name(stage, spec),
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
            retention_period=STREAM_DLQ_RETENTION,
        )
        Validations.of(self.dead_letter_queue).acknowledge(
            Acknowledgment(
                id="AwsSolutions-SQS3",
                reason="This queue is a dead-letter queue: the on-failure destination of the "
                "stream consumer's event source mapping (cdk-nag only recognizes redrive "
                "policies).",
            )
        )
        consumer = functions.create(
            self,
            "Consumer",
            module=spec.module,
            timeout=Duration.seconds(spec.timeout_seconds),
            environment=environment,
            consumer=True,
        )
        self.function, self.role = consumer.function, consumer.role
        self.role.add_to_principal_policy(
            iam.PolicyStatement(actions=list(table_actions), resources=[table.table_arn])
        )
        self.function.add_event_source(
            event_sources.DynamoEventSource(
                table,
                starting_position=lambda_.StartingPosition.TRIM_HORIZON,
                batch_size=spec.batch_size,
                max_batching_window=Duration.seconds(spec.batching_window_seconds),
                retry_attempts=spec.retry_attempts,
                # A failed batch is retried whole (StreamConsumerSpec), in one shard order.
                bisect_batch_on_error=False,
                report_batch_item_failures=False,
                parallelization_factor=1,
                # Other items' changes never invoke the consumer.
                filters=[
                    lambda_.FilterCriteria.filter(
                        {
                            "dynamodb": {
                                "Keys": {
                                    TABLE.sort_key: {"S": lambda_.FilterRule.begins_with(prefix)}
                                }
                            }
                        }
                    )
                    for prefix in spec.sort_key_prefixes
                ],
                on_failure=event_sources.SqsDlq(self.dead_letter_queue),
            )
        )
