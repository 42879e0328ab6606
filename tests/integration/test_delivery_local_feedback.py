"""The local stack's stand-in for SES -> EventBridge -> feedback queue: a locally sent
message comes back as the events SES would publish (the mailbox simulator's outcomes
included) and reaches its final status through the real feedback Lambda."""

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
from tenx_email.dal import suppressions
from tenx_email.message_models import Message, MessageStatus
from tenx_email.sending_models import SuppressionSource
from tests.integration import delivery_support as support
from tests.integration.delivery_support import (
    HANDLE,
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


def deliver_and_report(
    queue: str, feedback_queue: str, address: str, events: int
) -> tuple[Message, list[str]]:
    """Send one message to `address` locally and apply what comes back on the feedback queue:
    the message, and the event types in the order SES reported them."""
    message = queue_message(address)
    assert run_delivery(enqueue(queue, job(message))) == []
    reported = receive(feedback_queue, events, wait_seconds=5)
    assert feedback.handler(reported, support.Context())["batchItemFailures"] == []
    types = [json.loads(record["body"])["detail"]["eventType"] for record in reported["Records"]]
    return stored(message), types


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
    # and nothing more comes
    assert sqs.receive_message(QueueUrl=feedback_queue, WaitTimeSeconds=3).get("Messages") is None


@pytest.mark.parametrize(
    ("address", "reported", "status", "detail", "suppressed_by"),
    [
        (
            "bounce@simulator.amazonses.com",
            ["Bounce"],
            MessageStatus.BOUNCED,
            "Permanent/General",
            SuppressionSource.BOUNCE,
        ),
        (
            "bounce+signup-42@simulator.amazonses.com",
            ["Bounce"],
            MessageStatus.BOUNCED,
            "Permanent/General",
            SuppressionSource.BOUNCE,
        ),
        (
            "suppressionlist@simulator.amazonses.com",
            ["Bounce"],
            MessageStatus.BOUNCED,
            "Permanent/OnAccountSuppressionList",
            SuppressionSource.BOUNCE,
        ),
        (
            "Complaint@Simulator.AmazonSES.com",
            ["Delivery", "Complaint"],
            MessageStatus.COMPLAINED,
            "abuse",
            SuppressionSource.COMPLAINT,
        ),
        ("success@simulator.amazonses.com", ["Delivery"], MessageStatus.DELIVERED, None, None),
        ("ooto+trip@simulator.amazonses.com", ["Delivery"], MessageStatus.DELIVERED, None, None),
        ("nobody@simulator.amazonses.com", ["Delivery"], MessageStatus.DELIVERED, None, None),
    ],
)
def test_the_mailbox_simulator_reports_what_ses_reports(
    ses: SesSpy,
    queue: str,
    feedback_queue: str,
    address: str,
    reported: list[str],
    status: MessageStatus,
    detail: str | None,
    suppressed_by: SuppressionSource | None,
) -> None:
    # When a message to a simulator address is sent locally and its events applied
    message, types = deliver_and_report(queue, feedback_queue, address, len(reported))

    # Then SES's events came, in order, and the recipient ends as SES's outcome says
    assert types == reported
    assert (message.recipients[0].status, message.status) == (status, status)
    assert events_of(message)[-1]["detail"] == detail
    # and a hard bounce or a complaint suppresses the address for the handle
    suppression = suppressions.get(HANDLE, address.lower())
    assert (suppression.source if suppression else None) is suppressed_by
