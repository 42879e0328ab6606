"""The webhook fan-out on moto: the real send, delivery, feedback and fan-out functions turn a
message's timeline and a rule's runs into one queued delivery per subscribed endpoint, with
the payload the contract of docs/api.md describes; a retried batch, sent by the real sender,
reaches the receiver and the log once per event."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import boto3
import pytest

from tenx_email import clock, resources, webhook_signing
from tenx_email.campaign_models import RuleRun, RuleRunOutcome
from tenx_email.dal import messages, webhook_deliveries
from tenx_email.dal.campaign_items import RuleRunItem
from tenx_email.dal.table import table
from tenx_email.services import webhooks
from tenx_email.services.webhooks import EndpointDraft
from tenx_email.webhooks import DeliveryStatus, WebhookEndpoint
from tests.integration import delivery_support as support
from tests.integration.delivery_support import (
    HANDLE,
    REGION,
    SesSpy,
    enqueue,
    operator_access,
    receive,
    run_delivery,
    send_direct,
    stream_consumer,
)
from tests.integration.test_feedback import run_feedback, ses_event
from tests.integration.webhook_support import Receiver, local_targets, receiver, run

ses = support.ses
queue = support.queue
direct_sends = support.direct_sends
__all__ = ["local_targets", "receiver"]  # fixtures


@pytest.fixture
def fan_out(webhook_queue: str) -> Callable[[], int]:
    return stream_consumer(resources.WEBHOOK_FANOUT)


def endpoint(
    *events: str, enabled: bool = True, url: str = "https://hooks.example.org/in"
) -> WebhookEndpoint:
    draft = EndpointDraft(url=url, events=events, enabled=enabled, description=None)
    return webhooks.create_endpoint(operator_access(), draft).endpoint


def queued_jobs(url: str) -> list[dict[str, Any]]:
    """Everything the webhook queue holds (each job once, until its visibility ends), oldest
    event first (a delivery id is a ULID of its event's time)."""
    sqs = boto3.client("sqs", region_name=REGION)
    jobs: list[dict[str, Any]] = []
    while found := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages"):
        jobs += [json.loads(message["Body"]) for message in found]
    return sorted(jobs, key=lambda job: str(job["deliveryId"]))


def payloads(jobs: list[dict[str, Any]], of: WebhookEndpoint) -> list[dict[str, Any]]:
    """What the jobs for one endpoint will send, as payloads."""
    return [json.loads(job["payload"]) for job in jobs if job["webhookId"] == of.webhook_id]


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

    # Then each endpoint has one delivery queued per event it subscribes to, and nothing is
    # written to the table (the sender stores each delivery with its first attempt)
    jobs = queued_jobs(webhook_queue)
    assert len(jobs) == 5
    assert [p["type"] for p in payloads(jobs, sent_and_delivered)] == ["SENT", "DELIVERED"]
    assert [p["type"] for p in payloads(jobs, everything)] == ["QUEUED", "SENT", "DELIVERED"]
    assert webhook_deliveries.page(HANDLE, everything.webhook_id, None, 10, None).items == []
    # And each names our message, the handle, the recipient, when, and SES's id once it has one
    sent = payloads(jobs, sent_and_delivered)[0]["data"]
    assert sent["messageId"] == message_id
    assert (sent["handle"], sent["recipient"]) == (HANDLE, "asha+crm@example.org")
    assert sent["sesMessageId"]
    assert "sesMessageId" not in payloads(jobs, everything)[0]["data"]  # QUEUED: no SES id yet


@pytest.mark.usefixtures("local_targets")
def test_a_retried_batch_reaches_the_receiver_and_the_log_once_per_event(
    direct_sends: str, fan_out: Callable[[], int], webhook_queue: str, receiver: Receiver
) -> None:
    subscriber = endpoint(url=receiver.url)
    deliver_and_report(direct_sends)
    from functions import fan_out_webhooks
    from tests.events import FakeLambdaContext

    records = _stream_records()
    for _ in range(2):  # the same batch twice, then again in reverse order
        fan_out_webhooks.handler({"Records": records}, FakeLambdaContext())
    fan_out_webhooks.handler({"Records": list(reversed(records))}, FakeLambdaContext())
    jobs = queued_jobs(webhook_queue)
    assert len(jobs) == 9  # each event's job, queued by each run (at least once)

    # The sender, in batches of 4: copies share a batch or follow one another
    for start in range(0, len(jobs), 4):
        assert run(enqueue(webhook_queue, *map(json.dumps, jobs[start : start + 4]))) == set()

    events = ["QUEUED", "SENT", "DELIVERED"]
    assert sorted(json.loads(r.body)["type"] for r in receiver.requests) == sorted(events)
    log = webhook_deliveries.page(HANDLE, subscriber.webhook_id, None, 10, None).items
    assert sorted(d.event_type for d in log) == sorted(events)
    assert all(d.status is DeliveryStatus.SUCCEEDED and len(d.attempts) == 1 for d in log)


def test_rule_runs_reach_endpoints_with_the_campaign_rule_and_version(
    ses: SesSpy, fan_out: Callable[[], int], webhook_queue: str
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
    skipped, made = payloads(queued_jobs(webhook_queue), subscriber)
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
    direct_sends: str, fan_out: Callable[[], int], webhook_queue: str
) -> None:
    gone = endpoint()
    webhooks.delete_endpoint(operator_access(), gone.webhook_id)
    deliver_and_report(direct_sends)
    fan_out()
    assert queued_jobs(webhook_queue) == []


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
