"""What the security suite (tests/integration/test_security_*.py) shares.

A *world* is one moto account holding two tenants built through the real routes and the
trigger Lambda: acme (account acc_demo, domain example.com; OWNER, OPERATOR and CREATOR
members) and globex (account acc_globex, domain globex.example; OUTSIDER is its OPERATOR,
GLOBEX_OWNER its OWNER). Each has a sender, three templates, the campaign cmp_welcome (the
same id on both handles) with two rules and a sequence, two captured leads whose rule
messages the trigger Lambda made, two direct messages and two suppressions; in a delivered
world every message has also been sent by the delivery Lambda (SES is moto behind a spy), so
every list has a second page. Every path parameter names a real object of its tenant.

Building a world costs a second or two, so each module builds one (module scope: the module
says `world = world_fixture` or `world = delivered_world_fixture`) and its tests only read it,
make refused requests, or add objects of their own; `table_snapshot` proves that a refusal
wrote nothing.

The route-driven helpers (`path_params`, `body_model`, `query_names`, `VALID_BODIES`,
`list_variants`) derive what they can from `tenx_email.routes.ROUTES` and the route functions'
signatures, so a route added later is covered by every parametrized test (and the tests that
need a table entry for it fail until it is added).
"""

from __future__ import annotations

import importlib
import json
import re
import threading
import typing
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from functools import cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import boto3
import pytest
from pydantic import BaseModel

from devstack.environment import DEFAULT_MAX_SEND_RATE
from devstack.pollers import sqs_event
from devstack.resources import (
    create_queue,
    create_table,
    create_token_keys,
    create_webhook_secrets_key,
)
from functions import deliver, trigger
from tenx_email import clock, resources
from tenx_email.adapters import queues, secret_box, ses_account, ses_sending, token_keys
from tenx_email.dal import table as table_module
from tenx_email.dal import webhook_deliveries
from tenx_email.observability import metrics
from tenx_email.roles import Role
from tenx_email.routes import ROUTES, Route, Scope
from tenx_email.routes import route as route_of
from tenx_email.services import authentication, domains, tenancy
from tenx_email.settings import (
    delivery_settings,
    link_settings,
    sending_settings,
    ses_settings,
    trigger_settings,
    webhook_settings,
)
from tenx_email.webhook_payloads import DeliveryJob
from tenx_email.webhooks import DeliveryAttempt, DeliveryStatus
from tests.conftest import PUBLIC_API_URL
from tests.events import invoke
from tests.integration.conftest import MEMBERS, OUTSIDER
from tests.integration.delivery_support import Context, SesSpy, event_projection
from tests.tokens import AUDIENCE, ISSUER, FakeIdp

REGION = "us-east-1"
ACCOUNT = "123456789012"
STAGE = "test"
TABLE_NAME = "tenx-email-test"
TOKEN_KEYS_SECRET = "tenx-email-test-token-keys"
CONFIGURATION_SET = "tenx-email-test"
SCHEDULE_GROUP = "tenx-email-test-campaign-delays"

OWNER, OPERATOR, CREATOR = MEMBERS[Role.OWNER], MEMBERS[Role.OPERATOR], MEMBERS[Role.CREATOR]
GLOBEX_OWNER = "user_globex_owner"
NOBODY = "user_nobody"  # a valid identity with no membership anywhere
CAMPAIGN_ID = "cmp_welcome"
PURPOSES = ["PRODUCT_NOTIFICATION", "LEAD_VERIFICATION", "TRANSACTIONAL_API"]
# Everything that could end a header line or smuggle one in (docs/api.md, "invalid_header_value").
HEADER_BREAKERS = {
    "CR": "\r",
    "LF": "\n",
    "CRLF": "\r\n",
    "NUL": "\x00",
    "U+2028": "\u2028",
    "U+2029": "\u2029",
    "NEL": "\x85",
}
BREAKER_PATTERN = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


# --- tenants --------------------------------------------------------------------------------


@dataclass
class Tenant:
    """One handle's real objects, as the world built them."""

    handle: str
    account_id: str
    domain: str
    owner: str  # builds the tenant's objects
    operator: str
    sender_id: str
    template_ids: list[str]
    lead_template_id: str
    campaign_id: str
    rule_id: str  # LEAD_CAPTURED, with two runs
    conversion_rule_id: str  # CONVERSION, no runs
    lead_ids: list[str] = field(default_factory=list)
    lead_emails: list[str] = field(default_factory=list)
    message_ids: list[str] = field(default_factory=list)  # direct sends, first has 2 recipients
    rule_message_ids: list[str] = field(default_factory=list)
    recipients: list[str] = field(default_factory=list)
    suppressed: list[str] = field(default_factory=list)
    webhook_id: str = ""
    delivery_ids: list[str] = field(default_factory=list)  # test events to the webhook
    sequence_id: str = ""

    @property
    def shared_recipient(self) -> str:
        return self.recipients[0]

    def path_values(self) -> dict[str, str]:
        """A real value for every path parameter the route table uses."""
        return {
            "handle": self.handle,
            "domain": self.domain,
            "senderId": self.sender_id,
            "templateId": self.template_ids[0],
            "messageId": self.message_ids[0],
            "email": self.suppressed[0],
            "campaignId": self.campaign_id,
            "ruleId": self.rule_id,
            "sequenceId": self.sequence_id,
            "leadId": self.lead_ids[0] if self.lead_ids else "lead_unknown",
            "webhookId": self.webhook_id,
            "deliveryId": self.delivery_ids[0] if self.delivery_ids else "",
        }

    def secrets(self) -> set[str]:
        """Every id, address and name of this tenant that another tenant must never see."""
        return {
            self.sender_id,
            *self.template_ids,
            *self.lead_ids,
            *self.lead_emails,
            *self.message_ids,
            *self.rule_message_ids,
            *self.recipients,
            *self.suppressed,
            self.rule_id,
            self.conversion_rule_id,
            self.sequence_id,
            self.domain,
            self.webhook_id,
            *self.delivery_ids,
            webhook_url(self),
        } - {CAMPAIGN_ID}


def blank_tenant(handle: str = "acme") -> Tenant:
    """A tenant with placeholder ids, for deriving test ids before any world exists."""
    return Tenant(
        handle=handle,
        account_id="",
        domain="",
        owner="",
        operator="",
        sender_id="",
        template_ids=[""],
        lead_template_id="",
        campaign_id="",
        rule_id="",
        conversion_rule_id="",
        message_ids=[""],
        recipients=[""],
        suppressed=[""],
    )


@dataclass
class World:
    acme: Tenant
    globex: Tenant
    delivery_queue: str
    trigger_queue: str
    ses: SesSpy
    # The event projection over the stream, from where it last stopped (runs, feeds, usage).
    project: Callable[[], int]


# --- path parameters, bodies and list routes, derived from ROUTES ---------------------------

PATH_PARAMETER = re.compile(r"\{(\w+)\}")
# A syntactically valid value for a path parameter the table does not know yet.
FALLBACK_PATH_VALUE = "x_1"


def path_names(route: Route) -> list[str]:
    return PATH_PARAMETER.findall(route.path)


def path_params(route: Route, tenant: Tenant, **overrides: str) -> dict[str, str]:
    """The route's path parameters: the tenant's real objects, or a syntactically valid value
    for a parameter added after this suite was written."""
    values = tenant.path_values()
    return {
        name: overrides.get(name, values.get(name, FALLBACK_PATH_VALUE))
        for name in path_names(route)
    }


def handler_function(route: Route) -> Any:
    """The route function behind the resolver (functions/<module>.py defines it under the
    route's id)."""
    module = importlib.import_module(f"functions.{route.handler_module}")
    return getattr(module, route.route_id)


@cache
def body_model(route: Route) -> type[BaseModel] | None:
    """The pydantic model of the route's JSON body, or None for routes without one."""
    hints = typing.get_type_hints(handler_function(route))
    model = hints.get("body")
    return model if isinstance(model, type) and issubclass(model, BaseModel) else None


@cache
def query_names(route: Route) -> set[str]:
    hints = typing.get_type_hints(handler_function(route))
    return {name for name in hints if name not in {"return", "body", *path_names(route)}}


def legitimate_fields(model: type[BaseModel]) -> set[str]:
    """Every name the model accepts (field names and their camelCase aliases)."""
    names = set(model.model_fields)
    names |= {info.alias for info in model.model_fields.values() if info.alias}
    return names


BODY_ROUTES = [route for route in ROUTES if body_model(route) is not None]
LIST_ROUTES = [route for route in ROUTES if "nextToken" in query_names(route)]
LIMIT_ROUTES = [route for route in ROUTES if "limit" in query_names(route)]
HANDLE_ROUTES = [route for route in ROUTES if route.scope is Scope.HANDLE]
ACCOUNT_ROUTES = [route for route in ROUTES if route.scope is Scope.ACCOUNT]


# A body each body route accepts for a tenant (schema-valid: the service may still refuse it
# for a reason of state, such as a duplicate id).
VALID_BODIES: dict[str, Callable[[Tenant], dict[str, Any]]] = {
    "put_sender": lambda tenant: sender_body(tenant),
    "create_template": lambda tenant: {
        "templateId": f"tmpl_{tenant.handle}_new",
        "name": "New",
        "subject": "Hello {{firstName}}",
        "text": "Hi {{firstName}}",
    },
    "update_template": lambda _: {"name": "Renamed"},
    "preview_template": lambda _: {"variables": {"firstName": "Asha"}},
    "send_message": lambda tenant: send_body(tenant),
    "put_suppression": lambda _: {"reason": "asked to stop"},
    "create_email_rule": lambda tenant: rule_body(tenant),
    "update_email_rule": lambda tenant: rule_body(tenant),
    "create_sequence": lambda tenant: sequence_body(tenant),
    "update_sequence": lambda tenant: sequence_body(tenant),
    "put_campaign_settings": lambda _: {
        "contactCooldownMinutes": 60,
        "contactDailyCap": 3,
        "sendWindow": {
            "timezone": "Europe/Berlin",
            "startTime": "09:00",
            "endTime": "17:30",
            "workingDays": [0, 1, 2, 3, 4],
        },
    },
    "capture_lead": lambda tenant: {
        "email": f"new-lead@{tenant.handle}-leads.example",
        "name": "New Lead",
    },
    "record_conversion": lambda tenant: {"leadId": tenant.lead_ids[0]},
    "enroll_lead": lambda tenant: {"leadId": tenant.lead_ids[0]},
    "create_webhook": lambda tenant: {"url": webhook_url(tenant), "events": ["SENT"]},
    "update_webhook": lambda tenant: {"url": webhook_url(tenant), "events": ["DELIVERED"]},
    "replay_webhook_deliveries": lambda _: {
        "since": clock.iso(clock.now() - timedelta(days=1)),
        "until": clock.iso(clock.now() + timedelta(hours=1)),
    },
}


def webhook_url(tenant: Tenant) -> str:
    return f"https://hooks.{tenant.handle}-crm.example/events"


def valid_body(route: Route, tenant: Tenant) -> dict[str, Any] | None:
    """The route's valid body for the tenant; None for routes without a body, {} for a body
    route added after this suite (the mass-assignment suite insists on a real one)."""
    if body_model(route) is None:
        return None
    make = VALID_BODIES.get(route.route_id)
    return make(tenant) if make else {}


def sender_body(tenant: Tenant, **changes: Any) -> dict[str, Any]:
    return {
        "domain": tenant.domain,
        "localPart": "notifications",
        "displayName": f"{tenant.handle.title()} Notifications",
        "replyTo": f"support@{tenant.domain}",
        "purposes": PURPOSES,
        "enabled": True,
        **changes,
    }


def send_body(tenant: Tenant, **changes: Any) -> dict[str, Any]:
    return {
        "senderId": tenant.sender_id,
        "to": [f"buyer@{tenant.handle}-rcpt.example"],
        "purpose": "TRANSACTIONAL_API",
        "consentAttestation": True,
        "templateId": tenant.template_ids[0],
        "variables": {"firstName": "Asha"},
        **changes,
    }


def rule_body(tenant: Tenant, **changes: Any) -> dict[str, Any]:
    return {
        "trigger": "LEAD_CAPTURED",
        "templateId": tenant.lead_template_id,
        "senderId": tenant.sender_id,
        "enabled": True,
        "variableMappings": {"service": "fields.service"},
        **changes,
    }


def email_step(tenant: Tenant) -> dict[str, str]:
    """A sequence step that mails the tenant's lead template from its sender."""
    return {"type": "email", "templateId": tenant.lead_template_id, "senderId": tenant.sender_id}


def sequence_body(tenant: Tenant, **changes: Any) -> dict[str, Any]:
    email = email_step(tenant)
    return {
        "name": f"{tenant.handle} drip",
        "trigger": "LEAD_CAPTURED",
        "steps": [email, {"type": "wait", "minutes": 2880}, email],
        "exitOn": ["CONVERSION"],
        **changes,
    }


@dataclass(frozen=True)
class ListVariant:
    """One list a list route can give out tokens for (a route with different filters may
    query different partitions or indexes)."""

    name: str
    route_id: str
    query: dict[str, str]
    path: dict[str, str] = field(default_factory=dict)


def list_variants(tenant: Tenant) -> list[ListVariant]:
    """Every list of the tenant that has a second page at limit=1."""
    since = "2000-01-01T00:00:00Z"
    return [
        ListVariant("templates", "list_templates", {}),
        ListVariant("messages", "list_messages", {}),
        ListVariant("messages-by-status", "list_messages", {"status": "SENT"}),
        ListVariant("messages-by-purpose", "list_messages", {"purpose": "TRANSACTIONAL_API"}),
        ListVariant("events-of-message", "list_events", {"messageId": tenant.message_ids[0]}),
        ListVariant("events-of-recipient", "list_events", {"recipient": tenant.shared_recipient}),
        ListVariant("events-since", "list_events", {"since": since}),
        ListVariant("suppressions", "list_suppressions", {}),
        ListVariant(
            "rule-runs",
            "list_rule_runs",
            {},
            {"campaignId": tenant.campaign_id, "ruleId": tenant.rule_id},
        ),
        ListVariant(
            "webhook-deliveries", "list_webhook_deliveries", {}, {"webhookId": tenant.webhook_id}
        ),
        ListVariant(
            "enrollments",
            "list_enrollments",
            {},
            {"campaignId": tenant.campaign_id, "sequenceId": tenant.sequence_id},
        ),
        ListVariant(
            "enrollments-active",
            "list_enrollments",
            {"status": "ACTIVE"},
            {"campaignId": tenant.campaign_id, "sequenceId": tenant.sequence_id},
        ),
    ]


def list_page(
    variant: ListVariant, tenant: Tenant, sub: str, next_token: str | None = None
) -> tuple[int, Any]:
    route = route_of(variant.route_id)
    query = {**variant.query, "limit": "1"}
    if next_token is not None:
        query["nextToken"] = next_token
    return invoke(
        variant.route_id, path_params(route, tenant, **variant.path), sub=sub, query=query
    )


def first_token(variant: ListVariant, tenant: Tenant, sub: str) -> str:
    status, body = list_page(variant, tenant, sub)
    assert status == 200, body
    token = body["nextToken"]
    assert isinstance(token, str), f"{variant.name} of {tenant.handle} has no second page"
    return token


# --- state ------------------------------------------------------------------------------------


def table_snapshot() -> list[dict[str, Any]]:
    """Every item of the table, in key order, read from moto's state (a Scan through the API
    costs a quarter of a second; this costs a millisecond or two)."""
    from moto.dynamodb.models import dynamodb_backends

    table = dynamodb_backends[ACCOUNT][REGION].get_table(TABLE_NAME)
    return [item.to_json()["Attributes"] for item in table.all_items()]


def tenant_items(items: list[dict[str, Any]], tenant: Tenant) -> list[dict[str, Any]]:
    """The items of a snapshot that belong to one tenant: its handle's partition, its
    account's and its domain's items, and the index entries that name them."""
    owned = (f"HANDLE#{tenant.handle}", f"ACCOUNT#{tenant.account_id}", f"DOMAIN#{tenant.domain}")
    return [
        item
        for item in items
        if item["PK"]["S"] in owned
        or item["PK"]["S"].startswith(f"HANDLE#{tenant.handle}#")
        or item.get("GSI1PK", {}).get("S", "").startswith(f"HANDLE#{tenant.handle}")
    ]


def tenant_snapshot(tenant: Tenant) -> list[dict[str, Any]]:
    return tenant_items(table_snapshot(), tenant)


def mentions(text: str, secrets: set[str]) -> set[str]:
    lowered = text.lower()
    return {secret for secret in secrets if secret.lower() in lowered}


def drain(queue_url: str) -> list[dict[str, Any]]:
    """Everything waiting on a queue, as raw SQS messages (deleted from the queue)."""
    sqs, found = boto3.client("sqs", region_name=REGION), []
    receive = {"QueueUrl": queue_url, "MaxNumberOfMessages": 10, "WaitTimeSeconds": 0}
    while batch := sqs.receive_message(**receive, MessageSystemAttributeNames=["All"]).get(
        "Messages"
    ):
        found += batch
        for message in batch:
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
    return found


def queue_depth(queue_url: str) -> int:
    """How many records the queue holds (visible, in flight or delayed)."""
    sqs = boto3.client("sqs", region_name=REGION)
    names = [
        "ApproximateNumberOfMessages",
        "ApproximateNumberOfMessagesNotVisible",
        "ApproximateNumberOfMessagesDelayed",
    ]
    attributes = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=names)
    return sum(int(attributes["Attributes"][name]) for name in names)


@cache
def queue_arn(queue_url: str) -> str:
    """The queue's ARN (moto's account and region are fixed, so the same in every world)."""
    sqs = boto3.client("sqs", region_name=REGION)
    attributes = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])
    return attributes["Attributes"]["QueueArn"]


def run_consumer(module: Any, queue_url: str) -> list[str]:
    """Hand everything waiting on the queue to the consumer Lambda, 10 records per batch;
    return the ids it reported as failures."""
    return _run_drained(module, queue_url, drain(queue_url))


def _run_drained(module: Any, queue_url: str, messages: list[dict[str, Any]]) -> list[str]:
    failed: list[str] = []
    for start in range(0, len(messages), 10):
        event = sqs_event(messages[start : start + 10], queue_arn(queue_url))
        response = module.handler(event, Context())
        failed += [failure["itemIdentifier"] for failure in response["batchItemFailures"]]
    return failed


def run_triggers(world: World) -> list[str]:
    """Run the trigger-jobs queue until it is empty: the jobs trigger jobs queue there (a
    sequence enrollment's first step) run too."""
    failed: list[str] = []
    while messages := drain(world.trigger_queue):
        failed += _run_drained(trigger, world.trigger_queue, messages)
    return failed


def run_deliveries(world: World) -> list[str]:
    return run_consumer(deliver, world.delivery_queue)


def moto_sent_messages() -> list[Any]:
    """What moto's SES recorded as sent (subject, source, destinations)."""
    from moto.ses.models import ses_backends

    return list(ses_backends[ACCOUNT][REGION].sent_messages)


def unsafe_ses_calls(spy: SesSpy) -> list[dict[str, Any]]:
    """SendEmail calls with a header-breaking value in any header SES builds from them."""
    unsafe = []
    for call in spy.calls:
        headers = [
            call["FromEmailAddress"],
            call["Content"]["Simple"]["Subject"]["Data"],
            *call["Destination"]["ToAddresses"],
            *call.get("ReplyToAddresses", []),
        ]
        if any(BREAKER_PATTERN.search(value) for value in headers):
            unsafe.append(call)
    for sent in moto_sent_messages():
        values = [str(sent.subject), str(sent.source), *map(str, sent.destinations["ToAddresses"])]
        if any(BREAKER_PATTERN.search(value) for value in values):
            unsafe.append({"moto": values})
    return unsafe


# --- building the world ---------------------------------------------------------------------


def _ok(result: tuple[int, Any], *statuses: int) -> Any:
    status, body = result
    assert status in statuses, (status, body)
    return body


def _seed_tenant(tenant: Tenant) -> None:
    handle, owner = tenant.handle, tenant.owner
    sender = {"handle": handle, "senderId": tenant.sender_id}
    _ok(invoke("put_sender", sender, sub=owner, body=sender_body(tenant)), 200)
    for template_id in tenant.template_ids:
        template = {
            "templateId": template_id,
            "name": f"{handle} {template_id}",
            "subject": f"{handle} says hello, {{{{firstName}}}}",
            "html": "<p>Hi {{firstName}}</p>",
            "text": "Hi {{firstName}}",
        }
        _ok(invoke("create_template", {"handle": handle}, sub=owner, body=template), 201)
    lead_template = {
        "templateId": tenant.lead_template_id,
        "name": "Lead follow-up",
        "subject": "Hi {{firstName}} ({{name}}) of {{company}} about {{service}}",
        "text": "Thanks {{name}}, we will call {{phone}} about {{service}}.",
    }
    _ok(invoke("create_template", {"handle": handle}, sub=owner, body=lead_template), 201)
    tenancy.register_campaign(handle, tenant.campaign_id, "Welcome")
    campaign = {"handle": handle, "campaignId": tenant.campaign_id}
    rule = _ok(invoke("create_email_rule", campaign, sub=owner, body=rule_body(tenant)), 201)
    tenant.rule_id = rule["rule"]["ruleId"]
    conversion = rule_body(tenant, trigger="CONVERSION")
    rule = _ok(invoke("create_email_rule", campaign, sub=owner, body=conversion), 201)
    tenant.conversion_rule_id = rule["rule"]["ruleId"]
    made = invoke("create_sequence", campaign, sub=owner, body=sequence_body(tenant))
    tenant.sequence_id = _ok(made, 201)["sequence"]["sequenceId"]
    webhook = {"url": webhook_url(tenant), "description": f"{handle} CRM"}
    created = _ok(invoke("create_webhook", {"handle": handle}, sub=owner, body=webhook), 201)
    tenant.webhook_id = created["webhook"]["webhookId"]
    for _ in (1, 2):
        path = {"handle": handle, "webhookId": tenant.webhook_id}
        sent = _ok(invoke("send_webhook_test", path, sub=owner), 202)
        tenant.delivery_ids.append(sent["delivery"]["deliveryId"])
    _log_queued_webhooks()
    for index in (1, 2):
        lead = {
            "email": f"lead{index}@{handle}-leads.example",
            "name": f"{handle.title()} Lead{index}",
            "company": f"{handle} corp",
            "fields": {"service": "setup"},
        }
        accepted = _ok(invoke("capture_lead", campaign, sub=owner, body=lead), 202)
        tenant.lead_ids.append(accepted["leadId"])
        tenant.lead_emails.append(lead["email"])
    shared, other = f"shared@{handle}-rcpt.example", f"other@{handle}-rcpt.example"
    tenant.recipients = [shared, other]
    for recipients in ([shared, other], [shared]):
        body = send_body(tenant, to=recipients)
        accepted = _ok(invoke("send_message", {"handle": handle}, sub=owner, body=body), 202)
        tenant.message_ids.append(accepted["message"]["messageId"])
    for index in (1, 2):
        email = f"blocked{index}@{handle}-supp.example"
        suppression = {"handle": handle, "email": email}
        _ok(invoke("put_suppression", suppression, sub=owner, body={"reason": "bounced"}), 200)
        tenant.suppressed.append(email)


def _new_tenant(handle: str, account_id: str, domain: str, owner: str, operator: str) -> Tenant:
    return Tenant(
        handle=handle,
        account_id=account_id,
        domain=domain,
        owner=owner,
        operator=operator,
        sender_id=f"sender_{handle}",
        template_ids=[f"tmpl_{handle}_welcome", f"tmpl_{handle}_receipt"],
        lead_template_id=f"tmpl_{handle}_lead",
        campaign_id=CAMPAIGN_ID,
        rule_id="",
        conversion_rule_id="",
    )


def _environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL"):
        monkeypatch.delenv(name, raising=False)
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": REGION,
        "STAGE": STAGE,
        "TABLE_NAME": TABLE_NAME,
        "TOKEN_KEYS_SECRET": TOKEN_KEYS_SECRET,
        "POWERTOOLS_METRICS_NAMESPACE": "TenxEmailTest",
        "POWERTOOLS_SERVICE_NAME": "tenx-email",
        "SES_REGION": REGION,
        "SES_CONFIGURATION_SET": CONFIGURATION_SET,
        "SCHEDULE_GROUP_NAME": SCHEDULE_GROUP,
        "SCHEDULER_ROLE_ARN": f"arn:aws:iam::{ACCOUNT}:role/scheduler",
        # Module-scoped: set up before the per-test environment (tests/conftest.py) applies.
        "PUBLIC_API_URL": PUBLIC_API_URL,
    }.items():
        monkeypatch.setenv(name, value)


def _log_queued_webhooks() -> None:
    """Every queued webhook delivery in its endpoint's log, as the sender leaves one that
    succeeded (the endpoints' hosts do not resolve here, so the sender is not run)."""
    sqs = boto3.client("sqs", region_name=REGION)
    url = webhook_settings().webhook_queue_url
    while found := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages"):
        for message in found:
            queued = DeliveryJob.model_validate_json(message["Body"]).delivery()
            attempt = DeliveryAttempt(at=clock.now(), http_status=204, latency_ms=40)
            done = queued.model_copy(
                update={"status": DeliveryStatus.SUCCEEDED, "attempts": (attempt,)}
            )
            assert webhook_deliveries.save(done, None)
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])


def _clear_caches() -> None:
    table_module.reset()
    token_keys.reset()
    secret_box.reset()
    for settings in (
        delivery_settings,
        sending_settings,
        ses_settings,
        trigger_settings,
        link_settings,
        webhook_settings,
    ):
        settings.cache_clear()


@contextmanager
def built_world(*, deliver: bool) -> Iterator[World]:
    """A fresh moto account with both tenants (see the module docstring); with `deliver`,
    their messages are also sent (SENT events for the event lists; SES calls cost time)."""
    from moto import mock_aws

    with pytest.MonkeyPatch.context() as monkeypatch, mock_aws():
        _environment(monkeypatch)
        monkeypatch.setattr(metrics, "namespace", "TenxEmailTest")
        _clear_caches()
        create_table(boto3.client("dynamodb", region_name=REGION), TABLE_NAME)
        create_token_keys(boto3.client("secretsmanager", region_name=REGION), TOKEN_KEYS_SECRET)
        create_webhook_secrets_key(
            boto3.client("kms", region_name=REGION), resources.webhook_secrets_key_alias(STAGE)
        )
        sqs = boto3.client("sqs", region_name=REGION)
        delivery = create_queue(sqs, STAGE, resources.DELIVERY_QUEUE)
        jobs = create_queue(sqs, STAGE, resources.TRIGGER_JOBS_QUEUE)
        webhook_jobs = create_queue(sqs, STAGE, resources.WEBHOOK_QUEUE)
        monkeypatch.setenv("WEBHOOK_QUEUE_URL", webhook_jobs.queue_url)
        monkeypatch.setenv("DELIVERY_QUEUE_URL", delivery.queue_url)
        monkeypatch.setenv("TRIGGER_JOBS_QUEUE_URL", jobs.queue_url)
        monkeypatch.setenv("TRIGGER_JOBS_QUEUE_ARN", queue_arn(jobs.queue_url))
        monkeypatch.setenv("TRIGGER_JOBS_DLQ_ARN", queue_arn(jobs.dead_letter_url))
        _clear_caches()
        boto3.client("scheduler", region_name=REGION).create_schedule_group(Name=SCHEDULE_GROUP)
        boto3.client("sesv2", region_name=REGION).create_configuration_set(
            ConfigurationSetName=CONFIGURATION_SET
        )
        spy = SesSpy(real=boto3.client("sesv2", region_name=REGION))
        monkeypatch.setattr(ses_sending, "_client", lambda region: spy)
        # moto has no GetAccount: SES's rate is the local stack's (devstack/ses_rate.py).
        monkeypatch.setattr(ses_account, "max_send_rate", lambda region: DEFAULT_MAX_SEND_RATE)
        # Delivery records are sent with a 1 s delay (the message is stored right after);
        # the suite hands them to the delivery Lambda itself, so it need not wait.
        monkeypatch.setattr(queues, "DELIVERY_DELAY_SECONDS", 0)

        tenancy.create_account("acc_demo", "Acme Inc")
        tenancy.create_account("acc_globex", "Globex")
        tenancy.create_handle("acme", "acc_demo", sandbox=False)
        tenancy.create_handle("globex", "acc_globex", sandbox=False)
        domains.attach_domain("acc_demo", "example.com", REGION)
        domains.attach_domain("acc_globex", "globex.example", REGION)
        for role, sub in MEMBERS.items():
            tenancy.grant_membership("acme", sub, role)
        tenancy.grant_membership("globex", OUTSIDER, Role.OPERATOR)
        tenancy.grant_membership("globex", GLOBEX_OWNER, Role.OWNER)

        acme = _new_tenant("acme", "acc_demo", "example.com", OWNER, OPERATOR)
        globex = _new_tenant("globex", "acc_globex", "globex.example", GLOBEX_OWNER, OUTSIDER)
        world = World(acme, globex, delivery.queue_url, jobs.queue_url, spy, event_projection())
        for tenant in (acme, globex):
            _seed_tenant(tenant)
        assert run_triggers(world) == []
        if deliver:
            assert run_deliveries(world) == []
        else:
            drain(world.delivery_queue)  # never delivered: the messages stay QUEUED
        # The event lists beyond a message's own read what the projection makes of the stream.
        world.project()
        from tenx_email.dal import messages as message_store

        for tenant in (acme, globex):
            listed = message_store.list_messages(
                tenant.handle, status=None, purpose=None, limit=100, next_token=None, shards=1
            ).items
            tenant.rule_message_ids = [m.message_id for m in listed if m.rule_id]
            assert len(tenant.rule_message_ids) == 2
            expected = "SENT" if deliver else "QUEUED"
            assert all(m.status.value == expected for m in listed), listed
        yield world
        _clear_caches()


@pytest.fixture(scope="module", name="world")
def world_fixture() -> Iterator[World]:
    """The module's world; its messages are still queued (use `world = world_fixture`)."""
    with built_world(deliver=False) as built:
        yield built


@pytest.fixture(scope="module", name="world")
def delivered_world_fixture() -> Iterator[World]:
    """The module's world with every message delivered (`world = delivered_world_fixture`)."""
    with built_world(deliver=True) as built:
        yield built


# --- the identity provider, over real HTTP ---------------------------------------------------


@dataclass
class Jwks:
    """A JWKS endpoint served over HTTP (the authorizer fetches it like the real one), plus
    any other documents an attacker might want the authorizer to fetch."""

    idp: FakeIdp
    url: str
    base: str
    documents: dict[str, bytes]
    requests: list[str] = field(default_factory=list)


@contextmanager
def served_jwks(idp: FakeIdp | None = None) -> Iterator[Jwks]:
    provider = idp or FakeIdp()
    documents = {"/.well-known/jwks.json": json.dumps(provider.jwks()).encode()}
    requests: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            requests.append(self.path)
            document = documents.get(self.path)
            self.send_response(200 if document is not None else 404)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(document or b"{}")

        def log_message(self, *_: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_port}"
    try:
        with pytest.MonkeyPatch.context() as monkeypatch:
            monkeypatch.setenv("JWT_ISSUER", ISSUER)
            monkeypatch.setenv("JWT_AUDIENCE", AUDIENCE)
            monkeypatch.setenv("JWKS_URL", f"{base}/.well-known/jwks.json")
            authentication.reset()
            yield Jwks(provider, f"{base}/.well-known/jwks.json", base, documents, requests)
    finally:
        server.shutdown()
        server.server_close()
        authentication.reset()


# --- what reaches DynamoDB ----------------------------------------------------------------------

PARTITION_KEY_LIMIT = 2048  # bytes (DynamoDB's limits for key attribute values)
SORT_KEY_LIMIT = 1024
_SORT_PLACEHOLDERS = re.compile(
    r"begins_with\s*\([^,]+,\s*(:\w+)\)|BETWEEN\s+(:\w+)\s+AND\s+(:\w+)"
)


def _key_values(name: str, attributes: dict[str, Any]) -> list[tuple[str, int, int]]:
    found = []
    for attribute, typed in attributes.items():
        if attribute in ("PK", "SK") or attribute.startswith("GSI"):
            value = typed.get("S", "") if isinstance(typed, dict) else ""
            limit = SORT_KEY_LIMIT if attribute.endswith("SK") else PARTITION_KEY_LIMIT
            found.append((f"{name}.{attribute}", len(value.encode()), limit))
    return found


def _request_key_sizes(operation: str, body: dict[str, Any]) -> list[tuple[str, int, int]]:
    """(where, bytes, limit) of every key attribute value a DynamoDB request carries."""
    sizes: list[tuple[str, int, int]] = []
    if operation == "Query":
        condition = body.get("KeyConditionExpression", "")
        sort = {p for match in _SORT_PLACEHOLDERS.findall(condition) for p in match if p}
        for placeholder, typed in body.get("ExpressionAttributeValues", {}).items():
            if placeholder in condition:
                limit = SORT_KEY_LIMIT if placeholder in sort else PARTITION_KEY_LIMIT
                value = typed.get("S", "")
                sizes.append((f"Query{placeholder}", len(value.encode()), limit))
        sizes += _key_values("ExclusiveStartKey", body.get("ExclusiveStartKey", {}))
    for name in ("Key", "Item"):
        sizes += _key_values(f"{operation}.{name}", body.get(name, {}))
    for table_request in body.get("RequestItems", {}).values():
        for key in table_request.get("Keys", []) if isinstance(table_request, dict) else []:
            sizes += _key_values(f"{operation}.Keys", key)
    for item in body.get("TransactItems", []):
        for part in item.values():
            sizes += _key_values(f"{operation}.Key", part.get("Key", {}))
            sizes += _key_values(f"{operation}.Item", part.get("Item", {}))
    return sizes


@contextmanager
def watched_dynamodb_keys() -> Iterator[list[str]]:
    """Every DynamoDB request made inside the block through the service's client; yields the
    list of key values over DynamoDB's size limits (moto does not enforce them on queries,
    real DynamoDB answers ValidationException: a 500 for the route)."""
    client = table_module.table().meta.client
    over: list[str] = []

    def inspect_request(model: Any, params: dict[str, Any], **_: Any) -> None:
        body = json.loads(params.get("body") or b"{}")
        for where, size, limit in _request_key_sizes(model.name, body):
            if size > limit:
                over.append(f"{where}: {size} bytes > {limit}")

    client.meta.events.register("before-call.dynamodb", inspect_request)
    try:
        yield over
    finally:
        client.meta.events.unregister("before-call.dynamodb", inspect_request)
