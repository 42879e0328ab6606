"""An endpoint's delivery log through the real handlers on moto: newest first with every
attempt, filtered by status; replaying one delivery or a window re-sends exactly what was
asked, under the same delivery ids (each replay a new sending of the delivery); a test event
is queued like any other."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

import boto3
import pytest

from tenx_email import clock
from tenx_email.dal import webhook_deliveries
from tenx_email.roles import Role
from tenx_email.webhook_payloads import of_run
from tenx_email.webhooks import DeliveryAttempt, DeliveryStatus, WebhookDelivery
from tests.events import invoke
from tests.integration.conftest import MEMBERS

OPERATOR = MEMBERS[Role.OPERATOR]
NOW = clock.now()


@pytest.fixture
def webhook_id(tenant: None, webhook_queue: str) -> str:
    body = {"url": "https://hooks.example.org/in"}
    status, created = invoke("create_webhook", {"handle": "acme"}, sub=OPERATOR, body=body)
    assert status == 201
    return str(created["webhook"]["webhookId"])


def path(webhook_id: str, **more: str) -> dict[str, str]:
    return {"handle": "acme", "webhookId": webhook_id, **more}


def logged(webhook_id: str, at: datetime, status: DeliveryStatus, attempts: int = 0) -> str:
    """A delivery of a rule run at `at`, as the fan-out and sender leave it."""
    from tenx_email.campaign_models import RuleRun, RuleRunOutcome

    run = RuleRun(
        handle="acme",
        campaign_id="cmp_welcome",
        rule_id="cer_00000000-0000-4000-8000-000000000001",
        event_id=f"evt_{at.timestamp()}",
        outcome=RuleRunOutcome.SKIPPED,
        rule_version=1,
        at=at,
    )
    occurrence = of_run(run)
    delivery = WebhookDelivery(
        handle="acme",
        webhook_id=webhook_id,
        delivery_id=occurrence.delivery_id,
        event_type=occurrence.event_type,
        payload=occurrence.body,
        status=status,
        attempts=tuple(
            DeliveryAttempt(at=at, http_status=503, latency_ms=12, error=None)
            for _ in range(attempts)
        ),
        created_at=at,
    )
    assert webhook_deliveries.save(delivery, None)
    return occurrence.delivery_id


def queued_jobs(url: str) -> list[dict[str, Any]]:
    sqs = boto3.client("sqs")
    jobs: list[dict[str, Any]] = []
    while found := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages"):
        jobs += [json.loads(message["Body"]) for message in found]
    return jobs


def queued(url: str) -> list[str]:
    return [job["deliveryId"] for job in queued_jobs(url)]


def deliveries(webhook_id: str, **query: str) -> tuple[int, Any]:
    return invoke("list_webhook_deliveries", path(webhook_id), sub=OPERATOR, query=query)


def test_the_log_is_newest_first_with_every_attempt_and_filters_by_status(webhook_id: str) -> None:
    old = logged(webhook_id, NOW - timedelta(hours=2), DeliveryStatus.FAILED, attempts=3)
    new = logged(webhook_id, NOW - timedelta(hours=1), DeliveryStatus.SUCCEEDED, attempts=1)
    status, body = deliveries(webhook_id)
    assert status == 200
    assert [d["deliveryId"] for d in body["deliveries"]] == [new, old]
    failed = body["deliveries"][1]
    assert failed["status"] == "FAILED"
    assert [a["httpStatus"] for a in failed["attempts"]] == [503, 503, 503]
    assert failed["payload"]["type"] == "SKIPPED"
    assert failed["payload"]["data"]["campaignId"] == "cmp_welcome"
    # One status only, filtered per page (the first page read the newer, SUCCEEDED one), with
    # a page token bound to it
    status, body = deliveries(webhook_id, status="FAILED", limit="1")
    assert (status, body["deliveries"]) == (200, [])
    token = body["nextToken"]
    status, body = deliveries(webhook_id, status="FAILED", limit="1", nextToken=token)
    assert [d["deliveryId"] for d in body["deliveries"]] == [old]
    status, body = deliveries(webhook_id, status="SUCCEEDED", limit="1", nextToken=token)
    assert (status, body["error"]) == (400, "invalid_next_token")
    status, body = deliveries(webhook_id, status="BOGUS")
    assert (status, body["error"]) == (400, "invalid_request")
    status, body = deliveries(webhook_id, nextToken="forged")
    assert (status, body["error"]) == (400, "invalid_next_token")


def test_replaying_one_delivery_queues_it_again_under_its_id(
    webhook_id: str, webhook_queue: str
) -> None:
    delivery_id = logged(webhook_id, NOW, DeliveryStatus.FAILED, attempts=8)
    status, body = invoke(
        "replay_webhook_delivery", path(webhook_id, deliveryId=delivery_id), sub=OPERATOR
    )
    assert status == 202, body
    assert (body["delivery"]["deliveryId"], body["delivery"]["status"]) == (delivery_id, "PENDING")
    # Its next sending, with a schedule of its own from the 8 attempts its log holds
    [job] = queued_jobs(webhook_queue)
    assert (job["deliveryId"], job["sending"], job["attemptsBefore"]) == (delivery_id, 1, 8)
    assert json.loads(job["payload"])["type"] == "SKIPPED"
    unknown = path(webhook_id, deliveryId="whd_" + "0" * 26)
    status, body = invoke("replay_webhook_delivery", unknown, sub=OPERATOR)
    assert (status, body["error"]) == (404, "webhook_delivery_not_found")


def test_a_window_replay_re_sends_exactly_the_deliveries_in_it(
    webhook_id: str, webhook_queue: str
) -> None:
    before = logged(webhook_id, NOW - timedelta(days=3), DeliveryStatus.SUCCEEDED, 1)
    inside = [
        logged(webhook_id, NOW - timedelta(days=2, hours=h), DeliveryStatus.FAILED, 8)
        for h in (3, 2, 1)
    ]
    after = logged(webhook_id, NOW - timedelta(days=1), DeliveryStatus.SUCCEEDED, 1)
    window = {
        "since": clock.iso(NOW - timedelta(days=2, hours=4)),
        "until": clock.iso(NOW - timedelta(days=2)),
    }
    status, body = invoke("replay_webhook_deliveries", path(webhook_id), sub=OPERATOR, body=window)
    assert (status, body) == (202, {"replayed": 3, "truncated": False})
    assert sorted(queued(webhook_queue)) == sorted(inside)
    assert before not in inside
    assert after not in inside


@pytest.mark.parametrize(
    "window",
    [
        {"since": "2026-12-02T00:00:00Z", "until": "2026-12-01T00:00:00Z"},
        {"since": "2026-11-01T00:00:00Z", "until": "2026-12-01T00:00:00Z"},
    ],
)
def test_a_window_must_be_forward_and_within_the_logs_keeping(
    webhook_id: str, window: dict[str, str]
) -> None:
    status, body = invoke("replay_webhook_deliveries", path(webhook_id), sub=OPERATOR, body=window)
    assert (status, body["error"]) == (400, "invalid_replay_window")


def test_a_window_needs_times_with_a_zone(webhook_id: str) -> None:
    window = {"since": "2026-12-01T00:00:00", "until": "2026-12-02T00:00:00"}
    status, body = invoke("replay_webhook_deliveries", path(webhook_id), sub=OPERATOR, body=window)
    assert (status, body["error"]) == (400, "invalid_request")


def test_a_test_event_is_queued_like_any_delivery(webhook_id: str, webhook_queue: str) -> None:
    status, body = invoke("send_webhook_test", path(webhook_id), sub=OPERATOR)
    assert status == 202, body
    delivery = body["delivery"]
    assert (delivery["eventType"], delivery["status"]) == ("WEBHOOK_TEST", "PENDING")
    assert delivery["payload"]["data"]["webhookId"] == webhook_id
    [job] = queued_jobs(webhook_queue)
    assert job["deliveryId"] == delivery["deliveryId"]
    assert json.loads(job["payload"]) == delivery["payload"]
    # The log shows it once the sender has attempted it (test_webhook_sender.py)
    assert deliveries(webhook_id)[1]["deliveries"] == []


def test_a_disabled_endpoint_is_not_sent_to(webhook_id: str) -> None:
    change = {"url": "https://hooks.example.org/in", "enabled": False}
    assert invoke("update_webhook", path(webhook_id), sub=OPERATOR, body=change)[0] == 200
    status, body = invoke("send_webhook_test", path(webhook_id), sub=OPERATOR)
    assert (status, body["error"]) == (409, "webhook_disabled")
