"""The webhook fan-out on moto: the real send, delivery, feedback and fan-out functions turn a
message's timeline and a rule's runs into one stored, queued delivery per subscribed endpoint,
with the payload the contract of docs/api.md describes; a retried batch records nothing twice."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import boto3
import pytest

from tenx_email import clock, resources, webhook_signing
from tenx_email.dal import messages, webhook_deliveries
from tenx_email.dal.campaign_items import RuleRunItem
from tenx_email.dal.table import table
from tenx_email.models import RuleRun, RuleRunOutcome
from tenx_email.services import webhooks
from tenx_email.services.webhooks import EndpointDraft
from tenx_email.webhooks import DeliveryStatus, WebhookEndpoint
from tests.integration import delivery_support as support
from tests.integration.delivery_support import (
    HANDLE,
    REGION,
    SesSpy,
    operator_access,
    receive,
    run_delivery,
    send_direct,
    stream_consumer,
)
from tests.integration.test_feedback import run_feedback, ses_event

ses = support.ses
queue = support.queue
direct_sends = support.direct_sends


@pytest.fixture
def fan_out(webhook_queue: str) -> Callable[[], int]:
    return stream_consumer(resources.WEBHOOK_FANOUT)


def endpoint(*events: str, enabled: bool = True) -> WebhookEndpoint:
    draft = EndpointDraft(
        url="https://hooks.example.org/in", events=events, enabled=enabled, description=None
    )
    return webhooks.create_endpoint(operator_access(), draft).endpoint


def logged(of: WebhookEndpoint) -> list[dict[str, Any]]:
    """The endpoint's delivery log, oldest first, as payloads."""
    page = webhook_deliveries.page(of.handle, of.webhook_id, None, 100, None)
    assert all(d.status is DeliveryStatus.PENDING for d in page.items)
    return [json.loads(d.payload) for d in reversed(page.items)]


def queued_jobs(url: str) -> list[dict[str, str]]:
    """Everything the webhook queue holds (each job once, until its visibility ends)."""
    sqs = boto3.client("sqs", region_name=REGION)
    jobs: list[dict[str, str]] = []
    while found := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages"):
        jobs += [json.loads(message["Body"]) for message in found]
    return jobs


def deliver_and_report(queue_url: str) -> str:
    """A direct send, delivered by SES and reported delivered: its message id."""
    status, body = send_direct("asha+crm@example.org")
    assert status == 202, body
    message_id = body["message"]["messageId"]
    assert run_delivery(receive(queue_url, 1, wait_seconds=2)) == []
    message = messages.get(HANDLE, message_id)
    assert message is not None
    reported = {"timestamp": clock.iso(clock.now())}
    _, failed = run_feedback(ses_event("Delivery", message, delivery=reported))
    assert failed == []
    return str(message_id)


def test_each_event_reaches_each_endpoint_that_subscribes(
    direct_sends: str, fan_out: Callable[[], int], webhook_queue: str
) -> None:
    # Given endpoints for SENT and DELIVERED, for everything, and one disabled
    sent_and_delivered = endpoint("SENT", "DELIVERED")
    everything = endpoint()
    endpoint(enabled=False)
    message_id = deliver_and_report(direct_sends)

    # When the fan-out reads the stream
    fan_out()

    # Then each endpoint has one delivery per event it subscribes to, in the timeline's order
    assert [p["type"] for p in logged(sent_and_delivered)] == ["SENT", "DELIVERED"]
    assert [p["type"] for p in logged(everything)] == ["QUEUED", "SENT", "DELIVERED"]
    # And each names our message, the handle, the recipient, when, and SES's id once it has one
    sent = logged(sent_and_delivered)[0]["data"]
    assert sent["messageId"] == message_id
    assert (sent["handle"], sent["recipient"]) == (HANDLE, "asha+crm@example.org")
    assert sent["sesMessageId"]
    assert "sesMessageId" not in logged(everything)[0]["data"]  # QUEUED: SES had none yet
    # And every delivery is queued for the sender, once
    jobs = queued_jobs(webhook_queue)
    assert len(jobs) == 5
    assert {job["webhookId"] for job in jobs} == {
        sent_and_delivered.webhook_id,
        everything.webhook_id,
    }


def test_a_retried_batch_records_nothing_twice(
    direct_sends: str, fan_out: Callable[[], int], webhook_queue: str
) -> None:
    subscriber = endpoint()
    deliver_and_report(direct_sends)
    from functions import fan_out_webhooks
    from tests.events import FakeLambdaContext

    records = _stream_records()
    for _ in range(2):  # the same batch twice, then again in reverse order
        fan_out_webhooks.handler({"Records": records}, FakeLambdaContext())
    fan_out_webhooks.handler({"Records": list(reversed(records))}, FakeLambdaContext())

    assert [p["type"] for p in logged(subscriber)] == ["QUEUED", "SENT", "DELIVERED"]
    # Still waiting for their first attempt, they are queued again (at least once)
    assert {job["deliveryId"] for job in queued_jobs(webhook_queue)} == {
        d.delivery_id
        for d in webhook_deliveries.page(HANDLE, subscriber.webhook_id, None, 10, None).items
    }


def test_rule_runs_reach_endpoints_with_the_campaign_rule_and_version(
    ses: SesSpy, fan_out: Callable[[], int]
) -> None:
    subscriber = endpoint("SKIPPED", "MESSAGE_CREATED")
    run = RuleRun(
        handle=HANDLE,
        campaign_id="cmp_welcome",
        rule_id="cer_00000000-0000-4000-8000-000000000001",
        event_id="evt_1",
        outcome=RuleRunOutcome.SKIPPED,
        rule_version=3,
        reason="quota",
        at=clock.now(),
    )
    table().put_item(Item=RuleRunItem.from_domain(run).to_item())
    created = run.model_copy(
        update={"outcome": RuleRunOutcome.MESSAGE_CREATED, "message_id": "msg_1", "reason": None}
    )
    table().put_item(Item=RuleRunItem.from_domain(created).to_item())
    fan_out()
    skipped, made = logged(subscriber)
    assert (skipped["type"], made["type"]) == ("SKIPPED", "MESSAGE_CREATED")
    assert made["data"] == {
        "handle": HANDLE,
        "campaignId": "cmp_welcome",
        "ruleId": run.rule_id,
        "ruleVersion": 3,
        "campaignEventId": "evt_1",
        "messageId": "msg_1",
        "occurredAt": clock.iso(run.at),
    }


def test_a_deleted_endpoint_gets_no_more_deliveries(
    direct_sends: str, fan_out: Callable[[], int]
) -> None:
    gone = endpoint()
    webhooks.delete_endpoint(operator_access(), gone.webhook_id)
    deliver_and_report(direct_sends)
    fan_out()
    assert webhook_deliveries.page(HANDLE, gone.webhook_id, None, 10, None).items == []


def test_the_payload_is_the_body_that_is_signed() -> None:
    # The stored payload is canonical JSON: what the sender signs is byte for byte what it sends
    body = webhook_signing.body_of({"type": "SENT", "data": {"recipient": "zoë@example.org"}})
    assert body == '{"type":"SENT","data":{"recipient":"zoë@example.org"}}'


def _stream_records() -> list[dict[str, Any]]:
    """Every message change the table's stream holds, as the event source hands them over."""
    from devstack.streams import stream_arn
    from tenx_email.adapters.table_stream import streams_client
    from tests.conftest import TABLE_NAME

    streams = streams_client(REGION)
    arn = stream_arn(boto3.client("dynamodb", region_name=REGION), TABLE_NAME)
    records: list[dict[str, Any]] = []
    for shard in streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]:
        iterator = streams.get_shard_iterator(
            StreamArn=arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
        )["ShardIterator"]
        found = streams.get_records(ShardIterator=iterator)["Records"]
        records += [
            dict(r)
            for r in found
            if resources.WEBHOOK_FANOUT.passes(r["dynamodb"]["Keys"]["SK"]["S"])
        ]
    return json.loads(json.dumps(records, default=str))
