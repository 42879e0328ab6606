"""The webhook sender: the webhook queue -> one signed POST per delivery
(functions/send_webhooks.py). Its grants are its own, narrower than the other consumers':
it reads deliveries and their endpoints, updates the endpoints' health fields, puts items only
in the delivery logs' partitions, and it alone may decrypt the endpoints' signing secrets."""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda_event_sources as event_sources
from constructs import Construct

from infra.constants import (
    WEBHOOK_LOG_PUT,
    WEBHOOK_SENDER_MODULE,
    WEBHOOK_SENDER_TABLE_ACTIONS,
)
from infra.constructs.functions import FunctionFactory
from infra.constructs.queues import QueuePair
from tenx_email import keys


class WebhookSender(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        functions: FunctionFactory,
        table: dynamodb.ITable,
        queues: QueuePair,
        secrets_key: kms.IKey,
    ) -> None:
        super().__init__(scope, construct_id)
        sender = functions.create(
            self,
            "Sender",
            module=WEBHOOK_SENDER_MODULE,
            timeout=Duration.seconds(queues.spec.consumer_timeout_seconds),
            consumer=True,
        )
        self.function, self.role = sender.function, sender.role
        # The table itself, never its indexes: every read and write is by key.
        self.role.add_to_principal_policy(
            iam.PolicyStatement(
                actions=list(WEBHOOK_SENDER_TABLE_ACTIONS), resources=[table.table_arn]
            )
        )
        # Whole items, in the delivery logs' partitions only (HANDLE#<handle>#WH#<webhookId>).
        self.role.add_to_principal_policy(
            iam.PolicyStatement(
                actions=[WEBHOOK_LOG_PUT],
                resources=[table.table_arn],
                conditions={
                    "ForAllValues:StringLike": {
                        "dynamodb:LeadingKeys": [keys.webhook_deliveries("*", "*")]
                    }
                },
            )
        )
        # An explicit statement: Decrypt on this key, nothing more (the routes only encrypt).
        self.role.add_to_principal_policy(
            iam.PolicyStatement(actions=["kms:Decrypt"], resources=[secrets_key.key_arn])
        )
        # Receive, delete and change visibility (postponing a failed attempt) on this queue.
        self.function.add_event_source(
            event_sources.SqsEventSource(
                queues.queue,
                batch_size=queues.spec.batch_size,
                report_batch_item_failures=True,
            )
        )
