"""The real handlers on moto, in this process: AWS calls, DynamoDB request units, durations and
log volume per API request, per email delivered, per rule message and per SES event.

Everything runs against a seeded tenant (the demo seed, the contract's sender and template, a
campaign rule, a few delivered messages). Each route gets one warm-up call and then `rounds`
measured calls with a representative successful request; the first measured call's AWS calls
are its figure (the others must agree, else the spread is reported) and the median duration
feeds the cost model. Consumers are measured on batches of ten SQS records, as the event source
mappings deliver them.

Call `measure()` from a process that has not imported `tenx_email` yet: the environment the
functions read (and the stdout Powertools logs to) must be in place before they load.
"""

from __future__ import annotations

import importlib
import io
import json
import os
import statistics
import sys
import threading
import time
import uuid
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any, cast

from devstack.bench.capacity import CapacityMeter, IndexKey
from devstack.bench.counter import CallCounter

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext
    from mypy_boto3_sqs import SQSClient

REGION = "us-east-1"
ACCOUNT_ID = "123456789012"  # moto's default account
STAGE = "bench"
TABLE_NAME = f"tenx-email-{STAGE}"
CONFIGURATION_SET = f"tenx-email-{STAGE}"
TOKEN_KEYS_SECRET = f"tenx-email-{STAGE}-token-keys"
SCHEDULE_GROUP = f"tenx-email-{STAGE}-campaign-delays"
JWT_ISSUER = "https://idp.bench.invalid/"
JWT_AUDIENCE = "tenx-email-bench"
BATCH_SIZE = 10
RECEIVE_WAIT_SECONDS = 2

HANDLE = "acme"
CAMPAIGN = "cmp_welcome"  # one immediate rule: the trigger figure
RULES_CAMPAIGN = "cmp_bench_rules"  # the rule routes' own campaign, so the rule count stays small
DELAYED_CAMPAIGN = "cmp_bench_delayed"  # one delayed rule
OWNER, OPERATOR = "user_owner", "user_operator"
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


# --- results --------------------------------------------------------------------------------


@dataclass
class Sample:
    """One measured invocation."""

    calls: dict[str, int]
    total_calls: int
    read_units: float
    write_units: float
    index_write_units: float
    write_units_by_call: dict[str, float]
    item_sizes: list[int]
    duration_ms: float
    aws_ms: float  # of duration_ms, the time inside AWS calls (moto's, here)
    log_bytes: int
    status: int = 0

    @property
    def own_ms(self) -> float:
        return max(0.0, self.duration_ms - self.aws_ms)


@dataclass
class RouteFigure:
    route_id: str
    read_only: bool
    calls: int
    calls_min: int
    calls_max: int
    by_call: dict[str, int]
    duration_ms: float
    own_ms: float
    read_units: float
    write_units: float
    index_write_units: float
    write_units_by_call: dict[str, float]
    max_item_bytes: int
    log_bytes: int


@dataclass
class ConsumerFigure:
    """A consumer Lambda over batches of ten records; per-unit figures are amortized."""

    function: str
    unit: str  # what one unit is: an email sent, a rule message made, an SES event handled
    units: int
    batches: int
    calls_per_unit: float
    by_call_per_unit: dict[str, float]
    duration_ms_per_batch: float
    own_ms_per_batch: float
    records_per_batch: float
    units_per_record: float
    read_units_per_unit: float
    write_units_per_unit: float
    index_write_units_per_unit: float
    write_units_by_call_per_unit: dict[str, float]
    sqs_calls_per_unit: float
    scheduler_calls_per_unit: float
    max_item_bytes: int
    log_bytes_per_batch: float


@dataclass
class AuthorizerFigure:
    cold_calls: int
    cold_jwks_fetches: int
    warm_calls: int
    warm_jwks_fetches: int
    warm_rounds: int
    duration_ms: float
    own_ms: float
    log_bytes: int


@dataclass
class InProcessResult:
    routes: list[RouteFigure]
    authorizer: AuthorizerFigure
    delivery: ConsumerFigure
    trigger: ConsumerFigure
    trigger_delayed: ConsumerFigure
    feedback: ConsumerFigure
    projection: ConsumerFigure
    ses_events_per_email: float

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


# --- plumbing -------------------------------------------------------------------------------


class CountingSink(io.TextIOBase):
    """Stands in for stdout while the functions run: what they log (Powertools' JSON lines,
    the metrics' EMF documents) is counted, as CloudWatch Logs would ingest it, not shown."""

    def __init__(self) -> None:
        self.bytes = 0

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        self.bytes += len(text.encode())
        return len(text)


def lambda_context(module: str, timeout_seconds: int = 60) -> LambdaContext:
    """What Lambda passes as the context (the part the handlers and Powertools read)."""
    from devstack.lambdas import lambda_context as local_context

    return cast(
        "LambdaContext", local_context(module, stage=STAGE, timeout_seconds=timeout_seconds)
    )


@dataclass
class RouteRequest:
    path_parameters: dict[str, str]
    sub: str = OPERATOR
    body: Any = None
    query: dict[str, str] | None = None


def rest_event(method: str, resource: str, request: RouteRequest) -> dict[str, Any]:
    """The REST proxy event API Gateway sends after the authorizer allowed `request.sub`."""
    path = resource
    for name, value in request.path_parameters.items():
        path = path.replace("{" + name + "}", value)
    query = request.query
    return {
        "resource": resource,
        "path": path,
        "httpMethod": method,
        "headers": {"Content-Type": "application/json"},
        "multiValueHeaders": {"Content-Type": ["application/json"]},
        "queryStringParameters": query,
        "multiValueQueryStringParameters": {k: [v] for k, v in query.items()} if query else None,
        "pathParameters": request.path_parameters,
        "stageVariables": None,
        "requestContext": {
            "resourcePath": resource,
            "httpMethod": method,
            "path": f"/{STAGE}{path}",
            "stage": STAGE,
            "requestId": str(uuid.uuid4()),
            "identity": {"sourceIp": "127.0.0.1"},
            "authorizer": {
                "principalId": request.sub,
                "sub": request.sub,
                "exp": str(int(time.time()) + 3600),
            },
        },
        "body": json.dumps(request.body) if request.body is not None else None,
        "isBase64Encoded": False,
    }


class JwksServer:
    """The identity provider's JWKS over loopback HTTP, counting every fetch."""

    def __init__(self, document: dict[str, Any]) -> None:
        payload = json.dumps(document).encode()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                server.fetches += 1
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *_: Any) -> None:
                pass

        self.fetches = 0
        self._http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._http.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._http.server_port}/.well-known/jwks.json"

    def __enter__(self) -> JwksServer:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._http.shutdown()
        self._http.server_close()
        self._thread.join()


class SesCapture:
    """Keeps each SendEmail's parameters and SES's message id (to build the SES events the
    configuration set would publish). A parameter-build hook: it adds no API call."""

    _KEY = "tenx_bench_ses_params"

    def __init__(self) -> None:
        self.sent: list[tuple[dict[str, Any], str]] = []

    def _remember(self, params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        context[self._KEY] = dict(params)

    def _record(self, parsed: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        params = context.get(self._KEY)
        if params is not None and "MessageId" in parsed:
            self.sent.append((params, str(parsed["MessageId"])))

    def attach(self, events: Any) -> None:
        events.register("before-parameter-build.sesv2.SendEmail", self._remember)
        events.register("after-call.sesv2.SendEmail", self._record)


def _environment(jwks_url: str) -> dict[str, str]:
    return {
        "AWS_ACCESS_KEY_ID": "bench",
        "AWS_SECRET_ACCESS_KEY": "bench",
        "AWS_DEFAULT_REGION": REGION,
        "STAGE": STAGE,
        "TABLE_NAME": TABLE_NAME,
        "TOKEN_KEYS_SECRET": TOKEN_KEYS_SECRET,
        "SES_REGION": REGION,
        "SES_CONFIGURATION_SET": CONFIGURATION_SET,
        "POWERTOOLS_SERVICE_NAME": "tenx-email",
        "POWERTOOLS_METRICS_NAMESPACE": "TenxEmail",
        "POWERTOOLS_LOG_LEVEL": "INFO",
        # X-Ray has no daemon here; the deployed functions trace (see the cost model's notes).
        "JWT_ISSUER": JWT_ISSUER,
        "JWT_AUDIENCE": JWT_AUDIENCE,
        "JWKS_URL": jwks_url,
    }


def _isolate_environment(jwks_url: str) -> None:
    for name in list(os.environ):
        if name in {"AWS_PROFILE", "AWS_SESSION_TOKEN"} or name.startswith("AWS_ENDPOINT_URL"):
            del os.environ[name]
    os.environ.update(_environment(jwks_url))


def _moto_item_lookup(table_name: str, key: Any) -> dict[str, Any] | None:
    """The stored item, read from moto's backend directly (no API call, nothing counted)."""
    from moto.dynamodb.models import dynamodb_backends

    item = dynamodb_backends[ACCOUNT_ID][REGION].get_item(table_name, dict(key))
    if item is None:
        return None
    attributes: dict[str, Any] = item.to_json()["Attributes"]
    return attributes


# --- the harness ----------------------------------------------------------------------------


class Harness:
    def __init__(self, sink: CountingSink) -> None:
        from tenx_email import resources

        self.sink = sink
        self.counter = CallCounter()
        self.meter = CapacityMeter(
            _moto_item_lookup,
            key_names=(resources.TABLE.partition_key, resources.TABLE.sort_key),
            indexes=[IndexKey(i.partition_key, i.sort_key) for i in resources.TABLE.indexes],
        )
        self.ses = SesCapture()

    def attach(self) -> None:
        import boto3

        boto3.setup_default_session()
        assert boto3.DEFAULT_SESSION is not None
        events = boto3.DEFAULT_SESSION.events
        self.counter.attach(events)
        self.meter.attach(events)
        self.ses.attach(events)

    def measure(self, work: Callable[[], int]) -> Sample:
        """Run `work` (returns a status, or 0) and count what it did."""
        logged = self.sink.bytes
        with self.counter.window() as calls, self.meter.window() as capacity:
            started = time.perf_counter()
            status = work()
            elapsed = time.perf_counter() - started
        usage = capacity.usage
        return Sample(
            calls=calls.by_call(),
            total_calls=calls.total,
            read_units=usage.read_units,
            write_units=usage.write_units,
            index_write_units=usage.index_write_units,
            write_units_by_call={
                name: units.write_units
                for name, units in capacity.by_operation().items()
                if units.write_units
            },
            item_sizes=capacity.item_sizes,
            duration_ms=elapsed * 1000,
            aws_ms=calls.seconds_in_calls * 1000,
            log_bytes=self.sink.bytes - logged,
            status=status,
        )

    # --- routes ----------------------------------------------------------------------------

    @staticmethod
    def call_route(route_id: str, request: RouteRequest) -> tuple[int, Any]:
        from tenx_email.routes import route

        spec = route(route_id)
        module = importlib.import_module(f"functions.{spec.handler_module}")
        response = module.handler(
            rest_event(spec.method, spec.path, request), lambda_context(route_id)
        )
        body = response.get("body")
        return int(response["statusCode"]), json.loads(body) if body else None

    def ok(self, route_id: str, request: RouteRequest) -> Any:
        status, body = self.call_route(route_id, request)
        if not 200 <= status < 300:
            raise RuntimeError(f"bench set-up: {route_id} answered {status}: {body}")
        return body

    def route_sample(self, route_id: str, request: RouteRequest) -> Sample:
        answer: dict[str, Any] = {}

        def work() -> int:
            status, body = self.call_route(route_id, request)
            answer["body"] = body
            return status

        sample = self.measure(work)
        if not 200 <= sample.status < 300:
            raise RuntimeError(
                f"bench: {route_id}'s representative request answered {sample.status}: "
                f"{answer.get('body')}"
            )
        return sample

    # --- queues ----------------------------------------------------------------------------

    def receive(self, sqs: SQSClient, queue_url: str, count: int) -> list[Any]:
        """Up to `count` records, as the event source mapping would receive them (uncounted:
        the mapping's calls are not the function's; the cost model adds them)."""
        received: list[Any] = []
        with self._uncounted():
            while len(received) < count:
                batch = sqs.receive_message(
                    QueueUrl=queue_url,
                    MaxNumberOfMessages=min(BATCH_SIZE, count - len(received)),
                    WaitTimeSeconds=RECEIVE_WAIT_SECONDS,
                    MessageSystemAttributeNames=["All"],
                ).get("Messages", [])
                if not batch:
                    break
                received += batch
        return received

    @contextmanager
    def _uncounted(self) -> Iterator[None]:
        calls, durations = len(self.counter.calls), len(self.counter.durations)
        records = len(self.meter.records)
        try:
            yield
        finally:
            self.counter.forget_since(calls, durations)
            del self.meter.records[records:]


def _median(values: list[float]) -> float:
    return float(statistics.median(values)) if values else 0.0


def _consumer_figure(
    function: str, unit: str, samples: list[Sample], records: list[int], units: list[int]
) -> ConsumerFigure:
    total_units = sum(units)
    if total_units <= 0:
        raise RuntimeError(f"bench: the {function} batches produced no {unit}")
    by_call: dict[str, float] = {}
    for sample in samples:
        for name, count in sample.calls.items():
            by_call[name] = by_call.get(name, 0.0) + count
    total_calls = sum(sample.total_calls for sample in samples)
    writes: dict[str, float] = {}
    for sample in samples:
        for name, wru in sample.write_units_by_call.items():
            writes[name] = writes.get(name, 0.0) + wru

    def service_calls(service: str) -> float:
        return sum(v for k, v in by_call.items() if k.startswith(f"{service}:"))

    return ConsumerFigure(
        function=function,
        unit=unit,
        units=total_units,
        batches=len(samples),
        calls_per_unit=total_calls / total_units,
        by_call_per_unit={k: v / total_units for k, v in sorted(by_call.items())},
        duration_ms_per_batch=_median([s.duration_ms for s in samples]),
        own_ms_per_batch=_median([s.own_ms for s in samples]),
        records_per_batch=sum(records) / len(samples),
        units_per_record=total_units / sum(records),
        read_units_per_unit=sum(s.read_units for s in samples) / total_units,
        write_units_per_unit=sum(s.write_units for s in samples) / total_units,
        index_write_units_per_unit=sum(s.index_write_units for s in samples) / total_units,
        write_units_by_call_per_unit={k: v / total_units for k, v in sorted(writes.items())},
        sqs_calls_per_unit=service_calls("sqs") / total_units,
        scheduler_calls_per_unit=service_calls("scheduler") / total_units,
        max_item_bytes=max((size for s in samples for size in s.item_sizes), default=0),
        log_bytes_per_batch=sum(s.log_bytes for s in samples) / len(samples),
    )


# --- the scenario ---------------------------------------------------------------------------


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

    # --- the measurements ------------------------------------------------------------------

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

    def measure_routes(self) -> list[RouteFigure]:
        from tenx_email.routes import ROUTES

        requests = self.route_requests()
        missing = {r.route_id for r in ROUTES} - requests.keys()
        if missing:
            raise RuntimeError(f"bench: no representative request for {sorted(missing)}")
        figures = []
        for spec in ROUTES:
            make = requests[spec.route_id]
            self.h.route_sample(spec.route_id, make(0))  # warm-up
            samples = [
                self.h.route_sample(spec.route_id, make(i)) for i in range(1, self.rounds + 1)
            ]
            first = samples[0]
            figures.append(
                RouteFigure(
                    route_id=spec.route_id,
                    read_only=spec.read_only,
                    calls=first.total_calls,
                    calls_min=min(s.total_calls for s in samples),
                    calls_max=max(s.total_calls for s in samples),
                    by_call=first.calls,
                    duration_ms=_median([s.duration_ms for s in samples]),
                    own_ms=_median([s.own_ms for s in samples]),
                    read_units=first.read_units,
                    write_units=first.write_units,
                    index_write_units=first.index_write_units,
                    write_units_by_call=first.write_units_by_call,
                    max_item_bytes=max(first.item_sizes, default=0),
                    log_bytes=first.log_bytes,
                )
            )
        # Whatever the send route queued is delivered now, so the delivery figure starts clean.
        self.drain("delivery")
        self.drain("trigger-jobs")
        return figures

    def drain(self, key: str) -> int:
        """Take every visible record off the queue (uncounted); how many there were."""
        drained = 0
        with self.h._uncounted():
            while batch := self.receive(key, BATCH_SIZE):
                drained += len(batch)
        return drained

    def measure_authorizer(self, idp: Any, jwks: JwksServer) -> AuthorizerFigure:
        from functions import authorizer
        from tenx_email.services import authentication

        authentication.reset()
        token = idp.mint(OPERATOR)
        event = {
            "type": "TOKEN",
            "authorizationToken": f"Bearer {token}",
            "methodArn": f"arn:aws:execute-api:{REGION}:{ACCOUNT_ID}:api/{STAGE}/GET/v2/handles",
        }

        def work() -> int:
            answer = authorizer.handler(event, lambda_context("authorizer"))
            effect = answer["policyDocument"]["Statement"][0]["Effect"]
            if effect != "Allow":
                raise RuntimeError(f"bench: the authorizer refused the bench token: {answer}")
            return 200

        fetched = jwks.fetches
        cold = self.h.measure(work)
        cold_fetches, fetched = jwks.fetches - fetched, jwks.fetches
        warm = [self.h.measure(work) for _ in range(self.rounds)]
        return AuthorizerFigure(
            cold_calls=cold.total_calls,
            cold_jwks_fetches=cold_fetches,
            warm_calls=max(s.total_calls for s in warm),
            warm_jwks_fetches=jwks.fetches - fetched,
            warm_rounds=len(warm),
            duration_ms=_median([s.duration_ms for s in warm]),
            own_ms=_median([s.own_ms for s in warm]),
            log_bytes=warm[0].log_bytes,
        )

    def measure_delivery(self) -> tuple[ConsumerFigure, list[tuple[dict[str, Any], str]]]:
        count = self.batches * BATCH_SIZE
        with self.h._uncounted():
            for i in range(count):
                self.h.ok(
                    "send_message", RouteRequest({"handle": HANDLE}, body=send_body(i, "load"))
                )
        already = len(self.h.ses.sent)
        samples, records = [], []
        for _ in range(self.batches):
            batch = self.receive("delivery", BATCH_SIZE)
            records.append(len(batch))
            samples.append(self.run_delivery_batch(batch))
        sent = self.h.ses.sent[already:]
        figure = _consumer_figure(
            "deliver",
            "email sent",
            samples,
            records,
            [s.calls.get("sesv2:SendEmail", 0) for s in samples],
        )
        return figure, sent

    def measure_feedback(self, sent: list[tuple[dict[str, Any], str]]) -> ConsumerFigure:
        samples = self.apply_ses_events(sent)
        records = [min(BATCH_SIZE, 2 * len(sent) - i * BATCH_SIZE) for i in range(len(samples))]
        return _consumer_figure("feedback", "SES event", samples, records, records)

    def _capture_leads(self, campaign_id: str, count: int) -> None:
        with self.h._uncounted():
            for i in range(count):
                self.h.ok(
                    "capture_lead",
                    RouteRequest(
                        {"handle": HANDLE, "campaignId": campaign_id}, body=lead_body(i + 1000)
                    ),
                )

    def measure_trigger(self) -> ConsumerFigure:
        count = self.batches * BATCH_SIZE
        self._capture_leads(CAMPAIGN, count)
        samples, records, made = [], [], []
        self.drain("delivery")
        for _ in range(self.batches):
            batch = self.receive("trigger-jobs", BATCH_SIZE)
            records.append(len(batch))
            samples.append(self.run_trigger_batch(batch))
            made.append(self.drain("delivery"))  # each rule message is queued for delivery
        return _consumer_figure("trigger", "rule message", samples, records, made)

    def measure_trigger_delayed(self) -> ConsumerFigure:
        """A delayed rule: the event's pass makes one schedule per lead; the Scheduler later
        puts each schedule's job on the queue, and that pass makes the message."""
        import boto3

        scheduler = boto3.client("scheduler", region_name=REGION)
        self._capture_leads(DELAYED_CAMPAIGN, BATCH_SIZE)
        self.drain("delivery")
        first = self.run_trigger_batch(self.receive("trigger-jobs", BATCH_SIZE))
        made_first = self.drain("delivery")  # none: this pass only schedules
        with self.h._uncounted():
            names = [
                s["Name"] for s in scheduler.list_schedules(GroupName=SCHEDULE_GROUP)["Schedules"]
            ]
            inputs = [
                scheduler.get_schedule(Name=name, GroupName=SCHEDULE_GROUP)["Target"]["Input"]
                for name in names
            ]
            for body in inputs:
                self.sqs.send_message(QueueUrl=self.queues["trigger-jobs"], MessageBody=body)
        fired = self.run_trigger_batch(self.receive("trigger-jobs", len(inputs)))
        samples = [first, fired]
        made = [made_first, self.drain("delivery")]
        return _consumer_figure(
            "trigger (delayed)", "delayed rule message", samples, [BATCH_SIZE, len(inputs)], made
        )

    def measure_projection(self) -> ConsumerFigure:
        """The event projection over everything the scenario wrote, as its stream event source
        hands it over: message items' changes only, in batches of the mapping's size."""
        import boto3
        from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import (
            DynamoDBRecord,
        )

        from devstack.streams import StreamPoller, stream_arn
        from functions import project_events
        from tenx_email.adapters.table_stream import streams_client
        from tenx_email.dal.feeds import recipient_messages
        from tenx_email.resources import EVENT_PROJECTION
        from tenx_email.services.projection import message_change

        samples, records, events = [], [], []

        def consume(event: dict[str, Any]) -> None:
            changes = [message_change(DynamoDBRecord(record)) for record in event["Records"]]
            records.append(len(changes))
            events.append(sum(len(change.events) for change in changes))
            # The items naming new messages under their recipients, and rule messages' runs,
            # are charged by the cost model (one write each, under 1 KB) per recipient and per
            # rule message; the figure keeps the feed pages and usage charges.
            stored = [change.stored for change in changes if change.stored]
            named = sum(len(recipient_messages(message)) for message in stored)
            named += sum(1 for message in stored if message.rule_run() is not None)

            def work() -> int:
                project_events.handler(
                    event, lambda_context("project_events", EVENT_PROJECTION.timeout_seconds)
                )
                return 0

            sample = self.h.measure(work)
            samples.append(replace(sample, write_units=sample.write_units - named))

        with self.h._uncounted():
            arn = stream_arn(boto3.client("dynamodb", region_name=REGION), TABLE_NAME)
            poller = StreamPoller(streams_client(REGION), arn, EVENT_PROJECTION, consume)
        # The poller's own stream reads are counted too, but outside any sample: Lambda's
        # event source reads the stream at no charge to the function.
        poller.drain()
        return _consumer_figure("project_events", "event projected", samples, records, events)


def measure(rounds: int = 7, batches: int = 3) -> InProcessResult:
    """Run the whole in-process scenario on a fresh moto; see the module docstring."""
    from devstack.idp import LocalIdentityProvider

    idp = LocalIdentityProvider(JWT_ISSUER, JWT_AUDIENCE)
    sink = CountingSink()
    real_stdout = sys.stdout
    saved_environment = dict(os.environ)
    with JwksServer(idp.jwks()) as jwks, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _isolate_environment(jwks.url)
        sys.stdout = sink
        try:
            from moto import mock_aws

            with mock_aws():
                harness = Harness(sink)
                harness.attach()
                scenario = Scenario(harness, rounds=rounds, batches=batches)
                scenario.provision()
                scenario.seed()
                routes = scenario.measure_routes()
                authorizer = scenario.measure_authorizer(idp, jwks)
                delivery, sent = scenario.measure_delivery()
                feedback = scenario.measure_feedback(sent)
                trigger = scenario.measure_trigger()
                trigger_delayed = scenario.measure_trigger_delayed()
                projection = scenario.measure_projection()
        finally:
            sys.stdout = real_stdout
            os.environ.clear()
            os.environ.update(saved_environment)
    return InProcessResult(
        routes=routes,
        authorizer=authorizer,
        delivery=delivery,
        trigger=trigger,
        trigger_delayed=trigger_delayed,
        projection=projection,
        feedback=feedback,
        ses_events_per_email=scenario.ses_events_per_email,
    )
