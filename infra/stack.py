"""The service's one stack: composes the constructs, owns no resources of its own."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from aws_cdk import CfnOutput, Stack
from constructs import Construct

from infra.config import DeployConfig
from infra.constants import EVENT_PROJECTION_TABLE_ACTIONS, WEBHOOK_FANOUT_TABLE_ACTIONS
from infra.constructs.api import Api
from infra.constructs.console import Console
from infra.constructs.consumers import Consumers, UnsubscribeLinks
from infra.constructs.data import Data
from infra.constructs.events import Events
from infra.constructs.functions import FunctionFactory
from infra.constructs.layer import SharedLayer
from infra.constructs.observability import Observability
from infra.constructs.queues import Queues
from infra.constructs.scheduling import Scheduling
from infra.constructs.streams import StreamConsumer
from infra.constructs.webhook_sender import WebhookSender
from infra.constructs.webhooks import WebhookSecretsKey
from tenx_email.resources import (
    EVENT_PROJECTION,
    TRIGGER_JOBS_QUEUE,
    WEBHOOK_FANOUT,
    WEBHOOK_QUEUE,
)

# `make console` builds it (console/, Vite).
CONSOLE_DIST = Path(__file__).resolve().parents[1] / "console" / "dist"


class EmailServiceStack(Stack):
    def __init__(
        self, scope: Construct, construct_id: str, *, config: DeployConfig, **kwargs: Any
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        data = Data(self, "Data", stage=config.stage)
        queues = Queues(self, "Queues", stage=config.stage)
        trigger_jobs = queues.pairs[TRIGGER_JOBS_QUEUE.key]
        scheduling = Scheduling(
            self,
            "Scheduling",
            stage=config.stage,
            target=trigger_jobs.queue,
            dead_letter_queue=trigger_jobs.dead_letter_queue,
        )
        events = Events(self, "Events", stage=config.stage)
        layer = SharedLayer(self, "Layer")
        functions = FunctionFactory(
            stage=config.stage,
            ses_region=config.ses_region,
            layer=layer.version,
            table=data.table,
        )
        webhook_secrets = WebhookSecretsKey(self, "WebhookSecrets", stage=config.stage)
        api = Api(
            self,
            "Api",
            config=config,
            functions=functions,
            table=data.table,
            delivery_queue=queues.pairs["delivery"].queue,
            trigger_jobs_queue=trigger_jobs.queue,
            webhook_queue=queues.pairs[WEBHOOK_QUEUE.key].queue,
            token_keys=data.token_keys,
            webhook_secrets_key=webhook_secrets.key,
        )
        Consumers(
            self,
            "Consumers",
            functions=functions,
            table=data.table,
            queues=queues.pairs,
            configuration_set=events.configuration_set,
            ses_region=config.ses_region,
            delivery_max_concurrency=config.delivery_max_concurrency,
            stage=config.stage,
            scheduling=scheduling,
            campaign_bus=events.campaign_bus,
            links=UnsubscribeLinks(
                public_api_url=config.public_api_url or api.rest_api.url,
                token_keys=data.token_keys,
            ),
        )
        WebhookSender(
            self,
            "WebhookSender",
            functions=functions,
            table=data.table,
            queues=queues.pairs[WEBHOOK_QUEUE.key],
            secrets_key=webhook_secrets.key,
        )
        event_projection = StreamConsumer(
            self,
            "EventProjection",
            stage=config.stage,
            spec=EVENT_PROJECTION,
            functions=functions,
            table=data.table,
            table_actions=EVENT_PROJECTION_TABLE_ACTIONS,
            # It starts the cascades of sequences' changes on the trigger-jobs queue.
            environment={"TRIGGER_JOBS_QUEUE_URL": trigger_jobs.queue.queue_url},
        )
        trigger_jobs.queue.grant_send_messages(event_projection.function)
        webhook_queue = queues.pairs[WEBHOOK_QUEUE.key].queue
        webhook_fanout = StreamConsumer(
            self,
            "WebhookFanout",
            stage=config.stage,
            spec=WEBHOOK_FANOUT,
            functions=functions,
            table=data.table,
            table_actions=WEBHOOK_FANOUT_TABLE_ACTIONS,
            environment={"WEBHOOK_QUEUE_URL": webhook_queue.queue_url},
        )
        webhook_queue.grant_send_messages(webhook_fanout.function)
        observability = Observability(
            self,
            "Observability",
            queues=queues.pairs.values(),
            stream_consumers=[event_projection, webhook_fanout],
        )

        console = Console(
            self, "Console", config=config.console, rest_api=api.rest_api, dist=CONSOLE_DIST
        )

        CfnOutput(self, "ConsoleUrl", value=console.url)
        CfnOutput(self, "TableName", value=data.table.table_name)
        CfnOutput(self, "SchedulerRoleArn", value=scheduling.role.role_arn)
        CfnOutput(self, "CampaignBusName", value=events.campaign_bus.event_bus_name)
        CfnOutput(self, "AlarmTopicArn", value=observability.alarm_topic.topic_arn)
