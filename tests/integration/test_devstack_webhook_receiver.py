"""The local stack's webhook receiver, fed by the real sender on moto: it keeps what arrives,
verifies each signature against the secrets of the endpoints pointing at it, answers a
`?fail=` status when told, and shows it all as a page and as JSON."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from devstack import seed, webhook_page
from devstack.webhook_receiver import MAX_KEPT, WEBHOOKS_PATH, WebhookReceiver
from tenx_email.dal import webhooks as endpoints_store
from tenx_email.webhooks import DeliveryStatus
from tests.integration.webhook_support import (
    delivery,
    endpoint,
    local_targets,
    send,
    stored,
    webhook_queue,
)

__all__ = ["local_targets", "webhook_queue"]  # fixtures

pytestmark = pytest.mark.usefixtures("local_targets")


@pytest.fixture
def local_receiver() -> Iterator[tuple[WebhookReceiver, str]]:
    """The receiver's routes on a real HTTP server (as the local gateway serves them)."""
    receiver = WebhookReceiver()

    @Request.application  # type: ignore[misc]
    def app(request: Request) -> Response:
        if request.method == "POST":
            return receiver.receive(request, {})
        return Response(receiver.as_json(), content_type="application/json")

    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield receiver, f"http://127.0.0.1:{server.server_port}{WEBHOOKS_PATH}"
    server.shutdown()


def test_a_delivery_arrives_verified(
    webhook_queue: str, local_receiver: tuple[WebhookReceiver, str]
) -> None:
    receiver, url = local_receiver
    made = endpoint(url)
    one = delivery(made.endpoint)

    _, failed = send(webhook_queue, one)

    assert failed == set()
    [arrival] = receiver.arrivals()
    assert arrival.verified
    assert arrival.webhook_id == made.endpoint.webhook_id
    assert arrival.answered == 204
    document: dict[str, Any] = json.loads(receiver.as_json())["webhooks"][0]
    assert document["deliveryId"] == one.delivery_id
    assert document["eventType"] == "SENT"
    assert document["body"] == one.payload


def test_fail_answers_that_status_and_the_sender_retries(
    webhook_queue: str, local_receiver: tuple[WebhookReceiver, str]
) -> None:
    receiver, url = local_receiver
    one = delivery(endpoint(f"{url}?fail=503").endpoint)

    _, failed = send(webhook_queue, one)

    assert len(failed) == 1
    [arrival] = receiver.arrivals()
    assert arrival.answered == 503
    assert arrival.verified  # signed all the same
    assert stored(one).status is DeliveryStatus.PENDING
    assert stored(one).attempts[0].http_status == 503


def test_a_request_no_endpoint_signed_is_shown_unverified(aws: None) -> None:
    receiver = WebhookReceiver()
    request = Request.from_values(
        path=WEBHOOKS_PATH,
        method="POST",
        data='{"type":"<script>x</script>"}',
        headers={"webhook-id": "whd_x", "webhook-timestamp": "1", "webhook-signature": "v1,x"},
    )

    assert receiver.receive(request, {}).status_code == 204
    assert receiver.receive(Request.from_values(query_string="fail=99"), {}).status_code == 400

    [arrival] = receiver.arrivals()
    assert not arrival.verified
    assert arrival.verification == "no endpoint's URL points at this receiver"
    page = webhook_page.webhook_list(receiver.arrivals())
    assert "<script>x" not in page
    assert "Not verified" in page


def test_it_keeps_the_last_requests_only(aws: None) -> None:
    receiver = WebhookReceiver()
    for index in range(MAX_KEPT + 5):
        receiver.receive(Request.from_values(method="POST", data=f'{{"n":{index}}}'), {})
    kept = receiver.arrivals()
    assert len(kept) == MAX_KEPT
    assert kept[0].body == f'{{"n":{MAX_KEPT + 4}}}'  # newest first


def test_the_demo_handle_gets_an_endpoint_at_the_receiver(tenant: None) -> None:
    url = seed.receiver_url_of({"PORT": "3999"})
    seed._seed_webhook(url)

    [made] = endpoints_store.endpoints(seed.HANDLE)
    assert made.url == "http://127.0.0.1:3999/_local/webhooks"
    assert made.enabled
    assert made.events == seed.SEEDED_WEBHOOK_EVENTS
