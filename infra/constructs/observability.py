"""Alarms on every dead-letter queue (the work queues' and the stream consumers'), on a
stream consumer falling behind its stream, and on the reputation guard pausing a handle, sent
to an encrypted operator topic."""

from __future__ import annotations

from collections.abc import Iterable

from aws_cdk import Aws
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cloudwatch_actions
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from infra.constants import (
    DLQ_ALARM_PERIOD,
    DLQ_ALARM_THRESHOLD,
    ITERATOR_AGE_ALARM_MINUTES,
    ITERATOR_AGE_ALARM_PERIODS,
    METRICS_NAMESPACE,
    SERVICE_NAME,
)
from infra.constructs.queues import QueuePair
from infra.constructs.streams import StreamConsumer
from tenx_email.resources import HANDLE_PAUSED_METRIC


class Observability(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        queues: Iterable[QueuePair],
        stream_consumers: Iterable[StreamConsumer],
    ) -> None:
        super().__init__(scope, construct_id)
        # CloudWatch cannot use the AWS-managed SNS key, so alarms need a customer key that
        # lets cloudwatch.amazonaws.com encrypt into the topic.
        key = kms.Key(
            self,
            "AlarmTopicKey",
            description="Encrypts the operator alarm topic",
            enable_key_rotation=True,
        )
        key.grant(
            iam.ServicePrincipal("cloudwatch.amazonaws.com"), "kms:Decrypt", "kms:GenerateDataKey*"
        )
        self.alarm_topic = sns.Topic(
            self, "AlarmTopic", display_name="tenx-email alarms", master_key=key, enforce_ssl=True
        )
        # The SSL-only topic policy replaces SNS's default one, so CloudWatch needs its own grant.
        self.alarm_topic.add_to_resource_policy(
            iam.PolicyStatement(
                principals=[iam.ServicePrincipal("cloudwatch.amazonaws.com")],
                actions=["sns:Publish"],
                resources=[self.alarm_topic.topic_arn],
                conditions={"StringEquals": {"aws:SourceAccount": Aws.ACCOUNT_ID}},
            )
        )
        self._action = cloudwatch_actions.SnsAction(self.alarm_topic)
        for pair in queues:
            self._alarm_on_first_message(
                pair.spec.key,
                pair.dead_letter_queue,
                f"Messages gave up on the {pair.spec.key} queue; "
                "inspect and redrive the dead-letter queue.",
            )
        for consumer in stream_consumers:
            self._alarm_on_first_message(
                consumer.key,
                consumer.dead_letter_queue,
                f"The {consumer.key} stream consumer gave up on a batch; each message names the "
                "batch's shard and sequence numbers: replay them from the table stream while it "
                "keeps them (24 hours): tenx-admin replay-projection-dlq (docs/operations.md).",
            )
            self._alarm_on_falling_behind(consumer)
        self._alarm_on_paused_handle()

    def _alarm_on_paused_handle(self) -> None:
        """The reputation guard paused a handle: its mail is held until an operator reviews
        its bounces and complaints and resumes it (docs/operations.md)."""
        alarm = cloudwatch.Alarm(
            self,
            "handle-sending-paused",
            alarm_description=(
                "The reputation guard paused a handle's sending (its bounce or complaint rate "
                "reached the pause level); its queued mail is held. Review it and resume: "
                "tenx-admin resume-sending (docs/operations.md)."
            ),
            metric=cloudwatch.Metric(
                namespace=METRICS_NAMESPACE,
                metric_name=HANDLE_PAUSED_METRIC,
                dimensions_map={"service": SERVICE_NAME},
                period=DLQ_ALARM_PERIOD,
                statistic=cloudwatch.Stats.SUM,
            ),
            threshold=1,
            evaluation_periods=1,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )
        alarm.add_alarm_action(self._action)

    def _alarm_on_falling_behind(self, consumer: StreamConsumer) -> None:
        """The oldest record a consumer's batches hand over, staying old: it is failing and
        retrying (its feed, runs and the days' usage stop moving), or cannot keep up. Past 24
        hours the stream drops what it has not consumed."""
        alarm = cloudwatch.Alarm(
            self,
            f"{consumer.key}-iterator-age",
            alarm_description=(
                f"The {consumer.key} stream consumer is more than "
                f"{ITERATOR_AGE_ALARM_MINUTES} minutes behind the table's stream; see its logs. "
                "The stream keeps records 24 hours."
            ),
            metric=consumer.function.metric(
                "IteratorAge", period=DLQ_ALARM_PERIOD, statistic=cloudwatch.Stats.MAXIMUM
            ),
            threshold=ITERATOR_AGE_ALARM_MINUTES * 60 * 1000,
            evaluation_periods=ITERATOR_AGE_ALARM_PERIODS,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )
        alarm.add_alarm_action(self._action)

    def _alarm_on_first_message(
        self, key: str, dead_letter_queue: sqs.IQueue, description: str
    ) -> None:
        alarm = cloudwatch.Alarm(
            self,
            f"{key}-dlq-not-empty",
            alarm_description=description,
            metric=dead_letter_queue.metric_approximate_number_of_messages_visible(
                period=DLQ_ALARM_PERIOD, statistic=cloudwatch.Stats.MAXIMUM
            ),
            threshold=DLQ_ALARM_THRESHOLD,
            evaluation_periods=1,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )
        alarm.add_alarm_action(self._action)
