"""How the bench runs the real handlers in this process, on moto: the environment they read,
the events API Gateway and Lambda would hand them, the identity provider's key set over
loopback HTTP, and a `Harness` that counts each invocation's AWS calls (a botocore hook),
DynamoDB capacity and log bytes (`measure`).

Nothing here imports `tenx_email` at load: the functions' environment (and the stdout
Powertools logs to) must be in place before they load (inprocess.py, `measure`)."""

from __future__ import annotations

import importlib
import io
import json
import os
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any, Self, cast

from devstack.bench.capacity import CapacityMeter, IndexKey
from devstack.bench.counter import CallCounter
from devstack.bench.results import Sample

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext
    from mypy_boto3_sqs import SQSClient

REGION = "us-east-1"
ACCOUNT_ID = "123456789012"  # moto's default account
STAGE = "bench"
TABLE_NAME = f"tenx-email-{STAGE}"
CONFIGURATION_SET = f"tenx-email-{STAGE}"
TOKEN_KEYS_SECRET = f"tenx-email-{STAGE}-token-keys"
JWT_ISSUER = "https://idp.bench.invalid/"
JWT_AUDIENCE = "tenx-email-bench"
BATCH_SIZE = 10
RECEIVE_WAIT_SECONDS = 2

# The seeded members a request is signed in as (devstack/seed.py).
OWNER, OPERATOR = "user_owner", "user_operator"


class CountingSink(io.TextIOBase):
    """Stands in for stdout while the functions run: what they log (Powertools' JSON lines,
    the metrics' EMF documents) is counted, as CloudWatch Logs would ingest it, not shown.
    Each complete line is also classed: an EMF document (`metric_bytes`), or a log line at
    INFO or DEBUG (`info_bytes`: what a WARNING log level would drop)."""

    def __init__(self) -> None:
        self.bytes = 0
        self.metric_bytes = 0
        self.info_bytes = 0
        self._line = ""

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        self.bytes += len(text.encode())
        self._line += text
        while "\n" in self._line:
            line, self._line = self._line.split("\n", 1)
            self._classify(len(line.encode()) + 1, line)
        return len(text)

    def _classify(self, size: int, line: str) -> None:
        if '"_aws"' in line:
            self.metric_bytes += size
        elif '"level":"INFO"' in line or '"level":"DEBUG"' in line:
            self.info_bytes += size


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


class _LoopbackServer:
    """An HTTP server on a free loopback port, serving from a thread while in its `with`."""

    def __init__(self, handler: type[BaseHTTPRequestHandler]) -> None:
        self._http = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._thread = threading.Thread(target=self._http.serve_forever, daemon=True)

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._http.shutdown()
        self._http.server_close()
        self._thread.join()


class JwksServer(_LoopbackServer):
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
        super().__init__(Handler)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._http.server_port}/.well-known/jwks.json"


class WebhookReceiver(_LoopbackServer):
    """A customer's webhook endpoint on loopback: answers every POST 204 and counts them (the
    bench measures the sender's AWS calls, not the receiver: an endpoint's real answer time
    is an assumption of the cost model)."""

    def __init__(self) -> None:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length", "0")))
                server.posts += 1
                self.send_response(204)
                self.end_headers()

            def log_message(self, *_: Any) -> None:
                pass

        self.posts = 0
        super().__init__(Handler)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._http.server_port}/hooks"


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
        # Unsubscribe links in campaign mail lead here (nothing serves them in the bench).
        "PUBLIC_API_URL": "https://bench.invalid/bench",
        "POWERTOOLS_SERVICE_NAME": "tenx-email",
        "POWERTOOLS_METRICS_NAMESPACE": "TenxEmail",
        "POWERTOOLS_LOG_LEVEL": "INFO",
        # X-Ray has no daemon here; the deployed functions trace (see the cost model's notes).
        "JWT_ISSUER": JWT_ISSUER,
        "JWT_AUDIENCE": JWT_AUDIENCE,
        "JWKS_URL": jwks_url,
    }


def isolate_environment(jwks_url: str) -> None:
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


class Harness:
    def __init__(self, sink: CountingSink) -> None:
        from tenx_email import resources

        self.sink = sink
        self.counter = CallCounter()
        self.meter = CapacityMeter(
            _moto_item_lookup,
            key_names=(resources.TABLE.partition_key, resources.TABLE.sort_key),
            indexes=[
                IndexKey(i.partition_key, i.sort_key, i.name) for i in resources.TABLE.indexes
            ],
        )
        self.ses = SesCapture()

    def attach(self) -> None:
        import boto3

        from devstack.local_ses import register
        from devstack.ses_rate import SesSendRate
        from devstack.ses_tenants import LocalTenants

        boto3.setup_default_session()
        assert boto3.DEFAULT_SESSION is not None
        events = boto3.DEFAULT_SESSION.events
        self.counter.attach(events)
        self.meter.attach(events, wrap=self.counter.timed)
        self.ses.attach(events)
        # SES's send rate as the local stack has it (moto has no GetAccount).
        self.ses_rate = SesSendRate()
        self.ses_rate.install()
        # SES tenants as the local stack has them (moto has none): a handle sends through its own.
        register(LocalTenants().hooks)

    def measure(self, work: Callable[[], int]) -> Sample:
        """Run `work` (returns a status, or 0) and count what it did."""
        logged, metrics, info = self.sink.bytes, self.sink.metric_bytes, self.sink.info_bytes
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
            emulated_ms=calls.seconds_emulated * 1000,
            metric_log_bytes=self.sink.metric_bytes - metrics,
            info_log_bytes=self.sink.info_bytes - info,
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
        with self.uncounted():
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
    def uncounted(self) -> Iterator[None]:
        """What runs inside is not the function's (set-up, the event source's own calls):
        its calls and capacity are forgotten."""
        counter = self.counter
        calls, durations = len(counter.calls), len(counter.durations)
        emulated = len(counter.emulated)
        records = len(self.meter.records)
        try:
            yield
        finally:
            counter.forget_since(calls, durations, emulated)
            del self.meter.records[records:]
