"""Fault injection: a Hypothesis state machine drives the real routes and consumer Lambdas on
moto through duplicated, reordered and lost SQS records, a second concurrent consumer, SES
and DynamoDB faults, crashes on either side of SES and of our writes, operators disabling
the sender, the domain or the delayed rule, and repeated SES feedback (RELIABILITY.md
properties 1-12). A sequence (email, wait, email; exiting on a conversion) runs beside the
rules: captures enroll their leads, its step jobs meet the same faults and their schedules
fire late, twice or not before the end. In the two examples of three that have webhook
endpoints, the fan-out
follows the table's stream in batches handed twice, out of order and shuffled, and the
webhook sender posts to a local receiver that answers 5xx or drops the connection now and
then (webhook_fault_support.py).

After every step: no recipient gets a second SES send (the policy is to never resend after an
interrupted send, so no "+1" is allowed), nothing is SENT without SES having taken it, no
status moves backwards, and a suppressed address is never sent to again. At the end of each
example the faults are lifted and everything drains (time passes the lease, the retries and
the grace period; due schedules fire); then every accepted message is in exactly one final
state, the one the faults it met allow, and the counts add up; and every event of the
history (each stored message's timeline, each rule run's outcomes) reached every endpoint
that subscribes to its type at least once, signed with its secret, and is in the endpoint's
delivery log once, SUCCEEDED, its retries spaced by the schedule, while nothing else arrived
or was logged; and every enrollment ended in one final state, each of its steps sent at most
once and none after it exited.

Only AWS's side and the customer's receiver are faked or hooked (fault_support.py,
webhook_fault_support.py); the service's code runs unchanged.
"""

from __future__ import annotations

import importlib.util
import json
import os
import sys
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import timedelta
from functools import cache
from types import ModuleType
from typing import Any

import boto3
import pytest
from hypothesis import HealthCheck, Phase, event, settings
from hypothesis import strategies as st
from hypothesis.control import currently_in_test_context
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
)
from moto import mock_aws

from devstack.environment import DEFAULT_MAX_SEND_RATE
from devstack.resources import create_queue, create_table, create_token_keys
from functions import deliver, feedback, project_events, send_webhooks, trigger
from tenx_email import clock, keys, resources
from tenx_email.adapters import ses_account, ses_sending, token_keys
from tenx_email.campaign_models import EnrollmentStatus
from tenx_email.dal import domains as domain_store
from tenx_email.dal import table as table_module
from tenx_email.dal.enrollment_items import EnrollmentItem
from tenx_email.dal.message_items import EventFeedItem, MessageItem, SuppressionItem
from tenx_email.identity_models import IdentityStatus
from tenx_email.message_models import Message, MessageStatus
from tenx_email.observability import metrics
from tenx_email.roles import Role
from tenx_email.services import delivery, domains, tenancy, webhooks
from tenx_email.services.recipient_state import SENT_FAMILY
from tenx_email.settings import (
    delivery_settings,
    sending_settings,
    ses_settings,
    trigger_settings,
    webhook_settings,
)
from tests.conftest import TABLE_NAME, TOKEN_KEYS_SECRET
from tests.events import FakeLambdaContext, invoke
from tests.integration.conftest import MEMBERS
from tests.integration.delivery_support import CONFIGURATION_SET, REGION, STAGE
from tests.integration.fault_support import (
    FINAL_CALLS,
    TAKEN,
    Crash,
    DynamoFault,
    DynamoFaultKind,
    DynamoFaults,
    FaultySes,
    MotoStreams,
    Outcome,
    SesCall,
    SesFault,
    VirtualSqs,
    run_batch,
    ses_event,
    stored_items,
)
from tests.integration.sequence_support import EMAIL, create_sequence, sequence_body
from tests.integration.test_send_routes import SENDER, TEMPLATE
from tests.integration.webhook_fault_support import (
    DROP,
    RECEIVER_FAULTS,
    WEBHOOK_ENDPOINTS,
    FaultyReceiver,
    WebhookWorld,
)

HANDLE = "acme"
CAMPAIGN = {"handle": HANDLE, "campaignId": "cmp_welcome"}
OPERATOR = MEMBERS[Role.OPERATOR]
SENDER_PATH = {"handle": HANDLE, "senderId": "sender_notifications"}
GROUP = "tenx-email-test-campaign-delays"
ADDRESSES = ("a@example.org", "b@example.org", "c@example.org", "d@example.org")
IDEMPOTENCY_KEYS = ("key-1", "key-2", "key-3", "key-4", "key-5")
FIRST_NAMES = ("Asha", "Ravi")
RULE = {"templateId": "tmpl_lead_followup", "senderId": "sender_notifications", "enabled": True}
IMMEDIATE = {**RULE, "trigger": "LEAD_CAPTURED"}
DELAYED = {**RULE, "trigger": "LEAD_CAPTURED_DELAYED", "delayMinutes": 15}
CONVERSION = {**RULE, "trigger": "CONVERSION"}
LEASE_SECONDS = int(delivery.LEASE.total_seconds())
# Long enough for every retry to come back (postponed at most 15 min; a crashed batch after
# the 6 min visibility timeout), for stale claims to expire and orphan records to be dropped.
DRAIN_STEP_SECONDS = delivery.RETRY_CAP_SECONDS + 1
DRAIN_ROUNDS = 12
# Enough for every interleaving to matter, few enough to keep moto fast (its transactions copy
# the whole table) and the whole run near a minute.
MAX_DIRECT_MESSAGES = 6
MAX_CAMPAIGN_EVENTS = 4
# The sequence beside the rules: an email now, another after the shortest wait.
DRIP = [EMAIL, {"type": "wait", "minutes": 15}, EMAIL]

# Where a DynamoDB fault may land, per invocation: an operation, and which of its requests
# (fault_support.classify). Each invocation meets at most one, drawn with it.
SEND_TARGETS = (("BatchGetItem", "any"), ("TransactWriteItems", "accept"))
EVENT_TARGETS = (("BatchGetItem", "any"), ("GetItem", "any"), ("PutItem", "any"))
TRIGGER_TARGETS = (
    ("GetItem", "any"),
    ("BatchGetItem", "any"),
    ("Query", "any"),
    ("PutItem", "any"),
    ("BatchWriteItem", "any"),
    ("PutItem", "rule_accept"),
    ("TransactWriteItems", "accept"),  # a sequence step's message with its enrollment's move
)
# Delivery's own transitions are drawn more often than its reads.
# Delivery reads a batch with BatchGetItem, and by GetItem only when it falls back.
DELIVERY_TARGETS = (
    ("GetItem", "any"),
    *[("BatchGetItem", "any")] * 2,
    *[("UpdateItem", "claim"), ("UpdateItem", "release"), ("UpdateItem", "settle_claimed")] * 2,
    ("UpdateItem", "settle_queued"),
    ("UpdateItem", "set_status"),
)
# The fan-out reads the endpoints (Query) and writes nothing to the table; the sender reads a
# batch's deliveries with their endpoints (BatchGetItem), stores each attempt (PutItem: a crash
# after it leaves the record to come back and find its attempt logged) and the endpoint's
# health (UpdateItem).
FAN_OUT_TARGETS = (("Query", "any"),)
WEBHOOK_SENDER_TARGETS = (("BatchGetItem", "any"), ("PutItem", "any"), ("UpdateItem", "any"))
FEEDBACK_TARGETS = (
    ("BatchGetItem", "any"),
    ("GetItem", "any"),
    ("PutItem", "any"),
    ("UpdateItem", "advance"),
    # An event recorded without a status move (and a message's catch-up) look alike.
    ("UpdateItem", "set_status"),
)
ENVIRONMENT = (
    "DELIVERY_QUEUE_URL",
    "TRIGGER_JOBS_QUEUE_URL",
    "TRIGGER_JOBS_QUEUE_ARN",
    "TRIGGER_JOBS_DLQ_ARN",
    "SCHEDULE_GROUP_NAME",
    "SCHEDULER_ROLE_ARN",
    "SES_REGION",
    "SES_CONFIGURATION_SET",
    "WEBHOOK_QUEUE_URL",
)

ON = ["sender on", "domain on", "rule on"]
Faults = Sequence[tuple[tuple[str, str], DynamoFaultKind]]


def dynamo_faults(
    targets: tuple[tuple[str, str], ...], none: int = 2
) -> st.SearchStrategy[list[Any]]:
    """No fault (`none` times out of `none` + 1) or one among the invocation's requests."""
    fault = st.tuples(st.sampled_from(targets), st.sampled_from(list(DynamoFaultKind)))
    return st.one_of(*[st.just([])] * none, st.lists(fault, min_size=1, max_size=1))


# 1-3 recipients, some spelled in another case (the same address to the service).
RECIPIENTS = st.lists(st.tuples(st.sampled_from(ADDRESSES), st.booleans()), min_size=1, max_size=3)
# Each SES call of the invocation, in order: most go through.
SES_FAULTS = st.lists(st.sampled_from([None, None, *SesFault]), max_size=3)


class _Active:
    """The SES spy of the running example (the adapter's client factory returns it)."""

    ses: FaultySes | None = None
    receiver: FaultyReceiver | None = None  # the customer's, for the whole module


def _clear_settings() -> None:
    for cached in (
        delivery_settings,
        trigger_settings,
        ses_settings,
        sending_settings,
        webhook_settings,
    ):
        cached.cache_clear()


@pytest.fixture(autouse=True, scope="module")
def _webhook_receiver() -> Iterator[None]:
    _Active.receiver = FaultyReceiver()
    yield
    _Active.receiver.close()
    _Active.receiver = None


@pytest.fixture(autouse=True)
def _fault_injection_environment(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    # Registered with monkeypatch so they are removed afterwards; each example sets them.
    for name in ENVIRONMENT:
        monkeypatch.setenv(name, "")
    monkeypatch.setattr(metrics, "namespace", "TenxEmailTest")
    monkeypatch.setattr(ses_sending, "_client", lambda region: _Active.ses)
    # moto has no GetAccount: SES's rate is the local stack's (devstack/ses_rate.py).
    monkeypatch.setattr(ses_account, "max_send_rate", lambda region: DEFAULT_MAX_SEND_RATE)
    # As on the local stage: webhook endpoints may be http on 127.0.0.1 (the receiver).
    monkeypatch.setattr(webhooks, "allows_private_targets", lambda: True)
    monkeypatch.setattr(clock, "_offset", timedelta())
    table_module.reset()
    yield
    table_module.reset()
    _clear_settings()


@cache
def _elsewhere() -> ModuleType:
    """A second copy of the delivery function (its own batch processor), as a second Lambda
    execution environment has."""
    spec = importlib.util.spec_from_file_location("deliver_elsewhere", deliver.__file__)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@cache
def _client(service: str) -> Any:
    """boto3 clients outlive each example's moto: they are only bound to its endpoints."""
    return boto3.client(service, region_name=REGION)


def _stored(prefix: str) -> list[dict[str, Any]]:
    return stored_items(TABLE_NAME, f"HANDLE#{HANDLE}", prefix)


def _outcome(message: Message) -> MessageStatus:
    """The message status its recipients call for (docs/guarantees.md)."""
    statuses = [recipient.status for recipient in message.recipients]
    sent = [status for status in statuses if status in SENT_FAMILY]
    if sent:
        return max(sent, key=lambda status: status.rank)
    if all(status is MessageStatus.DENIED for status in statuses):
        return MessageStatus.DENIED
    if MessageStatus.UNKNOWN in statuses:
        return MessageStatus.UNKNOWN
    return MessageStatus.FAILED


def _news(reported: set[str]) -> MessageStatus:
    """A sent recipient's status after the SES events reported for it."""
    if "Bounce" in reported:
        return MessageStatus.BOUNCED
    if "Delivery" in reported:
        return MessageStatus.DELIVERED
    return MessageStatus.SENT


class FaultInjection(RuleBasedStateMachine):
    """The world of one example: a tenant with a READY sender, a template, an immediate, a
    delayed and a conversion rule, the three queues and the schedule group, on a fresh moto.

    The model keeps only what a client and an operator can know: what the routes answered,
    which faults were injected and where they struck (the hooks say), what SES was asked and
    answered, which SES events were published, and how the sender, its domain and the
    delayed rule were set, and when."""

    def __init__(self) -> None:
        super().__init__()
        self.mock = mock_aws()
        self.mock.start()
        self.closed = self.finished = False
        self.ticks = 0
        # When each delivery invocation under way started (a second consumer runs inside the
        # first): the last is the one making SES calls.
        self.batches_started: list[int] = []
        self.step = 0
        self.dirty = True  # something may have written messages since the last check
        # Direct sends: idempotency key -> (request, message id); message -> recipients.
        self.keys: dict[str, tuple[tuple[tuple[str, ...], str], str]] = {}
        self.direct: dict[str, list[str]] = {}
        self.leads: list[str] = []
        self._converted: dict[str, bool] = {}  # leads whose conversion was accepted
        self.events: dict[str, str] = {}  # event id -> LEAD_CAPTURED or CONVERSION
        self.schedules: list[str] = []
        self.delayed_state = "enabled"
        self.delayed_must: set[str] = set()  # fired and processed while the rule was on
        self.delayed_may: set[str] = set()  # fired and attempted while the rule was on
        self.sender_enabled = True
        self.sender_identity_ready = True
        self.domain_ready = True
        self.denials: list[tuple[int, str | None]] = [(0, None)]  # (from step, refusal)
        self.reported: dict[tuple[str, int], set[str]] = {}
        self.suppressed_at: dict[str, int] = {}
        self.first_seen: dict[str, int] = {}
        self.ranks: dict[str, tuple[int, list[int]]] = {}
        self.redriven: Counter[str] = Counter()  # queue -> records an operator redrove
        self.current_batch: list[dict[str, Any]] = []
        try:
            self._build()
        except BaseException:
            self.mock.stop()
            raise

    # --- the world -------------------------------------------------------------------

    def _build(self) -> None:
        create_table(_client("dynamodb"), TABLE_NAME)
        create_token_keys(_client("secretsmanager"), TOKEN_KEYS_SECRET)
        token_keys.reset()
        tenancy.create_account("acc_demo", "Acme Inc")
        tenancy.create_handle(HANDLE, "acc_demo", sandbox=False)
        domains.attach_domain("acc_demo", "example.com", REGION)
        tenancy.grant_membership(HANDLE, OPERATOR, Role.OPERATOR)
        tenancy.register_campaign(HANDLE, CAMPAIGN["campaignId"], "Welcome")
        sesv2 = _client("sesv2")
        sesv2.create_configuration_set(ConfigurationSetName=CONFIGURATION_SET)
        self.sqs = VirtualSqs(_client("sqs"))
        self.delivery_urls = create_queue(self.sqs.sqs, STAGE, resources.DELIVERY_QUEUE)
        self.trigger_urls = create_queue(self.sqs.sqs, STAGE, resources.TRIGGER_JOBS_QUEUE)
        self.feedback_urls = create_queue(self.sqs.sqs, STAGE, resources.FEEDBACK_QUEUE)
        self.scheduler = _client("scheduler")
        self.scheduler.create_schedule_group(Name=GROUP)
        os.environ.update(
            {
                "DELIVERY_QUEUE_URL": self.delivery_urls.queue_url,
                "TRIGGER_JOBS_QUEUE_URL": self.trigger_urls.queue_url,
                "TRIGGER_JOBS_QUEUE_ARN": self.sqs.arn(self.trigger_urls.queue_url),
                "TRIGGER_JOBS_DLQ_ARN": self.sqs.arn(self.trigger_urls.dead_letter_url),
                "SCHEDULE_GROUP_NAME": GROUP,
                "SCHEDULER_ROLE_ARN": "arn:aws:iam::123456789012:role/scheduler",
                "SES_REGION": REGION,
                "SES_CONFIGURATION_SET": CONFIGURATION_SET,
            }
        )
        _clear_settings()
        self.ses = FaultySes(
            real=sesv2,
            tick=self._tick,
            batch_started=lambda: self.batches_started[-1],
            refusal=self._denial,
        )
        self.ses.on_feedback_first = self._feedback_first
        _Active.ses = self.ses
        self.dynamo = DynamoFaults(table_module.table().meta.client)
        assert self._admin("put_sender", SENDER_PATH, SENDER)[0] == 200
        assert self._admin("create_template", {"handle": HANDLE}, TEMPLATE)[0] == 201
        self.rules: dict[str, str] = {}
        for name, body in (("immediate", IMMEDIATE), ("delayed", DELAYED), ("conv", CONVERSION)):
            status, created = self._admin("create_email_rule", CAMPAIGN, body)
            assert status == 201, created
            self.rules[name] = created["rule"]["ruleId"]
        self.sequence = create_sequence(
            self._admin, CAMPAIGN, sequence_body(DRIP, exitOn=["CONVERSION"])
        )
        assert _Active.receiver is not None
        self.webhooks = WebhookWorld(
            self.sqs, _client("kms"), _Active.receiver, self._admin, HANDLE
        )
        # The event projection follows the stream beside the fan-out (it writes the rule
        # messages' MESSAGE_CREATED runs the fan-out then tells).
        self.project = MotoStreams(TABLE_NAME).source(
            resources.EVENT_PROJECTION,
            lambda batch: project_events.handler(batch, FakeLambdaContext()),
        )

    def _tick(self) -> int:
        self.ticks += 1
        return self.ticks

    def _admin(
        self,
        route: str,
        path: dict[str, str],
        body: Any = None,
        query: dict[str, str] | None = None,
    ) -> tuple[int, Any]:
        """An operator's request, which no fault is injected into."""
        with self.dynamo.paused():
            return invoke(route, path, sub=OPERATOR, body=body, query=query)

    def _request(self, route: str, path: dict[str, str], body: Any) -> tuple[int, Any]:
        """A client's request: a Lambda that raised or died is API Gateway's 502, and only
        an injected fault may cause one."""
        struck = len(self.dynamo.hits)
        try:
            status, answer = invoke(route, path, sub=OPERATOR, body=body)
        except (Crash, Exception) as error:
            status, answer = 502, repr(error)
        if status >= 500:
            assert len(self.dynamo.hits) > struck, f"{route} failed on its own: {answer}"
        return status, answer

    def _arm(self, faults: Faults) -> None:
        for (operation, request), kind in faults:
            if kind is DynamoFaultKind.CONFLICT and operation != "TransactWriteItems":
                kind = DynamoFaultKind.THROTTLE
            self.dynamo.armed.append(DynamoFault(operation, kind, request))

    def _lift(self) -> None:
        """Faults drawn for an invocation end with it, struck or not."""
        self.dynamo.armed.clear()
        self.dynamo.before_next.clear()
        self.ses.armed.clear()
        self.ses.during_next_send = None
        self.webhooks.receiver.armed.clear()

    def _pass_time(self, seconds: int) -> None:
        clock.advance(timedelta(seconds=seconds))
        self.sqs.pass_time(seconds)

    def _denial(self) -> str | None:
        """What delivery's re-check refuses now, in its order (services/delivery.py)."""
        if not self.domain_ready:
            return "domain_email_identity_not_ready"
        if not (self.sender_enabled and self.sender_identity_ready):
            return "sender_profile_not_ready"
        return None

    def _note_denial(self) -> None:
        self.denials.append((self.step, self._denial()))

    # --- direct sends ----------------------------------------------------------------

    @initialize(
        sends=st.lists(
            st.tuples(
                RECIPIENTS,
                st.sampled_from(IDEMPOTENCY_KEYS),
                st.sampled_from(FIRST_NAMES),
                st.booleans(),
            ),
            min_size=1,
            max_size=3,
        ),
        leads=st.lists(st.sampled_from(ADDRESSES), max_size=2),
        endpoints=WEBHOOK_ENDPOINTS,
    )
    def first_traffic(
        self,
        sends: list[tuple[list[tuple[str, bool]], str, str, bool]],
        leads: list[str],
        endpoints: list[str] | None,
    ) -> None:
        """Every example starts with some messages and leads, whichever rules it then uses
        (Hypothesis leaves some rules out of each example), and webhook endpoints or none."""
        if endpoints is not None:
            self.webhooks.subscribe(endpoints)
        for to, key, first_name, twice in sends:
            self.send(to, key, first_name, faults=(), retries=0, twice=twice)
        for address in leads:
            self.do_capture(address)

    @rule(
        to=RECIPIENTS,
        key=st.sampled_from(IDEMPOTENCY_KEYS),
        first_name=st.sampled_from(FIRST_NAMES),
        faults=dynamo_faults(SEND_TARGETS),
        retries=st.integers(0, 2),
        twice=st.sampled_from([False, False, False, True]),
    )
    def send(
        self,
        to: list[tuple[str, bool]],
        key: str,
        first_name: str,
        faults: Faults,
        retries: int,
        twice: bool,
    ) -> None:
        if len(self.direct) >= MAX_DIRECT_MESSAGES:
            return
        addresses = [address.capitalize() if shout else address for address, shout in to]
        self.do_send(addresses, key, first_name, () if twice else faults, retries, twice=twice)

    def do_send(
        self,
        to: list[str],
        key: str,
        first_name: str,
        faults: Faults = (),
        retries: int = 0,
        *,
        twice: bool = False,
    ) -> None:
        """POST a direct send (its first attempt meets `faults`); after a 5xx the client
        retries with the same key, up to `retries` times. `twice`: the same request arrives
        again while the first is storing its message (a client's impatient retry)."""
        self.dirty = True
        first: dict[str, str] = {}
        for address in to:
            first.setdefault(address.lower(), address)
        unique = list(first.values())
        request = (tuple(sorted(first)), first_name)
        body = {
            "senderId": "sender_notifications",
            "to": to,
            "purpose": "TRANSACTIONAL_API",
            "idempotencyKey": key,
            "consentAttestation": True,
            "templateId": "tmpl_lead_followup",
            "variables": {"firstName": first_name, "service": "setup"},
        }
        self._arm(list(faults))
        concurrent: list[tuple[int, Any]] = []
        if twice:
            self.dynamo.before_next["accept"] = lambda: concurrent.append(
                self._request("send_message", {"handle": HANDLE}, body)
            )
        for _ in range(retries + 1):
            expected = self._expected_send(request, key, unique)
            struck = len(self.dynamo.hits)
            status, answer = self._request("send_message", {"handle": HANDLE}, body)
            self._lift()
            if status >= 500:
                # Property 11: what a failed request wrote before failing is the message its
                # retry replays; anything else left nothing behind.
                for hit in self.dynamo.hits[struck:]:
                    if hit.request.kind == "accept" and hit.applied:
                        assert hit.request.message_id is not None
                        self._accepted(key, request, hit.request.message_id, unique)
                continue
            if expected[0] == 202:
                assert status == 202, answer
                message_id = answer["message"]["messageId"]
                if expected[1] is not None:
                    assert message_id == expected[1], "a replay answered another message"
                else:
                    assert message_id not in self.direct, "a new request replayed a message"
                    self._accepted(key, request, message_id, unique)
                for twin_status, twin in concurrent:  # concurrent duplicates make one message
                    assert twin_status == 202, twin
                    assert twin["message"]["messageId"] == message_id, "two messages, one key"
            else:
                assert (status, answer["error"]) == expected, answer
            return

    def _expected_send(
        self, request: tuple[tuple[str, ...], str], key: str, unique: list[str]
    ) -> tuple[int, str | None]:
        if key in self.keys:
            known, message_id = self.keys[key]
            return (202, message_id) if known == request else (409, "idempotency_key_conflict")
        if not (self.sender_enabled and self.sender_identity_ready):
            return 409, "sender_profile_not_ready"
        if any(address.lower() in self.suppressed_at for address in unique):
            return 409, "email_recipient_suppressed"
        return 202, None

    def _accepted(
        self,
        key: str,
        request: tuple[tuple[str, ...], str],
        message_id: str,
        recipients: list[str],
    ) -> None:
        self.keys[key] = (request, message_id)
        self.direct[message_id] = recipients

    # --- campaign events and trigger jobs --------------------------------------------

    @rule(data=st.data(), faults=dynamo_faults(EVENT_TARGETS))
    def campaign_event(self, data: st.DataObject, faults: Faults) -> None:
        """A lead is captured, or one of the captured leads converts (the HTTP routes)."""
        if len(self.events) >= MAX_CAMPAIGN_EVENTS:
            return
        if self.leads and data.draw(st.booleans(), label="conversion"):
            self.do_convert(data.draw(st.sampled_from(self.leads), label="lead"), faults)
        else:
            self.do_capture(data.draw(st.sampled_from(ADDRESSES), label="email"), faults)

    def do_capture(self, address: str, faults: Faults = ()) -> None:
        self._arm(list(faults))
        status, answer = self._request("capture_lead", CAMPAIGN, {"email": address, "name": "Asha"})
        self._lift()
        if status == 202:
            self.events[answer["eventId"]] = "LEAD_CAPTURED"
            self.leads.append(answer["leadId"])
        else:
            assert status >= 500, answer

    def do_convert(self, lead_id: str, faults: Faults = ()) -> None:
        self._arm(list(faults))
        status, answer = self._request("record_conversion", CAMPAIGN, {"leadId": lead_id})
        self._lift()
        if status == 202:
            self.events[answer["eventId"]] = "CONVERSION"
            self._converted[lead_id] = True
        else:
            assert status >= 500, answer

    @rule(data=st.data(), faults=dynamo_faults(TRIGGER_TARGETS))
    def run_trigger_jobs(self, data: st.DataObject, faults: Faults) -> None:
        if records := self.sqs.receive(self.trigger_urls.queue_url):
            batch = self._shape(data, records)
            self._arm(faults)
            self._run_trigger(batch, self._lost_delete(data, batch))
            self._lift()

    def _run_trigger(self, batch: list[dict[str, Any]], lost_delete: str | None = None) -> None:
        self.dirty = True
        active = self.delayed_state == "enabled"
        result = run_batch(
            self.sqs, self.trigger_urls.queue_url, trigger.handler, batch, lost_delete=lost_delete
        )
        jobs = {record["MessageId"]: json.loads(record["Body"]) for record in batch}
        fired = {key: job["eventId"] for key, job in jobs.items() if job["kind"] == "delayed-rule"}
        if active:
            self.delayed_may |= set(fired.values())
            self.delayed_must |= {
                fired[record["MessageId"]]
                for record in result.succeeded()
                if record["MessageId"] in fired
            }
        listed = self.scheduler.list_schedules(GroupName=GROUP)["Schedules"]
        self.schedules = sorted(schedule["Name"] for schedule in listed)

    @rule(data=st.data(), copies=st.integers(1, 2))
    def fire_schedule(self, data: st.DataObject, copies: int) -> None:
        if self.schedules:
            self.do_fire(data.draw(st.sampled_from(self.schedules), label="schedule"), copies)

    def do_fire(self, name: str, copies: int = 1) -> None:
        """The Scheduler puts the schedule's input on the trigger-jobs queue (at least once),
        then deletes the schedule (ActionAfterCompletion: DELETE)."""
        schedule = self.scheduler.get_schedule(Name=name, GroupName=GROUP)
        for _ in range(copies):
            self.sqs.sqs.send_message(
                QueueUrl=self.trigger_urls.queue_url, MessageBody=schedule["Target"]["Input"]
            )
        self.scheduler.delete_schedule(Name=name, GroupName=GROUP)
        self.schedules.remove(name)

    # --- operators -------------------------------------------------------------------

    # Back on more often than off, so that most messages get their chance to be sent.
    @rule(change=st.sampled_from(["sender off", "domain off", "rule off", "rule gone", *ON * 2]))
    def operator_change(self, change: str) -> None:
        """An operator disables or re-enables the sender, the domain's identity changes, or
        the delayed rule is disabled, re-enabled or deleted: all while messages are queued."""
        subject, state = change.split()
        if subject == "sender":
            self.do_put_sender(enabled=state == "on")
        elif subject == "domain":
            self.do_set_domain(ready=state == "on")
        elif self.delayed_state != "deleted":
            self.do_change_delayed_rule(state)

    def do_change_delayed_rule(self, change: str) -> None:
        path = {**CAMPAIGN, "ruleId": self.rules["delayed"]}
        if change == "gone":
            status, _ = self._admin("delete_email_rule", path)
            assert status == 204
            self.delayed_state = "deleted"
            return
        enabled = change == "on"
        status, answer = self._admin("update_email_rule", path, {**DELAYED, "enabled": enabled})
        if not (self.sender_enabled and self.sender_identity_ready):
            assert (status, answer["error"]) == (409, "sender_not_ready"), answer
            return
        assert status == 200, answer
        self.delayed_state = "enabled" if enabled else "disabled"

    def do_put_sender(self, *, enabled: bool) -> None:
        status, answer = self._admin("put_sender", SENDER_PATH, {**SENDER, "enabled": enabled})
        if enabled and not self.domain_ready:
            assert (status, answer["error"]) == (409, "domain_email_identity_not_ready")
            return
        assert status == 200, answer
        self.sender_enabled, self.sender_identity_ready = enabled, self.domain_ready
        self._note_denial()

    def do_set_domain(self, *, ready: bool) -> None:
        """The domain's identity changes (as reconcile records it) without touching the
        sender's copy: the send route still accepts; delivery re-checks the domain."""
        with self.dynamo.paused():
            identity = domain_store.get("acc_demo", "example.com")
            assert identity is not None
            status = IdentityStatus.READY if ready else IdentityStatus.FAILED
            domain_store.save(identity.model_copy(update={"status": status}))
        self.domain_ready = ready
        self._note_denial()

    # --- delivery --------------------------------------------------------------------

    @rule(data=st.data(), ses=SES_FAULTS, faults=dynamo_faults(DELIVERY_TARGETS, none=1))
    def run_delivery(self, data: st.DataObject, ses: list[SesFault | None], faults: Faults) -> None:
        """The delivery Lambda takes a batch; its SES calls and DynamoDB requests meet the
        faults drawn with it. Now and then it starts with too little time for an SES call."""
        self._pass_time(1)  # the send route's DelaySeconds
        if records := self.sqs.receive(self.delivery_urls.queue_url):
            batch = self._shape(data, records)
            remaining = data.draw(st.sampled_from([60_000] * 5 + [14_000]), label="remaining ms")
            if any(target == ("UpdateItem", "release") for target, _ in faults):
                ses = [SesFault.THROTTLE, *ses]  # a claim is only given back after a throttle
            self.ses.armed[:] = ses
            self._arm(faults)
            self._run_delivery(batch, remaining, self._lost_delete(data, batch))
            self._lift()

    @rule(data=st.data(), ses=SES_FAULTS, point=st.sampled_from(["inside SES", "before a claim"]))
    def run_two_consumers(
        self, data: st.DataObject, ses: list[SesFault | None], point: str
    ) -> None:
        """Two consumers run the same records at once: the second runs in the middle of the
        first, inside its first SES call or just before its first claim (property 2)."""
        self._pass_time(1)
        if records := self.sqs.receive(self.delivery_urls.queue_url):
            batch = self._shape(data, records)
            self.ses.armed[:] = ses
            if point == "inside SES":
                self.ses.during_next_send = self._second_consumer
            else:
                self.dynamo.before_next["claim"] = self._second_consumer
            self._run_delivery(batch)
            self._lift()

    def do_deliver(self, ses: Sequence[SesFault | None] = (), faults: Faults = ()) -> None:
        """One delivery invocation on whatever is visible, meeting the given faults."""
        self._pass_time(1)
        if records := self.sqs.receive(self.delivery_urls.queue_url):
            self.ses.armed[:] = ses
            self._arm(faults)
            self._run_delivery(records)
            self._lift()

    def do_run_triggers(self, faults: Faults = ()) -> None:
        if records := self.sqs.receive(self.trigger_urls.queue_url):
            self._arm(faults)
            self._run_trigger(records)
            self._lift()

    def _run_delivery(
        self, batch: list[dict[str, Any]], remaining_ms: int = 60_000, lost: str | None = None
    ) -> None:
        self.dirty = True
        self.current_batch = batch
        self.batches_started.append(self._tick())
        try:
            run_batch(
                self.sqs,
                self.delivery_urls.queue_url,
                deliver.handler,
                batch,
                remaining_ms=remaining_ms,
                lost_delete=lost,
            )
        finally:
            self.current_batch = []
            self.batches_started.pop()

    def _second_consumer(self) -> None:
        """Another poller got the same records and runs them now (its crash is its own)."""
        if self.current_batch:
            batch = list(self.current_batch)
            self.batches_started.append(self._tick())
            try:
                run_batch(self.sqs, self.delivery_urls.queue_url, _elsewhere().handler, batch)
            finally:
                self.batches_started.pop()

    @rule(seconds=st.sampled_from([5, 30, LEASE_SECONDS + 1, 400]))
    def time_passes(self, seconds: int) -> None:
        self._pass_time(seconds)

    # --- SES feedback ----------------------------------------------------------------

    @rule(data=st.data(), kind=st.sampled_from(["Delivery", "Bounce"]), copies=st.integers(1, 2))
    def ses_reports(self, data: st.DataObject, kind: str, copies: int) -> None:
        if taken := [call for call in self.ses.calls if call.outcome in TAKEN]:
            self.do_report(data.draw(st.sampled_from(taken), label="send"), kind, copies)

    def do_report(self, call: SesCall, kind: str, copies: int = 1) -> None:
        """SES publishes an event for a send it took; EventBridge delivers it at least once."""
        body = ses_event(f"ses-event-{self._tick()}", kind, call, CONFIGURATION_SET)
        self.reported.setdefault(call.recipient, set()).add(kind)
        for _ in range(copies):
            self.sqs.sqs.send_message(QueueUrl=self.feedback_urls.queue_url, MessageBody=body)

    @rule(data=st.data(), faults=dynamo_faults(FEEDBACK_TARGETS))
    def run_feedback(self, data: st.DataObject, faults: Faults) -> None:
        if records := self.sqs.receive(self.feedback_urls.queue_url):
            batch = self._shape(data, records)
            self._arm(faults)
            self._run_feedback(batch, self._lost_delete(data, batch))
            self._lift()

    def _run_feedback(self, batch: list[dict[str, Any]], lost: str | None = None) -> None:
        self.dirty = True
        run_batch(self.sqs, self.feedback_urls.queue_url, feedback.handler, batch, lost_delete=lost)
        for item in _stored("SUPP#"):
            self.suppressed_at.setdefault(SuppressionItem.from_item(item).email, self._tick())

    def _feedback_first(self, call: SesCall) -> None:
        """SES's Delivery event is handled before delivery records the send."""
        self.do_report(call, "Delivery")
        if records := self.sqs.receive(self.feedback_urls.queue_url):
            self._run_feedback(records)

    # --- webhooks ----------------------------------------------------------------------

    @precondition(lambda self: bool(self.webhooks.subscribers))
    @rule(data=st.data(), faults=dynamo_faults(FAN_OUT_TARGETS, none=1))
    def run_fan_out(self, data: st.DataObject, faults: Faults) -> None:
        """The projection and the fan-out follow the stream, the fan-out's batches handed
        twice, out of order and shuffled (a failed one comes again later)."""
        self.project()
        struck = len(self.dynamo.hits)
        self._arm(faults)
        failures = self.webhooks.fan_out(data)
        self._lift()
        assert not failures or len(self.dynamo.hits) > struck, f"fan-out failed: {failures}"

    @precondition(lambda self: bool(self.webhooks.subscribers))
    @rule(data=st.data(), answers=RECEIVER_FAULTS, faults=dynamo_faults(WEBHOOK_SENDER_TARGETS))
    def run_webhook_sender(
        self, data: st.DataObject, answers: list[int | str | None], faults: Faults
    ) -> None:
        """The fan-out follows the stream (as in run_fan_out, without a fault), then the sender
        takes batch after batch of what is visible (records twice, in any order, a delete
        lost), the receiver answering the first POSTs as drawn, and one of the sender's
        DynamoDB requests may meet the fault drawn."""
        self.run_fan_out(data, [])
        self.do_send_webhooks(answers, faults, data)

    def do_send_webhooks(
        self,
        answers: Sequence[int | str | None] = (),
        faults: Faults = (),
        data: st.DataObject | None = None,
    ) -> None:
        """The sender over what the webhook queue shows (with `data`, shaped as SQS may), the
        receiver answering the first POSTs as given, meeting the given faults."""
        url = self.webhooks.queue_url
        self.webhooks.receiver.armed[:] = answers
        self._arm(faults)
        while records := self.sqs.receive(url):
            batch = self._shape(data, records) if data else records
            lost = self._lost_delete(data, batch) if data else None
            run_batch(self.sqs, url, send_webhooks.handler, batch, lost_delete=lost)
        self._lift()

    def drain_webhooks(self) -> None:
        """Faults lifted: the fan-out takes the rest of the stream (the MESSAGE_CREATED runs
        the projection writes last among it), then the sender works the queue until it is
        empty, time passing to each postponed retry."""
        if not self.webhooks.subscribers:
            return
        self.project()
        assert not self.webhooks.fan_out(), "the fan-out failed without a fault"
        url = self.webhooks.queue_url
        for _ in range(DRAIN_ROUNDS):
            while records := self.sqs.receive(url):
                run_batch(self.sqs, url, send_webhooks.handler, records)
            self.redriven["webhooks"] += self.sqs.redrive(self.webhooks.dead_letter_url, url)
            if (due := self.sqs.seconds_until_due(url)) is None:
                assert not self.sqs.depth(url), "webhook records left that never come back"
                return
            self._pass_time(due)
        pytest.fail("the webhook queue never drained")

    # --- SQS delivers at least once, in any order -------------------------------------

    def _shape(self, data: st.DataObject, records: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Some records twice in the batch, in any order."""
        twice = data.draw(st.lists(st.integers(0, len(records) - 1), max_size=2), label="twice")
        return list(data.draw(st.permutations(records + [records[i] for i in twice]), "order"))

    def _lost_delete(self, data: st.DataObject, batch: list[dict[str, Any]]) -> str | None:
        """A record whose delete does not take: SQS delivers it again."""
        ids = [record["MessageId"] for record in batch]
        return data.draw(st.sampled_from([None, None, None, *ids]), label="lost delete")

    # --- after every step ------------------------------------------------------------

    def _messages(self) -> dict[str, Message]:
        found = [MessageItem.from_item(item).to_domain() for item in _stored("MSG#")]
        return {message.message_id: message for message in found}

    @invariant()
    def properties_hold_after_every_step(self) -> None:
        self.step += 1
        if not self.dirty:
            return
        self.dirty = False
        calls = self.ses.by_recipient()
        for recipient, made in calls.items():
            assert all(call.outcome is not Outcome.PENDING for call in made)
            final = [call for call in made if call.outcome in FINAL_CALLS]
            # Properties 1, 2 and 6: one send per recipient, and no call after it.
            assert len(final) <= 1, f"{recipient}: {[c.outcome.value for c in made]}"
            assert not final or made[-1] is final[0], f"{recipient} called after its send"
        for call in self.ses.calls:
            # Property 7 and the suppression list: nothing reaches SES that the re-check
            # must refuse, and it reads the suppressions when its batch starts.
            since = self.suppressed_at.get(call.address.lower())
            assert since is None or call.batch_started < since, (
                f"sent to {call.address} suppressed before its batch started"
            )
            assert call.refusal is None, f"sent to {call.address} though {call.refusal}"
        for message_id, message in self._messages().items():
            self.first_seen.setdefault(message_id, self.step)
            ranks = [recipient.status.rank for recipient in message.recipients]
            before = self.ranks.get(message_id, (0, [0] * len(ranks)))
            assert message.status.rank >= before[0], f"{message_id} moved back"
            assert all(now >= then for now, then in zip(ranks, before[1], strict=True))
            self.ranks[message_id] = (message.status.rank, ranks)
            for index, recipient in enumerate(message.recipients):
                if recipient.status in SENT_FAMILY:
                    made = calls.get((message_id, index), [])
                    assert any(call.outcome in TAKEN for call in made), (
                        f"{message_id}[{index}] is {recipient.status} without SES taking it"
                    )

    # --- the end of an example -------------------------------------------------------

    def teardown(self) -> None:
        if self.closed:
            return
        self.closed = True
        try:
            if sys.exc_info()[0] is None:  # a failed step's report is not buried
                self.finish()
        finally:
            self.dynamo.close()
            _Active.ses = None
            clock._offset = timedelta()
            self.mock.stop()

    def finish(self) -> None:
        """Drain, then check every accepted message's final state (once)."""
        if not self.finished:
            self.finished = True
            self.drain()
            self.drain_webhooks()
            self.check_final_states()

    def drain(self) -> None:
        """Lift every fault and let time pass until nothing is left to do."""
        self._lift()
        queues = (self.trigger_urls, self.delivery_urls, self.feedback_urls)
        for _ in range(DRAIN_ROUNDS):
            for name in list(self.schedules):
                self.do_fire(name)
            self._pass_time(DRAIN_STEP_SECONDS)
            while records := self.sqs.receive(self.trigger_urls.queue_url):
                self._run_trigger(records)
            while records := self.sqs.receive(self.delivery_urls.queue_url):
                self._run_delivery(records)
            while records := self.sqs.receive(self.feedback_urls.queue_url):
                self._run_feedback(records)
            for urls in queues:
                moved = self.sqs.redrive(urls.dead_letter_url, urls.queue_url)
                queue = urls.queue_url.rsplit("/", 1)[1].removeprefix(f"tenx-email-{STAGE}-")
                self.redriven[queue] += moved
            self.properties_hold_after_every_step()
            if not self.schedules and not any(self.sqs.depth(u.queue_url) for u in queues):
                return
        pytest.fail("the queues never drained")

    def _runs(self, rule: str) -> dict[str, str | None]:
        """The rule's MESSAGE_CREATED runs: event id -> message id (the runs route)."""
        path = {**CAMPAIGN, "ruleId": self.rules[rule]}
        status, answer = self._admin("list_rule_runs", path)
        assert status == 200, answer
        assert answer.get("nextToken") is None
        return {
            run["eventId"]: run["messageId"]
            for run in answer["runs"]
            if run["outcome"] == "MESSAGE_CREATED"
        }

    def check_final_states(self) -> None:
        # What follows from stored messages (their rules' runs among it) comes from the
        # stream: the event projection has followed it through the whole history (every
        # retry, conflict, crash and repeated event); it takes the rest now.
        self.project()
        messages = self._messages()
        # Accepted: a 202 from the send route (or stored before its Lambda died), or a rule
        # run that made a message.
        runs = {rule: self._runs(rule) for rule in self.rules}
        leads = {event for event, kind in self.events.items() if kind == "LEAD_CAPTURED"}
        conversions = set(self.events) - leads
        assert set(runs["immediate"]) == leads, "property 9: one message per rule and event"
        assert set(runs["conv"]) == conversions, "property 9: one message per rule and event"
        assert self.delayed_must <= set(runs["delayed"]) <= self.delayed_may, (
            "property 8: a fired schedule makes one message unless its rule is off"
        )
        accepted = (
            set(self.direct)
            | {message_id for made in runs.values() for message_id in made.values() if message_id}
            | self._check_sequence(messages, leads)
        )
        assert set(messages) == accepted, (
            f"lost: {accepted - set(messages)}, never accepted: {set(messages) - accepted}"
        )
        # Property 12: each in exactly one final state, and the counts add up.
        for message_id, message in messages.items():
            in_flight = [r for r in message.recipients if r.status.rank < MessageStatus.SENT.rank]
            assert not in_flight, f"{message_id} never finished: {message}"
            assert message.status is _outcome(message), f"{message_id}: {message}"
        counts = Counter(
            "SENT or later" if message.status in SENT_FAMILY else message.status.value
            for message in messages.values()
        )
        assert set(counts) <= {"SENT or later", "DENIED", "FAILED", "UNKNOWN"}, counts
        assert sum(counts.values()) == len(accepted)
        calls = self.ses.by_recipient()
        interrupted = self._interrupted()
        for message_id, message in messages.items():
            if message_id in self.direct:
                emails = [recipient.email for recipient in message.recipients]
                assert emails == self.direct[message_id]
            for index in range(len(message.recipients)):
                made = calls.get((message_id, index), [])
                self._check_recipient(message, index, made, interrupted)
        bounced = {
            call.address.lower()
            for call in self.ses.calls
            if "Bounce" in self.reported.get(call.recipient, set())
        }
        assert set(self.suppressed_at) == bounced, "property 10: one suppression per bounce"
        self._check_projection(messages)
        self.webhooks.check(_stored("MSG#"), _stored("RULERUN#"), self.rules["delayed"])
        if currently_in_test_context():  # Hypothesis's statistics: what the faults did
            self._statistics(counts)

    def _check_sequence(self, messages: dict[str, Message], leads: set[str]) -> set[str]:
        """Each capture enrolled its (new) lead once; each enrollment ended COMPLETED with a
        message for each email step, or EXITED on its lead's conversion with none after;
        no step twice. Returns the steps' messages (accepted: their enrollments' moves)."""
        enrollments = [EnrollmentItem.from_item(item).to_domain() for item in _stored("ENROLL#")]
        assert {e.event.event_id for e in enrollments} == leads, "one enrollment per capture"
        converted = {lead for lead, kind in self._converted.items() if kind}
        steps: set[str] = set()
        for enrollment in enrollments:
            sent = [
                m
                for m in messages.values()
                if m.sequence_id == self.sequence.sequence_id
                and m.campaign_event_id == enrollment.event.event_id
            ]
            numbers = sorted(m.sequence_step or 0 for m in sent)
            assert len(numbers) == len(set(numbers)), f"a step sent twice: {numbers}"
            if enrollment.status is EnrollmentStatus.COMPLETED:
                assert numbers == [0, 2], f"a step never sent: {numbers}"
            else:
                assert enrollment.status is EnrollmentStatus.EXITED, enrollment
                if enrollment.exit_reason == "BOUNCED":  # its first step bounced
                    assert enrollment.event.lead.email.lower() in self.suppressed_at
                else:
                    assert enrollment.exit_reason == "CONVERSION", enrollment.exit_reason
                    assert enrollment.lead_id in converted, "exited without converting"
                assert all(m.created_at <= enrollment.updated_at for m in sent), "after exit"
            if currently_in_test_context():
                event(f"sequence: {enrollment.status.value} {enrollment.exit_reason or ''}")
            steps |= {m.message_id for m in sent}
        return steps

    def _check_projection(self, messages: dict[str, Message]) -> None:
        """What the event projection made of the whole history: every timeline event is in
        the handle's feed exactly once, every message is named under each of its recipients,
        and the days' usage counts each message's recipients once."""
        feed = [
            (event.message_id, event.event_id)
            for page in _stored(keys.EVENT_FEED_PREFIX)
            for event in EventFeedItem.from_item(page).to_domain()
        ]
        timelines = [
            (message_id, event.event_id)
            for message_id in messages
            for event in MessageItem.from_item(_stored(f"MSG#{message_id}")[0]).events()
        ]
        assert sorted(feed) == sorted(timelines), "the feed holds each timeline event once"
        named = {(item["messageId"], item["email"]) for item in _stored("RCPT#")}
        assert named == {
            (message_id, recipient.email.lower())
            for message_id, message in messages.items()
            for recipient in message.recipients
        }
        used = sum(int(item["used"]) for item in _stored("USAGE#"))
        assert used == sum(len(message.recipients) for message in messages.values())

    def _statistics(self, counts: Counter[str]) -> None:
        for state, count in counts.items():
            event(f"final: {state}", count)
        for call in self.ses.calls:
            event(f"SES call: {call.outcome.value}")
        for hit in self.dynamo.hits:
            request = hit.request
            event(f"DynamoDB fault: {hit.fault.kind.value} on {request.operation} {request.kind}")
        for queue, moved in self.redriven.items():
            event(f"redriven from the {queue} DLQ", moved)
        for what in self.webhooks.stats:
            event(f"webhooks: {what}")

    def _interrupted(self) -> set[tuple[str, int]]:
        """Recipients whose claim a fault left behind without an SES call or its record: the
        claim was written just before a crash, or giving it back or settling it failed."""
        interrupted = set()
        for hit in self.dynamo.hits:
            request = hit.request
            if request.message_id is None or request.rcpt is None:
                continue
            left = request.kind == "claim" and hit.applied
            unsettled = (
                request.kind in ("release", "settle_claimed")
                and not hit.applied
                and hit.fault.kind is not DynamoFaultKind.CONFLICT  # retried at once
            )
            if left or unsettled:
                interrupted.add((request.message_id, request.rcpt))
        return interrupted

    def _denials_since(self, step: int) -> set[str]:
        active = [refusal for since, refusal in self.denials if since <= step][-1:]
        later = [refusal for since, refusal in self.denials if since > step]
        return {refusal for refusal in active + later if refusal}

    def _check_recipient(
        self,
        message: Message,
        index: int,
        made: list[SesCall],
        interrupted: set[tuple[str, int]],
    ) -> None:
        """The recipient's final status is the one its SES call (or its absence) and the
        faults it met allow (properties 4-7)."""
        recipient = message.recipients[index]
        status, where = recipient.status, f"{message.message_id}[{index}] {recipient}"
        key = (message.message_id, index)
        final = [call for call in made if call.outcome in FINAL_CALLS]
        reported = self.reported.get(key, set())
        if status is MessageStatus.UNKNOWN:
            assert recipient.reason == delivery.UNKNOWN_REASON, where
        if not final:
            # Never sent (a throttled call sends nothing): refused by the re-check, or a
            # claim a fault left behind.
            if status is MessageStatus.DENIED:
                refusals = self._denials_since(self.first_seen.get(key[0], self.step))
                if recipient.email.lower() in self.suppressed_at:
                    refusals.add(delivery.SUPPRESSED)
                assert recipient.reason in refusals, where
            else:
                assert status is MessageStatus.UNKNOWN, where
                assert key in interrupted, where
            return
        call = final[0]
        if call.outcome is Outcome.REJECTED and key in interrupted:
            # Property 6: SES refused it, but the process died before recording that, so the
            # claim it left says no more than that a send was under way
            assert status is MessageStatus.UNKNOWN, where
        elif call.outcome is Outcome.REJECTED:  # property 5
            assert status is MessageStatus.FAILED, where
            assert (recipient.reason or "").startswith("MessageRejected: "), where
        elif call.outcome in (Outcome.HIDDEN, Outcome.CRASHED_BEFORE):  # property 6
            assert status is MessageStatus.UNKNOWN, where
        elif call.outcome is Outcome.CRASHED_AFTER:  # property 6; SES's events move it on
            allowed = {MessageStatus.UNKNOWN} | ({_news(reported)} if reported else set())
            assert status in allowed, where
        else:
            allowed = {_news(reported)} | ({MessageStatus.UNKNOWN} if key in interrupted else set())
            assert status in allowed, where
        if status in SENT_FAMILY:
            assert recipient.ses_message_id == call.ses_message_id, where


TestFaultInjection = FaultInjection.TestCase
TestFaultInjection.settings = settings(
    max_examples=int(os.environ.get("FAULT_EXAMPLES", "30")),
    stateful_step_count=int(os.environ.get("FAULT_STEPS", "25")),
    phases=[Phase.explicit, Phase.reuse, Phase.generate]
    if os.environ.get("NOSHRINK")
    else list(Phase),
    deadline=None,
    derandomize=not os.environ.get("FAULT_EXPLORE"),
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


# --- sequences the machine found, pinned ---------------------------------------------------


@contextmanager
def _world() -> Iterator[FaultInjection]:
    """The machine's world for a fixed sequence; on leaving, it drains and checks all that
    the machine checks at the end of an example (unless the body failed)."""
    state = FaultInjection()
    try:
        yield state
    finally:
        state.teardown()


def _stored_message(state: FaultInjection, message_id: str) -> Message:
    return state._messages()[message_id]


def test_a_crash_after_ses_took_the_send_is_never_resent_and_ses_events_still_count() -> None:
    # Given a send SES took, and the delivery Lambda died before recording it (property 6)
    with _world() as state:
        state.do_send(["a@example.org"], "key-1", "Asha")
        state.do_deliver(ses=[SesFault.CRASH_AFTER])
        (call,) = state.ses.calls
        assert call.outcome is Outcome.CRASHED_AFTER
        # When its record comes back while the claim is fresh, then SES reports the delivery
        # and the lease runs out
        state.do_deliver()
        state.do_report(call, "Delivery", copies=2)
        state._run_feedback(state.sqs.receive(state.feedback_urls.queue_url))
        state.time_passes(LEASE_SECONDS + 1)
        state.finish()
        # Then it was never sent again, and SES's event made it DELIVERED, not UNKNOWN
        (message_id,) = state.direct
        message = _stored_message(state, message_id)
        assert len(state.ses.calls) == 1
        assert message.recipients[0].status is MessageStatus.DELIVERED
        assert message.status is MessageStatus.DELIVERED


def test_a_send_whose_lambda_died_after_storing_it_is_the_one_its_retry_replays() -> None:
    # Given a send route that stored and queued the message, then died (the client sees 502)
    with _world() as state:
        crash = [(("TransactWriteItems", "accept"), DynamoFaultKind.CRASH_AFTER)]
        state.do_send(["a@example.org", "B@example.org"], "key-1", "Asha", crash, retries=1)
        # Then the client's retry with the same key answered that message (property 11)
        (hit,) = state.dynamo.hits
        assert hit.applied
        assert list(state.direct) == [hit.request.message_id]
        # And once delivered it was sent once per recipient
        state.finish()
        assert sorted(call.address for call in state.ses.calls) == [
            "B@example.org",
            "a@example.org",
        ]


def test_a_throttled_send_whose_claim_could_not_be_given_back_is_unknown_not_resent() -> None:
    # Given SES throttles the send, and giving the claim back is throttled by DynamoDB too
    with _world() as state:
        state.do_send(["a@example.org"], "key-1", "Asha")
        release = [(("UpdateItem", "release"), DynamoFaultKind.THROTTLE)]
        state.do_deliver(ses=[SesFault.THROTTLE], faults=release)
        # When everything is retried after the lease
        state.finish()
        # Then the recipient is UNKNOWN and SES was never called again: the claim left behind
        # looks like an interrupted send, and the policy never resends one
        # (docs/guarantees.md), even though here SES never took it
        (message_id,) = state.direct
        assert [call.outcome for call in state.ses.calls] == [Outcome.THROTTLED]
        assert _stored_message(state, message_id).status is MessageStatus.UNKNOWN


def test_a_stored_rule_message_reaches_delivery_though_its_rule_is_then_off() -> None:
    # Given a delayed rule's schedule fired, and the trigger Lambda stored the message and
    # died before queueing it
    with _world() as state:
        state.do_capture("a@example.org")
        state.do_run_triggers()
        (schedule,) = state.schedules
        state.do_fire(schedule)
        state.do_run_triggers([(("PutItem", "rule_accept"), DynamoFaultKind.CRASH_AFTER)])
        assert [hit.request.kind for hit in state.dynamo.hits] == ["rule_accept"]
        # When the rule is disabled before the job is retried
        state.do_change_delayed_rule("off")
        # Then the message is still delivered: every accepted message ends final
        state.finish()


def test_the_same_send_arriving_while_the_first_stores_it_makes_one_message() -> None:
    # Given a client that sends again while its first request is storing the message
    with _world() as state:
        state.do_send(["a@example.org"], "key-1", "Asha", twice=True)
        # Then both answered the same message (docs/api.md, "Direct sends"), sent once
        state.finish()
        assert len(state.direct) == 1
        assert [call.address for call in state.ses.calls] == ["a@example.org"]


def test_stream_batches_handed_twice_and_out_of_order_are_delivered_once_per_endpoint() -> None:
    # Given an endpoint for SENT, DELIVERED and BOUNCED and one for everything, and a message
    # to two recipients sent to both and reported delivered to one
    with _world() as state:
        state.webhooks.subscribe([])
        state.do_send(["a@example.org", "b@example.org"], "key-1", "Asha")
        state.do_deliver()
        state.do_report(state.ses.calls[0], "Delivery")
        state._run_feedback(state.sqs.receive(state.feedback_urls.queue_url))
        # When the fan-out gets the stream's records as two batches: the later first, then
        # the earlier reversed, then both again (Lambda's retry, and a duplicate), shuffled,
        # so each delivery's job is queued twice
        records = state.webhooks.read()
        earlier, later = records[: len(records) // 2], records[len(records) // 2 :]
        assert not state.webhooks.hand([later])
        assert not state.webhooks.hand([earlier[::-1]])
        assert not state.webhooks.hand([earlier, later[::-1]])
        # And the receiver fails the first two POSTs, with a 503 and a dropped connection
        state.do_send_webhooks(answers=[503, DROP])
        # Then, once drained, each event is in each subscribed endpoint's log once,
        # SUCCEEDED (the machine's final check), and the failed two came again, same id
    first, second, *rest = state.webhooks.receiver.arrivals
    assert (first.answer, second.answer) == (503, None)
    for failed in (first, second):
        again = [a for a in rest if (a.path, a.webhook_id) == (failed.path, failed.webhook_id)]
        assert [a.answer for a in again] == [204]
