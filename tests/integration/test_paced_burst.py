"""Pacing to SES: a burst of several hundred recipients against a low send rate drains at that
rate, every recipient SENT, nothing dead-lettered, and (almost) no SendEmail throttled. The
local SES's rate stand-in (devstack/ses_rate.py) reports the rate through GetAccount and
throttles SendEmail above it, as SES does."""

from __future__ import annotations

import json

import boto3
import pytest
from botocore.exceptions import ClientError

from devstack.bench import burst, targets
from devstack.pollers import SqsPoller
from devstack.ses_rate import SesSendRate
from functions import deliver
from tenx_email import resources
from tenx_email.message_models import MessageStatus
from tests.integration import delivery_support as support
from tests.integration.delivery_support import (
    REGION,
    STAGE,
    SesSpy,
    job,
    queue_message,
    stored,
)

ses = support.ses
queue = support.queue

# At most this fraction of the burst's SendEmail calls may be throttled (and then retried).
MAX_THROTTLED_FRACTION = targets.PACED_BURST_THROTTLED_PCT / 100


@pytest.fixture
def slow_ses(aws: SesSendRate, ses: SesSpy) -> SesSendRate:
    """The local SES at the burst's low rate (before anything read it)."""
    aws.max_send_rate = burst.MAX_SEND_RATE
    return aws


def _dead_lettered() -> int:
    client = boto3.client("sqs", region_name=REGION)
    url = client.get_queue_url(
        QueueName=resources.queue_name(STAGE, resources.DELIVERY_QUEUE, dead_letter=True)
    )["QueueUrl"]
    attributes = client.get_queue_attributes(
        QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"]
    )["Attributes"]
    return int(attributes["ApproximateNumberOfMessages"])


def test_a_burst_drains_at_the_send_rate_without_throttling_or_dead_letters(
    slow_ses: SesSendRate, queue: str
) -> None:
    # Given 300 recipients (30 messages of 10) queued at once against 40 sends a second
    per_message = burst.RECIPIENTS_PER_MESSAGE
    messages = [
        queue_message(*(f"r{m}-{i}@example.org" for i in range(per_message)))
        for m in range(burst.RECIPIENTS // per_message)
    ]
    sqs = boto3.client("sqs", region_name=REGION)
    for start in range(0, len(messages), 10):
        sqs.send_message_batch(
            QueueUrl=queue,
            Entries=[
                {"Id": str(i), "MessageBody": json.dumps(job(m))}
                for i, m in enumerate(messages[start : start + 10])
            ],
        )
    arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])
    poller = SqsPoller(
        sqs,
        resources.DELIVERY_QUEUE,
        queue,
        arn["Attributes"]["QueueArn"],
        lambda event: deliver.handler(event, support.Context()),
        wait_seconds=0,
    )

    # When the delivery consumer drains the queue, as the local stack runs it
    figure = burst.drain(poller.poll_once, slow_ses, burst.RECIPIENTS, _dead_lettered)

    # Then every recipient is SENT and nothing went to the dead-letter queue
    assert all(stored(m).status is MessageStatus.SENT for m in messages)
    assert figure.sent == burst.RECIPIENTS
    assert figure.dead_lettered == 0
    # And SES throttled almost nothing: delivery kept to the rate GetAccount reported
    assert figure.throttled <= MAX_THROTTLED_FRACTION * burst.RECIPIENTS
    assert figure.achieved_rate <= burst.MAX_SEND_RATE * 1.05


def test_the_local_ses_throttles_sends_over_its_rate(aws: SesSendRate) -> None:
    # Given the local SES at 5 sends a second
    aws.max_send_rate = 5
    client = boto3.client("sesv2", region_name=REGION)
    client.create_email_identity(EmailIdentity="example.com")
    assert client.get_account()["SendQuota"]["MaxSendRate"] == 5
    # When 20 sends arrive at once, unpaced
    refused = []
    for i in range(20):
        try:
            client.send_email(
                FromEmailAddress="a@example.com",
                Destination={"ToAddresses": [f"r{i}@example.org"]},
                Content={"Simple": {"Subject": {"Data": "s"}, "Body": {"Text": {"Data": "t"}}}},
            )
        except ClientError as error:
            refused.append(error.response["Error"]["Code"])
    # Then one second's worth goes through and the rest is throttled, as SES answers
    assert len(refused) >= 14
    assert set(refused) == {"TooManyRequestsException"}
    assert aws.throttled == len(refused)
