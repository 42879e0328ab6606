"""The queue consumers: delivery (delivery queue -> SES), feedback (SES sending events on the
default bus -> feedback queue -> the table) and triggers (campaign events from the HTTP routes,
the campaign bus and delayed rules' schedules -> trigger-jobs queue -> rule messages)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import cast

from aws_cdk import Acknowledgment, Duration, Stack, Token, Validations
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda_event_sources as event_sources
from aws_cdk import aws_secretsmanager as secretsmanager
from aws_cdk import aws_ses as ses
from constructs import Construct

from infra.constants import DELIVERY_MODULE, FEEDBACK_MODULE, TRIGGER_MODULE
from infra.constructs.functions import FunctionFactory, ServiceFunction
from infra.constructs.queues import QueuePair
from infra.constructs.scheduling import Scheduling
from infra.constructs.ses_tenants import grant_tenant_actions
from tenx_email.resources import (
    CAMPAIGN_EVENT_DETAIL_TYPES,
    CAMPAIGN_EVENT_SOURCE,
    DELIVERY_QUEUE,
    FEEDBACK_QUEUE,
    SES_EVENT_DETAIL_TYPES,
    SES_EVENT_SOURCE,
    TRIGGER_JOBS_QUEUE,
)


@dataclass(frozen=True)
class UnsubscribeLinks:
    """What delivery needs to put an unsubscribe link in each campaign email."""

    public_api_url: str
    token_keys: secretsmanager.ISecret


class Consumers(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        functions: FunctionFactory,
        table: dynamodb.Table,
        queues: Mapping[str, QueuePair],
        configuration_set: ses.ConfigurationSet,
        ses_region: str,
        delivery_max_concurrency: int,
        stage: str,
        scheduling: Scheduling,
        campaign_bus: events.IEventBus,
        links: UnsubscribeLinks,
    ) -> None:
        super().__init__(scope, construct_id)
        self._functions, self._table = functions, table
        configuration_set_name = configuration_set.configuration_set_name
        self.delivery = self._consumer(
            "Delivery",
            DELIVERY_MODULE,
            queues[DELIVERY_QUEUE.key],
            # Caps concurrent senders; each paces itself to this share of SES's send rate.
            max_concurrency=delivery_max_concurrency,
            environment={
                "SES_CONFIGURATION_SET": configuration_set_name,
                "DELIVERY_MAX_CONCURRENCY": str(delivery_max_concurrency),
                # Unsubscribe links: where they lead, and the keys that seal their tokens.
                "PUBLIC_API_URL": links.public_api_url,
                "TOKEN_KEYS_SECRET": links.token_keys.secret_name,
            },
        )
        links.token_keys.grant_read(self.delivery.function)
        self._grant_send_email(self.delivery.role, ses_region, configuration_set_name)
        self._grant_get_account(self.delivery.role)
        # When SES refuses a send as paused, delivery asks whether the handle's tenant is.
        grant_tenant_actions(self.delivery.role, ses_region, stage, ["ses:GetTenant"])
        feedback_queues = queues[FEEDBACK_QUEUE.key]
        self.feedback = self._consumer("Feedback", FEEDBACK_MODULE, feedback_queues)
        # SES publishes to the default bus only; other configuration sets (other stages, other
        # apps in the account) publish there too, so the rule keeps to ours.
        self.ses_events = events.Rule(
            self,
            "SesEvents",
            description="SES sending events of this stage's configuration set -> feedback queue",
            event_pattern=events.EventPattern(
                source=[SES_EVENT_SOURCE],
                detail_type=list(SES_EVENT_DETAIL_TYPES.values()),
                detail={"mail": {"tags": {"ses:configuration-set": [configuration_set_name]}}},
            ),
            targets=[
                targets.SqsQueue(
                    feedback_queues.queue, dead_letter_queue=feedback_queues.dead_letter_queue
                )
            ],
        )

        self.trigger = self._trigger(queues, scheduling, campaign_bus)

    def _trigger(
        self,
        queues: Mapping[str, QueuePair],
        scheduling: Scheduling,
        campaign_bus: events.IEventBus,
    ) -> ServiceFunction:
        trigger_jobs, delivery = queues[TRIGGER_JOBS_QUEUE.key], queues[DELIVERY_QUEUE.key]
        trigger = self._consumer(
            "Trigger",
            TRIGGER_MODULE,
            trigger_jobs,
            environment={
                "DELIVERY_QUEUE_URL": delivery.queue.queue_url,
                # Sequences queue their first steps and cascade pages back onto it.
                "TRIGGER_JOBS_QUEUE_URL": trigger_jobs.queue.queue_url,
                "SCHEDULE_GROUP_NAME": scheduling.group.schedule_group_name,
                "SCHEDULER_ROLE_ARN": scheduling.role.role_arn,
                "TRIGGER_JOBS_QUEUE_ARN": trigger_jobs.queue.queue_arn,
                "TRIGGER_JOBS_DLQ_ARN": trigger_jobs.dead_letter_queue.queue_arn,
            },
        )
        delivery.queue.grant_send_messages(trigger.function)
        trigger_jobs.queue.grant_send_messages(trigger.function)
        stack, group = Stack.of(self), scheduling.group.schedule_group_name
        trigger.role.add_to_principal_policy(
            iam.PolicyStatement(
                # Delete: a sequence enrollment that exits or stops removes its next step's.
                actions=["scheduler:CreateSchedule", "scheduler:DeleteSchedule"],
                resources=[
                    f"arn:{stack.partition}:scheduler:{stack.region}:{stack.account}:schedule/"
                    f"{group}/*"
                ],
            )
        )
        scheduling.role.grant_pass_role(trigger.role)
        # cdk-nag names the resource as synthesized (partition and region are literals here).
        partition = "<AWS::Partition>" if Token.is_unresolved(stack.partition) else stack.partition
        Validations.of(trigger.role).acknowledge(
            Acknowledgment(
                id=f"AwsSolutions-IAM5[Resource::arn:{partition}:scheduler:{stack.region}:"
                f"<AWS::AccountId>:schedule/{group}/*]",
                reason="Schedule names are made per (rule, event) at run time; the grant is "
                "limited to creating schedules in this stage's own group.",
            )
        )
        # Campaign events published on the bus reach the same queue as the HTTP test events.
        events.Rule(
            self,
            "CampaignEvents",
            description="Lead captures and conversions on the campaign bus -> trigger jobs",
            event_bus=campaign_bus,
            event_pattern=events.EventPattern(
                source=[CAMPAIGN_EVENT_SOURCE], detail_type=list(CAMPAIGN_EVENT_DETAIL_TYPES)
            ),
            targets=[
                targets.SqsQueue(
                    trigger_jobs.queue, dead_letter_queue=trigger_jobs.dead_letter_queue
                )
            ],
        )
        return trigger

    def _consumer(
        self,
        construct_id: str,
        module: str,
        queues: QueuePair,
        *,
        max_concurrency: int | None = None,
        environment: Mapping[str, str] | None = None,
    ) -> ServiceFunction:
        consumer = self._functions.create(
            self,
            construct_id,
            module=module,
            timeout=Duration.seconds(queues.spec.consumer_timeout_seconds),
            environment=environment,
            consumer=True,
        )
        self._table.grant_read_write_data(consumer.function)
        consumer.function.add_event_source(
            event_sources.SqsEventSource(
                queues.queue,
                batch_size=queues.spec.batch_size,
                report_batch_item_failures=True,
                max_concurrency=max_concurrency,
            )
        )
        cfn_table = cast(dynamodb.CfnTable, self._table.node.default_child)
        Validations.of(consumer.role).acknowledge(
            Acknowledgment(
                id=f"AwsSolutions-IAM5[Resource::<{Stack.of(self).get_logical_id(cfn_table)}"
                ".Arn>/index/*]",
                reason="The grant covers the single table's own GSIs and nothing else.",
            )
        )
        return consumer

    @staticmethod
    def _grant_get_account(role: iam.IRole) -> None:
        """GetAccount gives the send rate delivery paces itself to."""
        # No resource-level permissions: the "*" is acknowledged in functions.py.
        role.add_to_principal_policy(
            iam.PolicyStatement(actions=["ses:GetAccount"], resources=["*"])
        )

    @staticmethod
    def _grant_send_email(role: iam.IRole, region: str, configuration_set_name: str) -> None:
        """SendEmail checks the From identity and the configuration set (SES v2 SendEmail with
        Simple content needs no other action; its TenantName is a condition key, not a
        resource, so sending through a tenant needs nothing more)."""
        stack = Stack.of(role)
        prefix = f"arn:{stack.partition}:ses:{region}:{stack.account}"
        role.add_to_principal_policy(
            iam.PolicyStatement(
                actions=["ses:SendEmail"],
                resources=[
                    f"{prefix}:identity/*",
                    f"{prefix}:configuration-set/{configuration_set_name}",
                ],
            )
        )
        # cdk-nag names the resource as synthesized: the partition is a literal once the
        # region is known.
        partition = "<AWS::Partition>" if Token.is_unresolved(stack.partition) else stack.partition
        Validations.of(role).acknowledge(
            Acknowledgment(
                id=f"AwsSolutions-IAM5[Resource::arn:{partition}:ses:{region}"
                ":<AWS::AccountId>:identity/*]",
                reason="Tenants attach their own domains, so the sending identities are not "
                "known at deploy time; the grant is limited to SES identities of this account "
                "and region, and to this stage's configuration set.",
            )
        )
