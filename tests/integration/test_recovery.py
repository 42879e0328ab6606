"""Operators' recovery after the event projection gave up on a stream batch (its event source
put the batch's place on the projection's dead-letter queue): `tenx-admin replay-projection-dlq`
projects it again from the stream, listing no event twice, and recounts the days' usage it
touched; `tenx-admin recount-usage` sets a day's usage from the stored messages."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from tenx_email import admin, clock
from tenx_email.dal.table import table
from tenx_email.resources import EVENT_PROJECTION, stream_dead_letter_queue_name
from tenx_email.roles import Role
from tenx_email.services.quotas import quota_day
from tests.conftest import REGION, STAGE, TABLE_NAME
from tests.events import invoke
from tests.integration import delivery_support as support
from tests.integration.conftest import MEMBERS
from tests.integration.delivery_support import SesSpy, enqueue, job, queue_message, run_delivery
from tests.integration.test_event_feed import poll, used_today

ses = support.ses
queue = support.queue
EVERY = {"purpose": "TRANSACTIONAL_API"}
OPERATOR = MEMBERS[Role.OPERATOR]


@contextmanager
def refusing(operation: str, refused: Callable[[dict[str, Any]], bool]) -> Iterator[None]:
    """DynamoDB refuses the table client's `operation` calls whose parameters (as the table
    resource typed them: {"SK": {"S": ...}}) `refused` picks."""
    client = table().meta.client
    event = f"before-parameter-build.dynamodb.{operation}"

    def refuse(params: dict[str, Any], **_: Any) -> None:
        if refused(params):
            raise ClientError(
                {"Error": {"Code": "InternalServerError", "Message": "injected"}}, operation
            )

    client.meta.events.register(event, refuse)
    try:
        yield
    finally:
        client.meta.events.unregister(event, refuse)


def usage_charges_failing() -> AbstractContextManager[None]:
    """Every charge of a day's usage (the projection's last step) is refused, so its batch is
    retried after writing its feed pages, then given up on."""
    return refusing(
        "TransactWriteItems",
        lambda params: any(
            entry.get("Update", {}).get("Key", {}).get("SK", {}).get("S", "").startswith("USAGE#")
            for entry in params["TransactItems"]
        ),
    )


def batch_writes_failing() -> AbstractContextManager[None]:
    """Every BatchWriteItem is refused: the projection's batch writes nothing, then is given
    up on."""
    return refusing("BatchWriteItem", lambda params: True)


def given_up_on(project_events: Callable[[], int]) -> dict[str, Any]:
    for _ in range(EVENT_PROJECTION.retry_attempts + 1):
        project_events()  # each run retries the failed batch once
    (failure,) = dead_letters()
    return failure


def dead_letters() -> list[dict[str, Any]]:
    sqs = boto3.client("sqs", region_name=REGION)
    url = sqs.get_queue_url(QueueName=stream_dead_letter_queue_name(STAGE, EVENT_PROJECTION))
    found = sqs.receive_message(QueueUrl=url["QueueUrl"], MaxNumberOfMessages=10)
    for message in found.get("Messages", []):  # put back at once
        sqs.change_message_visibility(
            QueueUrl=url["QueueUrl"], ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=0
        )
    return [json.loads(message["Body"]) for message in found.get("Messages", [])]


def admin_command(capsys: pytest.CaptureFixture[str], *argv: str) -> dict[str, Any]:
    """Run the admin command; its result, which is all it prints on stdout."""
    capsys.readouterr()  # what the test printed before
    assert admin.main(["--table", TABLE_NAME, "--stage", STAGE, *argv]) == 0
    printed: dict[str, Any] = json.loads(capsys.readouterr().out)
    return printed


def sent(queue_url: str, *emails: str) -> None:
    messages = [queue_message(email) for email in emails]
    assert run_delivery(enqueue(queue_url, *(job(message) for message in messages))) == []


def test_a_batch_given_up_on_is_replayed_once_and_its_usage_recounted(
    ses: SesSpy,
    queue: str,
    project_events: Callable[[], int],
    capsys: pytest.CaptureFixture[str],
) -> None:
    # Given a batch (three messages, two sent) whose projection wrote its feed pages,
    # then failed to charge its usage on every attempt, and so was given up on
    sent(queue, "a@example.org", "b@example.org")
    queue_message("c@example.org")  # stored, never delivered: QUEUED only
    with usage_charges_failing():
        failure = given_up_on(project_events)
    assert failure["DDBStreamBatchInfo"]["batchSize"] >= 3
    # ... and a poller that already read the events its attempts listed
    seen, token = poll(None, **EVERY)
    assert sorted(event["recipient"] for event in seen) == ["a@example.org", "b@example.org"]
    assert used_today() == 0
    # And a later batch, projected well
    sent(queue, "d@example.org")
    project_events()

    # When an operator replays the dead-letter queue
    replayed = admin_command(capsys, "replay-projection-dlq")

    # Then the batch was projected again and left the queue, and the day recounted
    assert (replayed["batches"], replayed["gone"]) == (1, [])
    assert replayed["recounted"] == {f"acme {quota_day(clock.now())}": 4}
    assert dead_letters() == []
    assert used_today() == 4
    # And the poller gets the later batch's events, and none of the replayed ones again
    fresh, token = poll(token, **EVERY)
    assert [(event["type"], event["recipient"]) for event in fresh] == [("SENT", "d@example.org")]
    every = [event["eventId"] for event in poll(None, **EVERY)[0]]
    assert len(every) == len(set(every)) == 3

    # When the queue hands the same batch over again (SQS delivers at least once: the
    # operator's command died after projecting, before deleting), and it is replayed again
    sqs = boto3.client("sqs", region_name=REGION)
    url = sqs.get_queue_url(QueueName=stream_dead_letter_queue_name(STAGE, EVENT_PROJECTION))
    sqs.send_message(QueueUrl=url["QueueUrl"], MessageBody=json.dumps(failure))
    assert admin_command(capsys, "replay-projection-dlq")["batches"] == 1

    # Then nothing is listed twice, and the day's usage still counts each recipient once
    assert poll(token, **EVERY)[0] == []
    assert used_today() == 4


def test_a_batch_that_wrote_nothing_is_replayed_after_the_feeds_head_once(
    ses: SesSpy,
    queue: str,
    project_events: Callable[[], int],
    capsys: pytest.CaptureFixture[str],
) -> None:
    # Given a batch whose projection could write nothing (its events are in no feed page),
    # given up on, then a later batch projected, and a poller at the feed's end
    sent(queue, "a@example.org")
    with batch_writes_failing():
        given_up_on(project_events)
    sent(queue, "b@example.org")
    project_events()
    seen, token = poll(None, **EVERY)
    assert [event["recipient"] for event in seen] == ["b@example.org"]

    # When the batch is replayed
    assert admin_command(capsys, "replay-projection-dlq")["batches"] == 1

    # Then the poller's next call gives its event (projected after the page it had read), once
    fresh, token = poll(token, **EVERY)
    assert [(event["type"], event["recipient"]) for event in fresh] == [("SENT", "a@example.org")]
    assert poll(token, **EVERY)[0] == []
    # And the recipient's own list names the message the batch had stored
    status, body = invoke(
        "list_events", {"handle": "acme"}, sub=OPERATOR, query={"recipient": "a@example.org"}
    )
    assert (status, [event["type"] for event in body["events"]]) == (200, ["SENT"])


def test_a_day_is_recounted_from_its_stored_messages(
    ses: SesSpy, queue: str, project_events: Callable[[], int], capsys: pytest.CaptureFixture[str]
) -> None:
    # Given a day whose usage says less than its messages (a charge lost)
    sent(queue, "a@example.org", "b@example.org")
    project_events()
    day = quota_day(clock.now())
    table().update_item(
        Key={"PK": "HANDLE#acme", "SK": f"USAGE#{day}"},
        UpdateExpression="SET used = :zero",
        ExpressionAttributeValues={":zero": 0},
    )

    # When an operator recounts it
    recounted = admin_command(capsys, "recount-usage", "--handle", "acme", "--day", day)

    # Then it is the recipients of the stored messages
    assert recounted == {"handle": "acme", "day": day, "used": 2}
    assert used_today() == 2
    # And a day not begun, or not a day, is refused in words
    assert (
        admin.main(
            [
                "--table",
                TABLE_NAME,
                "--stage",
                STAGE,
                "recount-usage",
                "--handle",
                "acme",
                "--day",
                "2999-01-01",
            ]
        )
        == 2
    )
    assert "has not begun" in capsys.readouterr().err
