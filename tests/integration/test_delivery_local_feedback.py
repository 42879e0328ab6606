"""The local stack's stand-in for SES -> EventBridge -> feedback queue: a locally delivered
message reaches DELIVERED through the real feedback Lambda."""

from __future__ import annotations

import json
from collections.abc import Iterator

import boto3
import pytest

from devstack.local_ses import LocalSes
from devstack.resources import create_queue
from devstack.ses_events import LocalSesEvents
from functions import feedback
from tenx_email import resources
from tenx_email.models import MessageStatus
from tests.integration import delivery_support as support
from tests.integration.delivery_support import (
    REGION,
    STAGE,
    SesSpy,
    enqueue,
    events_of,
    job,
    queue_message,
    receive,
    run_delivery,
    stored,
)

ses = support.ses
queue = support.queue


@pytest.fixture
def feedback_queue(ses: SesSpy) -> Iterator[str]:
    url = create_queue(boto3.client("sqs"), STAGE, resources.FEEDBACK_QUEUE).queue_url
    local_ses = LocalSes(LocalSesEvents(boto3.client("sqs", region_name=REGION), url))
    local_ses.install()
    # The hooks apply to clients created after them, as the adapter's is in the local stack.
    ses.real = boto3.client("sesv2", region_name=REGION)
    yield url
    local_ses.uninstall()


def test_a_local_send_comes_back_as_a_delivery_event(
    ses: SesSpy, queue: str, feedback_queue: str
) -> None:
    # Given a message delivered on the local stack
    message = queue_message("a@example.org")
    assert run_delivery(enqueue(queue, job(message))) == []

    # Then nothing is on the feedback queue until SES would report the delivery
    sqs = boto3.client("sqs", region_name=REGION)
    assert sqs.receive_message(QueueUrl=feedback_queue).get("Messages", []) == []

    # When the feedback Lambda takes what arrives on the feedback queue
    event = receive(feedback_queue, 1, wait_seconds=5)
    body = json.loads(event["Records"][0]["body"])
    failures = feedback.handler(event, support.Context())["batchItemFailures"]

    # Then it was SES's Delivery event for this recipient, and the message is DELIVERED
    assert body["source"] == "aws.ses"
    assert body["detail-type"] == "Email Delivered"
    assert body["detail"]["mail"]["tags"]["messageId"] == [message.message_id]
    assert failures == []
    assert stored(message).status is MessageStatus.DELIVERED
    assert sorted(e["type"] for e in events_of(message)) == ["DELIVERED", "SENT"]
