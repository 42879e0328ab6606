"""What the in-process bench does: the tenant it seeds on moto (the demo seed, the contract's
sender and template, campaign rules, a few delivered messages with SES's events applied), the
queues and schedule group it provisions, a representative successful request per route, and
how it hands the consumers their SQS batches. The measurements are in inprocess.py."""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from devstack.bench.harness import (
    ACCOUNT_ID,
    BATCH_SIZE,
    CONFIGURATION_SET,
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


class Scenario:
    def __init__(self, harness: Harness, rounds: int, batches: int) -> None:
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

    # --- set-up ----------------------------------------------------------------------------

    def provision(self) -> None:
        import boto3

        from devstack.resources import create_queue, create_table, create_token_keys
        from tenx_email import resources

        create_table(boto3.client("dynamodb", region_name=REGION), TABLE_NAME)
        create_token_keys(boto3.client("secretsmanager", region_name=REGION), TOKEN_KEYS_SECRET)
        for spec in (resources.DELIVERY_QUEUE, resources.TRIGGER_JOBS_QUEUE):
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
                "SCHEDULE_GROUP_NAME": SCHEDULE_GROUP,
                "SCHEDULER_ROLE_ARN": f"arn:aws:iam::{ACCOUNT_ID}:role/bench-scheduler",
            }
        )

    def seed(self) -> None:
        from devstack import seed
        from tenx_email.services import tenancy

        seed.seed_demo()
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
        }
