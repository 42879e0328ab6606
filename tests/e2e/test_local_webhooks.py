"""The local stack delivers webhooks: a delivery queued for the demo handle's seeded endpoint
is polled off the webhook queue, signed, POSTed to the local receiver and shown there
verified; the delivery log records it SUCCEEDED."""

from __future__ import annotations

import json
import time
from typing import Any

import boto3
import pytest
from boto3.dynamodb.types import TypeDeserializer

from tenx_email import clock, ids, keys, resources, webhook_signing
from tenx_email.webhook_payloads import DeliveryJob
from tenx_email.webhooks import DeliveryStatus
from tests.e2e.stack import aws_client, call

pytestmark = pytest.mark.e2e

# The session's other tests queue deliveries too (the fuzzing sends many messages), and the
# local stack runs its functions one at a time: the sender may have a backlog to work off.
WAIT_SECONDS = 120


def _seeded_endpoint(doc: dict[str, Any]) -> dict[str, Any]:
    dynamodb = aws_client(doc, "dynamodb")
    found = dynamodb.scan(
        TableName=doc["aws"]["tableName"],
        FilterExpression="entity = :webhook",
        ExpressionAttributeValues={":webhook": {"S": "WEBHOOK"}},
    )["Items"]
    endpoints = [{k: TypeDeserializer().deserialize(v) for k, v in i.items()} for i in found]
    # Other tests of the session may have made endpoints of their own (the README's curl).
    receiver = f"{doc['apiBase']}/_local/webhooks"
    [endpoint] = [e for e in endpoints if e["handle"] == doc["handle"] and e["url"] == receiver]
    return endpoint


def test_a_queued_delivery_arrives_verified_at_the_local_receiver(doc: dict[str, Any]) -> None:
    # Given the demo handle's seeded endpoint, which points at the local receiver
    endpoint = _seeded_endpoint(doc)
    # And a delivery queued for it as the fan-out queues one
    now = clock.now()
    job = DeliveryJob(
        handle=doc["handle"],
        webhook_id=endpoint["webhookId"],
        delivery_id=f"whd_{ids.ulid(now).lower()}",
        event_type="SENT",
        created_at=now,
        payload=webhook_signing.body_of(
            {"type": "SENT", "timestamp": clock.iso(now), "data": {"handle": doc["handle"]}}
        ),
    )
    delivery = job.delivery()
    table = boto3.resource(
        "dynamodb", endpoint_url=doc["aws"]["endpointUrl"], region_name=doc["aws"]["region"]
    ).Table(doc["aws"]["tableName"])
    sqs = aws_client(doc, "sqs")
    queue = sqs.get_queue_url(QueueName=resources.queue_name("local", resources.WEBHOOK_QUEUE))
    sqs.send_message(QueueUrl=queue["QueueUrl"], MessageBody=job.body())

    # When the sender has had its turn
    deadline = time.monotonic() + WAIT_SECONDS
    arrived: list[dict[str, Any]] = []
    while not arrived and time.monotonic() < deadline:
        status, listing = call(doc, "GET", "/_local/webhooks?format=json")
        assert status == 200
        arrived = [w for w in listing["webhooks"] if w["deliveryId"] == delivery.delivery_id]
        time.sleep(0.2)

    # Then the receiver has it, verified with the endpoint's secret, and the page shows it
    [arrival] = arrived
    assert arrival["verified"], arrival["verification"]
    assert arrival["webhookId"] == endpoint["webhookId"]
    assert arrival["body"] == delivery.payload
    status, page = call(doc, "GET", "/_local/webhooks")
    assert status == 200
    assert "Verified" in page
    # And the delivery log says SUCCEEDED (written just after the receiver answered)
    key = keys.webhook_delivery(delivery.handle, delivery.webhook_id, delivery.delivery_id)
    status_now = None
    while status_now != DeliveryStatus.SUCCEEDED.value and time.monotonic() < deadline:
        status_now = table.get_item(Key=key, ConsistentRead=True).get("Item", {}).get("status")
        time.sleep(0.1)
    assert status_now == DeliveryStatus.SUCCEEDED.value


def test_a_delivered_email_arrives_as_signed_sent_and_delivered_webhooks(
    doc: dict[str, Any],
) -> None:
    """The whole path on the local stack: a send over HTTP, delivery, SES's events, the
    stream fan-out, the sender, the receiver verifying each with the endpoint's secret."""
    from tests.e2e.test_direct_send import ensure_setup, queue_direct

    ensure_setup(doc)
    message_id = queue_direct(
        doc,
        doc["tokens"]["OPERATOR"],
        "success@simulator.amazonses.com",
        variables={"firstName": "Hook", "service": "webhooks"},
    )
    deadline = time.monotonic() + WAIT_SECONDS
    types: dict[str, dict[str, Any]] = {}
    while {"SENT", "DELIVERED"} - set(types) and time.monotonic() < deadline:
        _, listing = call(doc, "GET", "/_local/webhooks?format=json")
        for arrival in listing["webhooks"]:
            payload = json.loads(arrival["body"])
            if payload["data"].get("messageId") == message_id:
                types[payload["type"]] = arrival
        time.sleep(0.25)
    assert {"SENT", "DELIVERED"} <= set(types), sorted(types)
    for arrival in types.values():
        assert arrival["verified"], arrival["verification"]
    sent = json.loads(types["SENT"]["body"])["data"]
    assert sent["sesMessageId"]
    assert sent["recipient"] == "success@simulator.amazonses.com"
