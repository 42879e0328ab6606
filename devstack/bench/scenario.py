"""What the in-process bench does: the tenant it seeds on moto (the demo seed, the contract's
sender and template, campaign rules, a few delivered messages with SES's events applied), the
queues and schedule group it provisions, a representative successful request per route, and
how it hands the consumers their SQS batches. The measurements are in inprocess.py."""

from __future__ import annotations

import json
import os
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from devstack.bench.harness import (
    ACCOUNT_ID,
    BATCH_SIZE,
    CONFIGURATION_SET,
    OPERATOR,
    OWNER,
    REGION,
    STAGE,
    TABLE_NAME,
    TOKEN_KEYS_SECRET,
    Harness,
    RouteRequest,
    lambda_context,
)
from devstack.bench.results import Sample

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient

    from devstack.streams import StreamPoller

SCHEDULE_GROUP = f"tenx-email-{STAGE}-campaign-delays"

HANDLE = "acme"
CAMPAIGN = "cmp_welcome"  # one immediate rule: the trigger figure
RULES_CAMPAIGN = "cmp_bench_rules"  # the rule routes' own campaign, so the rule count stays small
DELAYED_CAMPAIGN = "cmp_bench_delayed"  # one delayed rule
SENDER_ID = "sender_notifications"
TEMPLATE_ID = "tmpl_lead_followup"
UPDATED_TEMPLATE_ID = "tmpl_bench_updated"

# The contract's sender and template (reference walkthrough, steps 2 and 3).
SENDER = {
    "domain": "example.com",
    "localPart": "notifications",
    "displayName": "Acme Notifications",
    "replyTo": "support@example.com",
    "purposes": ["PRODUCT_NOTIFICATION", "LEAD_VERIFICATION", "TRANSACTIONAL_API"],
    "enabled": True,
}
TEMPLATE = {
    "templateId": TEMPLATE_ID,
    "name": "Lead follow-up",
    "subject": "Thanks for reaching out, {{firstName}}",
    "html": "<p>Hi {{firstName}}, thanks for your interest in {{service}}.</p>",
    "text": "Hi {{firstName}}, thanks for your interest in {{service}}.",
}
RULE = {
    "trigger": "LEAD_CAPTURED",
    "templateId": TEMPLATE_ID,
    "senderId": SENDER_ID,
    "enabled": True,
    "variableMappings": {"firstName": "firstName", "service": "fields.service"},
}
DELAYED_RULE = {**RULE, "trigger": "LEAD_CAPTURED_DELAYED", "delayMinutes": 60}


# The bench's endpoint: two event types per email (issue 16: "with two subscribed event
# types"); another endpoint, disabled, is what the webhook routes change.
WEBHOOK_EVENTS = ("SENT", "DELIVERED")


def send_body(i: int, key_prefix: str = "bench") -> dict[str, Any]:
    return {
        "senderId": SENDER_ID,
        "to": [f"buyer{i % 5}@example.com"],
        "purpose": "TRANSACTIONAL_API",
        "idempotencyKey": f"{key_prefix}-{i}-{uuid.uuid4().hex[:8]}",
        "consentAttestation": True,
        "templateId": TEMPLATE_ID,
        "variables": {"firstName": f"Asha{i}", "service": "AI workflow setup"},
    }


def lead_body(i: int) -> dict[str, Any]:
    return {
        "email": f"lead{i}@example.org",
        "name": f"Lead {i} Rao",
        "fields": {"service": "AI workflow setup"},
    }


def clock_iso(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).isoformat(timespec="seconds")


class Scenario:
    def __init__(self, harness: Harness, rounds: int, batches: int, webhook_url: str = "") -> None:
        import boto3

        self.h = harness
        self.rounds = rounds
        self.batches = batches
        self.sqs: SQSClient = boto3.client("sqs", region_name=REGION)
        self.queues: dict[str, str] = {}
        self.queue_arns: dict[str, str] = {}
        self.message_id = ""
        self.lead_id = ""
        self.rule_id = ""
        self.runs_rule_id = ""
        self.ses_events_per_email = 0.0
        # The event projection's poller, kept so that later phases project only what they add.
        self.stream_poller: StreamPoller | None = None
        self.webhook_url = webhook_url
        self.webhook_id = ""  # the bench's endpoint (WEBHOOK_EVENTS, at the receiver)
        self.route_webhook_id = ""  # disabled; the routes update and rotate it
        self.webhook_delivery_id = ""
        self.webhook_window: dict[str, str] = {}
        # The webhook fan-out's stream poller; it hands each batch to `fan_out_consumer`.
        self.fan_out_poller: StreamPoller | None = None
        self.fan_out_consumer: Callable[[dict[str, Any]], None] = lambda event: None

    # --- set-up ----------------------------------------------------------------------------

    def provision(self) -> None:
        import boto3

        from devstack.resources import (
            create_queue,
            create_table,
            create_token_keys,
            create_webhook_secrets_key,
        )
        from tenx_email import resources

        create_table(boto3.client("dynamodb", region_name=REGION), TABLE_NAME)
        create_token_keys(boto3.client("secretsmanager", region_name=REGION), TOKEN_KEYS_SECRET)
        create_webhook_secrets_key(
            boto3.client("kms", region_name=REGION), resources.webhook_secrets_key_alias(STAGE)
        )
        for spec in (
            resources.DELIVERY_QUEUE,
            resources.TRIGGER_JOBS_QUEUE,
            resources.WEBHOOK_QUEUE,
        ):
            urls = create_queue(self.sqs, STAGE, spec)
            self.queues[spec.key] = urls.queue_url
            arn = self.sqs.get_queue_attributes(
                QueueUrl=urls.queue_url, AttributeNames=["QueueArn"]
            )
            self.queue_arns[spec.key] = arn["Attributes"]["QueueArn"]
            if spec is resources.TRIGGER_JOBS_QUEUE:
                dlq = self.sqs.get_queue_attributes(
                    QueueUrl=urls.dead_letter_url, AttributeNames=["QueueArn"]
                )
                os.environ["TRIGGER_JOBS_DLQ_ARN"] = dlq["Attributes"]["QueueArn"]
        boto3.client("scheduler", region_name=REGION).create_schedule_group(Name=SCHEDULE_GROUP)
        boto3.client("sesv2", region_name=REGION).create_configuration_set(
            ConfigurationSetName=CONFIGURATION_SET
        )
        os.environ.update(
            {
                "DELIVERY_QUEUE_URL": self.queues["delivery"],
                "TRIGGER_JOBS_QUEUE_URL": self.queues["trigger-jobs"],
                "TRIGGER_JOBS_QUEUE_ARN": self.queue_arns["trigger-jobs"],
                "WEBHOOK_QUEUE_URL": self.queues["webhooks"],
                "SCHEDULE_GROUP_NAME": SCHEDULE_GROUP,
                "SCHEDULER_ROLE_ARN": f"arn:aws:iam::{ACCOUNT_ID}:role/bench-scheduler",
            }
        )

    def seed(self) -> None:
        from devstack import seed
        from tenx_email.services import tenancy

        seed.seed_demo()  # the bench stage is not "local": the demo seeds no endpoint
        self.create_webhook_endpoints()
        tenancy.register_campaign(HANDLE, RULES_CAMPAIGN, "Bench rules")
        tenancy.register_campaign(HANDLE, DELAYED_CAMPAIGN, "Bench delayed")
        h = self.h
        h.ok("put_sender", RouteRequest({"handle": HANDLE, "senderId": SENDER_ID}, body=SENDER))
        h.ok("create_template", RouteRequest({"handle": HANDLE}, body=TEMPLATE))
        h.ok(
            "create_template",
            RouteRequest({"handle": HANDLE}, body={**TEMPLATE, "templateId": UPDATED_TEMPLATE_ID}),
        )
        self.rule_id = h.ok(
            "create_email_rule",
            RouteRequest({"handle": HANDLE, "campaignId": RULES_CAMPAIGN}, body=RULE),
        )["rule"]["ruleId"]
        self.runs_rule_id = h.ok(
            "create_email_rule", RouteRequest({"handle": HANDLE, "campaignId": CAMPAIGN}, body=RULE)
        )["rule"]["ruleId"]
        h.ok(
            "create_email_rule",
            RouteRequest({"handle": HANDLE, "campaignId": DELAYED_CAMPAIGN}, body=DELAYED_RULE),
        )
        # A few messages, delivered, with SES's events applied: what the read routes show.
        sent = [
            h.ok("send_message", RouteRequest({"handle": HANDLE}, body=send_body(i, "seed")))
            for i in range(3)
        ]
        self.message_id = sent[0]["message"]["messageId"]
        self.deliver_all(len(sent))
        self.apply_ses_events(self.h.ses.sent)
        # A lead on the rules campaign (for conversions), and runs of the immediate rule.
        self.lead_id = h.ok(
            "capture_lead",
            RouteRequest({"handle": HANDLE, "campaignId": RULES_CAMPAIGN}, body=lead_body(0)),
        )["leadId"]
        h.ok(
            "capture_lead",
            RouteRequest({"handle": HANDLE, "campaignId": CAMPAIGN}, body=lead_body(0)),
        )
        self.run_trigger_batch(self.receive("trigger-jobs", 1))
        self.deliver_all(1)
        self.seed_webhook_deliveries()

    def create_webhook_endpoints(self) -> None:
        """The bench's endpoint (WEBHOOK_EVENTS, at the loopback receiver), made as an OPERATOR
        makes one, and a disabled one for the routes to change."""
        from tenx_email.dal import tenancy as tenancy_store
        from tenx_email.models import Caller, HandleAccess
        from tenx_email.roles import Role
        from tenx_email.services import webhooks

        # Only the "local" stage may target loopback (its receiver); the bench's stage is
        # "bench" and its receiver is on 127.0.0.1, so in this process (and only here) the
        # check allows it, for creating the endpoint and for the sender's POSTs alike. After
        # seed_demo, which would otherwise seed the local stack's all-events endpoint.
        webhooks.allows_private_targets = lambda: True
        handle = tenancy_store.get_handle(HANDLE)
        assert handle is not None, "seed_demo made the handle"
        caller = Caller(sub=OPERATOR, token_expires_at=int(time.time()) + 3600)
        access = HandleAccess(caller=caller, handle=handle, role=Role.OPERATOR)
        made = webhooks.create_endpoint(
            access,
            webhooks.EndpointDraft(
                url=self.webhook_url, events=WEBHOOK_EVENTS, enabled=True, description="bench"
            ),
        )
        self.webhook_id = made.endpoint.webhook_id
        self.route_webhook_id = webhooks.create_endpoint(
            access,
            webhooks.EndpointDraft(
                url=self.webhook_url, events=("SENT",), enabled=False, description="bench routes"
            ),
        ).endpoint.webhook_id

    def seed_webhook_deliveries(self) -> None:
        """Fan the seed's messages out to the endpoint and send them: the deliveries the log
        and replay routes read. The fan-out's poller then stays where the stream is."""
        import boto3

        from devstack.streams import StreamPoller, stream_arn
        from functions import fan_out_webhooks
        from tenx_email.adapters.table_stream import streams_client
        from tenx_email.resources import WEBHOOK_FANOUT

        def fan_out(event: dict[str, Any]) -> None:
            fan_out_webhooks.handler(
                event, lambda_context("fan_out_webhooks", WEBHOOK_FANOUT.timeout_seconds)
            )

        arn = stream_arn(boto3.client("dynamodb", region_name=REGION), TABLE_NAME)
        self.fan_out_poller = StreamPoller(
            streams_client(REGION), arn, WEBHOOK_FANOUT, lambda event: self.fan_out_consumer(event)
        )
        self.fan_out_consumer = fan_out
        self.fan_out_poller.drain()
        self.fan_out_consumer = lambda event: None
        jobs = self.receive("webhooks", 100)
        if not jobs:
            raise RuntimeError("bench: the seed's messages made no webhook deliveries")
        self.webhook_delivery_id = json.loads(jobs[0]["Body"])["deliveryId"]
        for start in range(0, len(jobs), BATCH_SIZE):
            self.run_sender_batch(jobs[start : start + BATCH_SIZE])
        now = time.time()
        self.webhook_window = {
            "since": clock_iso(now - 3600),
            "until": clock_iso(now + 60),
        }

    def run_fan_out_batch(self, event: dict[str, Any]) -> Sample:
        from functions import fan_out_webhooks
        from tenx_email.resources import WEBHOOK_FANOUT

        def work() -> int:
            fan_out_webhooks.handler(
                event, lambda_context("fan_out_webhooks", WEBHOOK_FANOUT.timeout_seconds)
            )
            return 0

        return self.h.measure(work)

    def run_sender_batch(self, messages: list[Any]) -> Sample:
        from functions import send_webhooks
        from tenx_email.resources import WEBHOOK_QUEUE

        event = self.sqs_event("webhooks", messages)

        def work() -> int:
            response = send_webhooks.handler(
                event, lambda_context("send_webhooks", WEBHOOK_QUEUE.consumer_timeout_seconds)
            )
            if response["batchItemFailures"]:
                raise RuntimeError(f"bench: the webhook sender failed records: {response}")
            return 0

        return self.h.measure(work)

    # --- consumers -------------------------------------------------------------------------

    def receive(self, key: str, count: int) -> list[Any]:
        return self.h.receive(self.sqs, self.queues[key], count)

    def sqs_event(self, key: str, messages: list[Any]) -> dict[str, Any]:
        from devstack.pollers import sqs_event

        return sqs_event(messages, self.queue_arns[key])

    def run_delivery_batch(self, messages: list[Any]) -> Sample:
        from functions import deliver

        event = self.sqs_event("delivery", messages)

        def work() -> int:
            response = deliver.handler(event, lambda_context("deliver"))
            if response["batchItemFailures"]:
                raise RuntimeError(f"bench: delivery failed records: {response}")
            return 0

        return self.h.measure(work)

    def deliver_all(self, count: int) -> list[Sample]:
        samples = []
        while count > 0:
            batch = self.receive("delivery", min(BATCH_SIZE, count))
            if not batch:
                raise RuntimeError("bench: queued messages never reached the delivery queue")
            samples.append(self.run_delivery_batch(batch))
            count -= len(batch)
        return samples

    def run_trigger_batch(self, messages: list[Any]) -> Sample:
        from functions import trigger

        event = self.sqs_event("trigger-jobs", messages)

        def work() -> int:
            response = trigger.handler(event, lambda_context("trigger"))
            if response["batchItemFailures"]:
                raise RuntimeError(f"bench: trigger failed records: {response}")
            return 0

        return self.h.measure(work)

    def ses_events(self, sent: list[tuple[dict[str, Any], str]]) -> list[dict[str, Any]]:
        """The events the configuration set publishes for a delivered email: Delivery only
        (infra/constructs/events.py does not subscribe to Send)."""
        from devstack.ses_events import delivery_event

        return [delivery_event(params, ses_id) for params, ses_id in sent]

    def run_feedback_batch(self, events: list[dict[str, Any]]) -> Sample:
        from functions import feedback

        records = [
            {
                "messageId": str(uuid.uuid4()),
                "receiptHandle": "bench",
                "body": json.dumps(event),
                "attributes": {"ApproximateReceiveCount": "1", "SentTimestamp": "0"},
                "messageAttributes": {},
                "md5OfBody": "",
                "eventSource": "aws:sqs",
                "eventSourceARN": f"arn:aws:sqs:{REGION}:{ACCOUNT_ID}:tenx-email-{STAGE}-feedback",
                "awsRegion": REGION,
            }
            for event in events
        ]

        def work() -> int:
            response = feedback.handler({"Records": records}, lambda_context("feedback", 30))
            if response["batchItemFailures"]:
                raise RuntimeError(f"bench: feedback failed records: {response}")
            return 0

        return self.h.measure(work)

    def apply_ses_events(self, sent: list[tuple[dict[str, Any], str]]) -> list[Sample]:
        events = self.ses_events(sent)
        self.ses_events_per_email = len(events) / max(1, len(sent))
        return [
            self.run_feedback_batch(events[start : start + BATCH_SIZE])
            for start in range(0, len(events), BATCH_SIZE)
        ]

    def drain(self, key: str) -> int:
        """Take every visible record off the queue (uncounted); how many there were."""
        drained = 0
        with self.h.uncounted():
            while batch := self.receive(key, BATCH_SIZE):
                drained += len(batch)
        return drained

    def capture_leads(self, campaign_id: str, count: int) -> None:
        """Capture `count` leads on the campaign (uncounted: set-up for a trigger figure)."""
        with self.h.uncounted():
            for i in range(count):
                self.h.ok(
                    "capture_lead",
                    RouteRequest(
                        {"handle": HANDLE, "campaignId": campaign_id}, body=lead_body(i + 1000)
                    ),
                )

    # --- the representative requests --------------------------------------------------------

    def route_requests(self) -> dict[str, Callable[[int], RouteRequest]]:
        acme = {"handle": HANDLE}
        rules = {"handle": HANDLE, "campaignId": RULES_CAMPAIGN}
        domain = {"domain": "example.com"}

        def new_rule(_: int) -> RouteRequest:
            rule_id = self.h.ok("create_email_rule", RouteRequest(rules, body=RULE))["rule"][
                "ruleId"
            ]
            return RouteRequest({**rules, "ruleId": rule_id})

        return {
            "get_domain_identity": lambda i: RouteRequest(domain),
            "reconcile_domain_identity": lambda i: RouteRequest(domain),
            "attach_domain": lambda i: RouteRequest(
                {"domain": f"d{i}-{uuid.uuid4().hex[:6]}.bench.example"}, sub=OWNER
            ),
            "get_handle_access": lambda i: RouteRequest(acme),
            "list_senders": lambda i: RouteRequest(acme),
            "put_sender": lambda i: RouteRequest(
                {**acme, "senderId": SENDER_ID},
                body={**SENDER, "displayName": f"Acme Notifications {i}"},
            ),
            "list_templates": lambda i: RouteRequest(acme),
            "create_template": lambda i: RouteRequest(
                acme, body={**TEMPLATE, "templateId": f"tmpl_bench_{i}_{uuid.uuid4().hex[:6]}"}
            ),
            "get_template": lambda i: RouteRequest({**acme, "templateId": TEMPLATE_ID}),
            "update_template": lambda i: RouteRequest(
                {**acme, "templateId": UPDATED_TEMPLATE_ID},
                body={"subject": f"Thanks for reaching out, {{{{firstName}}}} ({i})"},
            ),
            "preview_template": lambda i: RouteRequest(
                {**acme, "templateId": TEMPLATE_ID},
                body={"variables": {"firstName": "Asha", "service": "AI workflow setup"}},
            ),
            "send_message": lambda i: RouteRequest(acme, body=send_body(i)),
            "list_messages": lambda i: RouteRequest(acme),
            "get_message": lambda i: RouteRequest({**acme, "messageId": self.message_id}),
            "list_events": lambda i: RouteRequest(acme, query={"messageId": self.message_id}),
            "list_suppressions": lambda i: RouteRequest(acme),
            "put_suppression": lambda i: RouteRequest(
                {**acme, "email": f"blocked{i}@example.net"}, body={"reason": "bench"}
            ),
            "delete_suppression": lambda i: RouteRequest(
                {**acme, "email": f"blocked{i}@example.net"}
            ),
            "get_quota": lambda i: RouteRequest(acme),
            "get_email_stats": lambda i: RouteRequest(acme, query={"granularity": "hour"}),
            "list_email_rules": lambda i: RouteRequest(rules),
            "create_email_rule": lambda i: RouteRequest(rules, body=RULE),
            "update_email_rule": lambda i: RouteRequest(
                {**rules, "ruleId": self.rule_id}, body={**RULE, "enabled": i % 2 == 0}
            ),
            "delete_email_rule": new_rule,
            "list_rule_runs": lambda i: RouteRequest(
                {"handle": HANDLE, "campaignId": CAMPAIGN, "ruleId": self.runs_rule_id}
            ),
            "capture_lead": lambda i: RouteRequest(rules, body=lead_body(i + 100)),
            "record_conversion": lambda i: RouteRequest(rules, body={"leadId": self.lead_id}),
            # Webhooks: the bench's endpoint is what the log, replay and test routes use; the
            # disabled one is what update and rotate change; create makes disabled endpoints
            # (subscribed to nothing that fans out) that delete then removes, one a round.
            "list_webhooks": lambda i: RouteRequest(acme),
            "create_webhook": lambda i: RouteRequest(
                acme,
                body={
                    "url": self.webhook_url,
                    "events": ["SENT"],
                    "enabled": False,
                    "description": "bench created",
                },
            ),
            "get_webhook": lambda i: RouteRequest({**acme, "webhookId": self.webhook_id}),
            "update_webhook": lambda i: RouteRequest(
                {**acme, "webhookId": self.route_webhook_id},
                body={
                    "url": self.webhook_url,
                    "events": ["SENT"],
                    "enabled": False,
                    "description": f"bench routes {i}",
                },
            ),
            "delete_webhook": self.created_webhook,
            "rotate_webhook_secret": lambda i: RouteRequest(
                {**acme, "webhookId": self.route_webhook_id}
            ),
            "list_webhook_deliveries": lambda i: RouteRequest(
                {**acme, "webhookId": self.webhook_id}
            ),
            "replay_webhook_delivery": lambda i: RouteRequest(
                {**acme, "webhookId": self.webhook_id, "deliveryId": self.webhook_delivery_id}
            ),
            "replay_webhook_deliveries": lambda i: RouteRequest(
                {**acme, "webhookId": self.webhook_id}, body=self.webhook_window
            ),
            "send_webhook_test": lambda i: RouteRequest({**acme, "webhookId": self.webhook_id}),
        }

    def created_webhook(self, _: int) -> RouteRequest:
        """One of the endpoints the create route made (the handle has room for ten)."""
        listed = self.h.ok("list_webhooks", RouteRequest({"handle": HANDLE}))["webhooks"]
        made = next(w for w in listed if w["description"] == "bench created")
        return RouteRequest({"handle": HANDLE, "webhookId": made["webhookId"]})
