"""What the webhook sender's tests share: a local receiver (http.server on 127.0.0.1) that
records each request and answers as told, endpoints made through the service layer, stored
deliveries and their jobs, and the webhook queue on moto with the real sender function run
on it."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import boto3
import pytest

from devstack.resources import create_queue
from functions import send_webhooks
from tenx_email import clock, ids, resources, webhook_signing
from tenx_email.dal import tenancy
from tenx_email.dal import webhook_deliveries as deliveries
from tenx_email.dal import webhooks as endpoints_store
from tenx_email.models import Caller, HandleAccess
from tenx_email.observability import metrics
from tenx_email.roles import Role
from tenx_email.services import webhooks
from tenx_email.webhook_payloads import this_sending
from tenx_email.webhooks import DeliveryAttempt, DeliveryStatus, WebhookDelivery, WebhookEndpoint
from tests.integration.delivery_support import STAGE, Context, enqueue

SUBS = {"acme": "user_operator", "globex": "user_outsider"}


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: str


@dataclass
class Receiver:
    """Answers each POST with the next of `statuses` (then 204), after `delay` seconds."""

    url: str = ""
    requests: list[Received] = field(default_factory=list)
    statuses: list[int] = field(default_factory=list)
    delay: float = 0.0
    # Run while the first request waits for its answer (which is the first of `statuses`).
    while_first_waits: Callable[[], None] | None = None


def serve(receiver: Receiver) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
            receiver.requests.append(
                Received(self.path, {k.lower(): v for k, v in self.headers.items()}, body)
            )
            time.sleep(receiver.delay)
            status = receiver.statuses.pop(0) if receiver.statuses else 204
            if receiver.while_first_waits is not None and len(receiver.requests) == 1:
                receiver.while_first_waits()
            payload = b"receiver says no" if status >= 300 else b""
            self.send_response(status)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *_: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    found = Receiver()
    server = serve(found)
    found.url = f"http://127.0.0.1:{server.server_address[1]}/hooks"
    yield found
    server.shutdown()
    server.server_close()


@pytest.fixture
def local_targets(monkeypatch: pytest.MonkeyPatch) -> None:
    """As on the local stage: endpoints may be http on 127.0.0.1 (the receiver)."""
    monkeypatch.setattr(webhooks, "allows_private_targets", lambda: True)


@pytest.fixture
def webhook_queue(tenant: None, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setattr(metrics, "namespace", "TenxEmailTest")
    monkeypatch.setattr(clock, "_offset", clock._offset)  # a test's clock.advance is undone
    return create_queue(boto3.client("sqs"), STAGE, resources.WEBHOOK_QUEUE).queue_url


def access(handle: str) -> HandleAccess:
    found = tenancy.get_handle(handle)
    assert found is not None
    caller = Caller(sub=SUBS[handle], token_expires_at=int(time.time()) + 3600)
    return HandleAccess(caller=caller, handle=found, role=Role.OPERATOR)


def endpoint(url: str, handle: str = "acme") -> webhooks.WithSecret:
    draft = webhooks.EndpointDraft(url=url, events=(), enabled=True, description=None)
    return webhooks.create_endpoint(access(handle), draft)


def delivery(
    target: WebhookEndpoint, attempts: tuple[DeliveryAttempt, ...] = ()
) -> WebhookDelivery:
    now = clock.now()
    stored = WebhookDelivery(
        handle=target.handle,
        webhook_id=target.webhook_id,
        delivery_id=f"whd_{ids.ulid(now).lower()}",
        event_type="SENT",
        payload=webhook_signing.body_of(
            {"type": "SENT", "timestamp": clock.iso(now), "data": {"handle": target.handle}}
        ),
        status=DeliveryStatus.PENDING,
        attempts=attempts,
        created_at=now,
    )
    if attempts:  # a delivery under retry is in its log; a new one only in its job
        assert deliveries.save(stored, None)
    return stored


def job(stored: WebhookDelivery) -> str:
    """The queue's job for the delivery's current sending."""
    return this_sending(stored).body()


def run(event: dict[str, Any], remaining_ms: int = 60_000) -> set[str]:
    """Run the sender on an SQS event; the message ids it reported as failed."""
    response = send_webhooks.handler(event, Context(remaining_ms=remaining_ms))
    return {failure["itemIdentifier"] for failure in response["batchItemFailures"]}


def send(queue_url: str, *stored: WebhookDelivery) -> tuple[dict[str, Any], set[str]]:
    event = enqueue(queue_url, *(job(one) for one in stored))
    return event, run(event)


def stored(delivery_: WebhookDelivery) -> WebhookDelivery:
    found = deliveries.get(delivery_.handle, delivery_.webhook_id, delivery_.delivery_id)
    assert found is not None
    return found


def endpoint_now(target: WebhookEndpoint) -> WebhookEndpoint:
    found = endpoints_store.get(target.handle, target.webhook_id, consistent=True)
    assert found is not None
    return found
