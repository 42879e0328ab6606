"""The webhook sender on moto, against a real local HTTP receiver: signatures a stock
Standard Webhooks library verifies, the retry schedule, isolation between endpoints, refused
internal addresses, cancellation, giving up and disabling a dead endpoint."""

from __future__ import annotations

import json
import logging
import socket
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from tenx_email import clock
from tenx_email.adapters import webhook_http
from tenx_email.dal import webhook_endpoint_health as health
from tenx_email.services import webhook_sender, webhooks
from tenx_email.webhooks import DISABLE_AFTER, RETRY_SCHEDULE, DeliveryAttempt, DeliveryStatus
from tests.integration.delivery_support import enqueue, receive_again, seconds_until_visible
from tests.integration.webhook_support import (
    Receiver,
    access,
    delivery,
    endpoint,
    endpoint_now,
    job,
    local_targets,
    receiver,
    run,
    send,
    serve,
    stored,
    webhook_queue,
)

__all__ = ["local_targets", "receiver", "webhook_queue"]  # fixtures

pytestmark = pytest.mark.usefixtures("local_targets")


def _verify(secret: str, body: str, headers: dict[str, str]) -> Any:
    return Webhook(secret).verify(body, headers)


def test_a_delivery_arrives_signed_and_succeeds(webhook_queue: str, receiver: Receiver) -> None:
    made = endpoint(receiver.url)
    one = delivery(made.endpoint)

    _, failed = send(webhook_queue, one)

    assert failed == set()
    [request] = receiver.requests
    assert request.body == one.payload
    assert request.headers["webhook-id"] == one.delivery_id
    assert _verify(made.secret, request.body, request.headers)["type"] == "SENT"
    with pytest.raises(WebhookVerificationError):
        _verify(made.secret, request.body.replace("SENT", "BOUNCED"), request.headers)
    after = stored(one)
    assert after.status is DeliveryStatus.SUCCEEDED
    [attempt] = after.attempts
    assert attempt.http_status == 204
    assert attempt.latency_ms is not None


def test_both_secrets_sign_during_a_rotation(webhook_queue: str, receiver: Receiver) -> None:
    made = endpoint(receiver.url)
    rotated = webhooks.rotate_secret(access("acme"), made.endpoint.webhook_id)

    send(webhook_queue, delivery(rotated.endpoint))

    [request] = receiver.requests
    assert len(request.headers["webhook-signature"].split()) == 2
    for secret in (made.secret, rotated.secret):
        _verify(secret, request.body, request.headers)


def test_a_delivery_signed_over_five_minutes_ago_fails_verification(
    webhook_queue: str, receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    made = endpoint(receiver.url)
    one = delivery(made.endpoint)
    # Signed six minutes ago by the wall clock (a delivery stuck, or replayed by an attacker)
    signed = datetime.now(UTC) - timedelta(minutes=6)
    monkeypatch.setattr(webhook_sender, "signing_time", lambda: signed)

    send(webhook_queue, one)

    [request] = receiver.requests
    with pytest.raises(WebhookVerificationError, match="too old"):
        _verify(made.secret, request.body, request.headers)


def _time_passes_until(monkeypatch: pytest.MonkeyPatch, moment: datetime | None) -> None:
    """The service's clock moves on to `moment` (when a retry is due)."""
    assert moment is not None
    monkeypatch.setattr(clock, "_offset", clock._offset + max(moment - clock.now(), timedelta()))


def test_a_failing_receiver_gets_the_event_again_until_it_succeeds(
    webhook_queue: str, receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    receiver.statuses = [500, 503, 429]
    made = endpoint(receiver.url)
    one = delivery(made.endpoint)

    event, failed = send(webhook_queue, one)
    for _ in range(3):
        assert failed == {event["Records"][0]["messageId"]}
        after = stored(one)
        assert after.status is DeliveryStatus.PENDING
        assert after.next_attempt_at is not None
        # The record's delay follows the log's attempts: the first waits 5 s +-10%.
        _time_passes_until(monkeypatch, after.next_attempt_at)
        event = receive_again(webhook_queue, event)
        failed = run(event)

    assert failed == set()
    assert [r.headers["webhook-id"] for r in receiver.requests] == [one.delivery_id] * 4
    after = stored(one)
    assert after.status is DeliveryStatus.SUCCEEDED
    assert after.next_attempt_at is None
    assert [a.http_status for a in after.attempts] == [500, 503, 429, 204]
    assert after.attempts[0].error == "HTTP 500: receiver says no"
    # A success clears the endpoint's failing mark.
    assert endpoint_now(made.endpoint).failing_since is None


def test_a_second_record_of_a_delivery_waits_for_its_next_attempt(
    webhook_queue: str, receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a delivery queued twice (SQS delivered its record twice, or a retried fan-out
    # batch queued it again before its first attempt), both records in one batch
    receiver.statuses = [503]
    one = delivery(endpoint(receiver.url).endpoint)
    event = enqueue(webhook_queue, job(one), job(one))

    # When the first attempt fails
    failed = run(event)

    # Then the second record is not attempted at once: both come back when the retry is due
    assert failed == {record["messageId"] for record in event["Records"]}
    assert len(receiver.requests) == 1
    assert [a.http_status for a in stored(one).attempts] == [503]
    assert all(3 <= wait <= 6 for wait in seconds_until_visible(webhook_queue))
    # And then one of them delivers it, the other finds it delivered
    _time_passes_until(monkeypatch, stored(one).next_attempt_at)
    assert run(receive_again(webhook_queue, event)) == set()
    assert len(receiver.requests) == 2
    assert [a.http_status for a in stored(one).attempts] == [503, 204]


def test_the_first_retry_waits_five_seconds_with_jitter() -> None:
    for attempts in range(1, len(RETRY_SCHEDULE) + 1):
        base = RETRY_SCHEDULE[attempts - 1]
        assert base * 0.9 <= webhook_sender.retry_delay(attempts) <= base * 1.1


def test_a_dead_endpoint_does_not_hold_back_another_handles_delivery(
    webhook_queue: str, receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(webhook_http, "READ_TIMEOUT_SECONDS", 0.3)
    slow = Receiver(delay=5.0)
    server = serve(slow)
    with socket.socket() as closed:  # a port nobody listens on: connection refused
        closed.bind(("127.0.0.1", 0))
        refused_port = closed.getsockname()[1]
    hanging = delivery(endpoint(f"http://127.0.0.1:{server.server_address[1]}/").endpoint)
    refused = delivery(endpoint(f"http://127.0.0.1:{refused_port}/").endpoint)
    good = delivery(endpoint(receiver.url, handle="globex").endpoint)

    event = enqueue(webhook_queue, job(hanging), job(refused), job(good))
    started = time.monotonic()
    failed = run(event)
    elapsed = time.monotonic() - started
    server.shutdown()
    server.server_close()

    by_delivery = {json.loads(r["body"])["deliveryId"]: r["messageId"] for r in event["Records"]}
    assert failed == {by_delivery[hanging.delivery_id], by_delivery[refused.delivery_id]}
    assert stored(good).status is DeliveryStatus.SUCCEEDED
    assert elapsed < 3.0  # the hung receiver cost one short read timeout, not its 5 s
    assert stored(hanging).attempts[0].error.startswith("timeout:")  # type: ignore[union-attr]
    assert stored(refused).attempts[0].error.startswith("connect:")  # type: ignore[union-attr]


@pytest.mark.parametrize("address", ["127.0.0.1", "10.1.2.3", "169.254.169.254", "::1"])
def test_an_internal_address_is_refused_outside_the_local_stage(
    webhook_queue: str,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    address: str,
) -> None:
    caplog.set_level(logging.INFO)
    made = endpoint("https://hooks.example.com/in?token=q-s3cr3t")
    one = delivery(made.endpoint)
    monkeypatch.setattr(webhooks, "allows_private_targets", lambda: False)
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    sockaddr = (address, 443, 0, 0) if ":" in address else (address, 443)
    monkeypatch.setattr(
        socket, "getaddrinfo", lambda *_, **__: [(family, socket.SOCK_STREAM, 6, "", sockaddr)]
    )
    dialled: list[object] = []
    monkeypatch.setattr(webhook_http, "_connect", lambda addresses: dialled.append(addresses))

    _, failed = send(webhook_queue, one)

    assert len(failed) == 1
    assert dialled == []
    [attempt] = stored(one).attempts
    assert attempt.http_status is None
    assert attempt.error is not None
    assert attempt.error.startswith("refused_address:")
    assert f"resolves to {address}" in attempt.error
    assert "token" not in attempt.error
    # And the logs name neither the URL's query, the secret nor the payload
    ours = [r for r in caplog.records if not r.name.startswith(("botocore", "boto3"))]
    logged = "\n".join(f"{r.getMessage()} {vars(r)}" for r in ours)
    assert "webhook delivery retried later" in logged
    for private in ("q-s3cr3t", made.secret, one.payload, "hooks.example.com/in"):
        assert private not in logged


def test_deleting_the_endpoint_cancels_its_pending_deliveries(
    webhook_queue: str, receiver: Receiver
) -> None:
    made = endpoint(receiver.url)
    one = delivery(made.endpoint)
    webhooks.delete_endpoint(access("acme"), made.endpoint.webhook_id)

    _, failed = send(webhook_queue, one)

    assert failed == set()
    assert receiver.requests == []
    assert stored(one).status is DeliveryStatus.CANCELLED


def test_a_finished_or_unknown_delivery_is_consumed_without_a_post(
    webhook_queue: str, receiver: Receiver
) -> None:
    made = endpoint(receiver.url)
    done = delivery(made.endpoint)
    send(webhook_queue, done)
    unknown = done.model_copy(update={"delivery_id": "whd_" + "0" * 26})

    _, failed = send(webhook_queue, done, unknown)

    assert failed == set()
    assert len(receiver.requests) == 1


def test_too_little_time_left_gives_the_record_back_unattempted(
    webhook_queue: str, receiver: Receiver
) -> None:
    one = delivery(endpoint(receiver.url).endpoint)
    event = enqueue(webhook_queue, job(one))

    assert len(run(event, remaining_ms=5_000)) == 1
    assert receiver.requests == []
    assert stored(one).attempts == ()


def _spent(count: int) -> tuple[DeliveryAttempt, ...]:
    at = clock.now() - timedelta(hours=1)
    return tuple(DeliveryAttempt(at=at, http_status=503, error="HTTP 503") for _ in range(count))


def test_the_schedule_runs_out_and_the_delivery_fails(
    webhook_queue: str, receiver: Receiver
) -> None:
    receiver.statuses = [503]
    made = endpoint(receiver.url)
    one = delivery(made.endpoint, attempts=_spent(len(RETRY_SCHEDULE)))

    _, failed = send(webhook_queue, one)

    assert failed == set()  # consumed: nothing more to try
    after = stored(one)
    assert after.status is DeliveryStatus.FAILED
    assert len(after.attempts) == 8
    now = endpoint_now(made.endpoint)
    assert now.enabled
    assert now.failing_since is not None


def test_an_endpoint_failing_past_the_limit_is_disabled_with_a_reason(
    webhook_queue: str, receiver: Receiver
) -> None:
    receiver.statuses = [503]
    made = endpoint(receiver.url)
    health.mark_failing(made.endpoint, clock.now() - DISABLE_AFTER - timedelta(hours=1))
    one = delivery(made.endpoint, attempts=_spent(len(RETRY_SCHEDULE)))

    send(webhook_queue, one)

    assert stored(one).status is DeliveryStatus.FAILED
    now = endpoint_now(made.endpoint)
    assert not now.enabled
    assert now.version == made.endpoint.version + 1
    assert now.disabled_reason == "every delivery failed for 5 days (last: HTTP 503)"
    # Its next delivery is cancelled, never sent.
    later = delivery(made.endpoint)
    send(webhook_queue, later)
    assert stored(later).status is DeliveryStatus.CANCELLED
    assert len(receiver.requests) == 1
