"""The bench's call counter: one count per botocore API call, whatever its outcome, for the
clients created after it is attached (no AWS: botocore's Stubber answers)."""

from __future__ import annotations

import boto3
import botocore.session
import pytest
from botocore.exceptions import ClientError
from botocore.stub import Stubber

from devstack.bench.counter import ApiCall, CallCounter, api_call_of, per_unit

QUEUE_URL = "https://sqs.us-east-1.amazonaws.com/123456789012/q"


def _session() -> botocore.session.Session:
    session = botocore.session.get_session()
    session.set_credentials("testing", "testing")
    return session


def test_each_call_is_counted_once_by_service_and_operation() -> None:
    session = _session()
    counter = CallCounter()
    counter.attach(session.get_component("event_emitter"))
    sqs = session.create_client("sqs", region_name="us-east-1")
    with Stubber(sqs) as stub, counter.window() as window:
        stub.add_response("get_queue_url", {"QueueUrl": QUEUE_URL}, {"QueueName": "q"})
        stub.add_response("send_message", {"MessageId": "m1", "MD5OfMessageBody": "x"})
        stub.add_response("send_message", {"MessageId": "m2", "MD5OfMessageBody": "x"})
        sqs.get_queue_url(QueueName="q")
        sqs.send_message(QueueUrl=QUEUE_URL, MessageBody="a")
        sqs.send_message(QueueUrl=QUEUE_URL, MessageBody="b")

    assert window.total == 3
    assert window.by_call() == {"sqs:GetQueueUrl": 1, "sqs:SendMessage": 2}
    assert window.count("sqs") == 3
    assert window.count("dynamodb") == 0
    assert window.seconds_in_calls >= 0


def test_a_failed_call_counts_too() -> None:
    session = _session()
    counter = CallCounter()
    counter.attach(session.get_component("event_emitter"))
    sqs = session.create_client("sqs", region_name="us-east-1")
    with Stubber(sqs) as stub, counter.window() as window:
        stub.add_client_error("get_queue_url", service_error_code="QueueDoesNotExist")
        with pytest.raises(ClientError):
            sqs.get_queue_url(QueueName="missing")
    assert window.by_call() == {"sqs:GetQueueUrl": 1}


def test_windows_see_only_their_own_calls() -> None:
    session = _session()
    counter = CallCounter()
    counter.attach(session.get_component("event_emitter"))
    sqs = session.create_client("sqs", region_name="us-east-1")
    with Stubber(sqs) as stub:
        for _ in range(3):
            stub.add_response("get_queue_url", {"QueueUrl": QUEUE_URL}, {"QueueName": "q"})
        sqs.get_queue_url(QueueName="q")
        with counter.window() as inner:
            sqs.get_queue_url(QueueName="q")
        sqs.get_queue_url(QueueName="q")
    assert inner.total == 1
    assert len(counter.calls) == 3


def test_calls_through_a_boto3_resource_are_counted() -> None:
    session = _session()
    counter = CallCounter()
    counter.attach(session.get_component("event_emitter"))
    table = (
        boto3.Session(botocore_session=session, region_name="us-east-1")
        .resource("dynamodb")
        .Table("t")
    )
    with Stubber(table.meta.client) as stub, counter.window() as window:
        stub.add_response("get_item", {"Item": {"PK": {"S": "a"}}})
        table.get_item(Key={"PK": "a"})
    assert window.by_call() == {"dynamodb:GetItem": 1}


def test_clients_created_before_attaching_are_not_seen() -> None:
    # Why the bench attaches the counter before the functions create their clients.
    session = _session()
    early = session.create_client("sqs", region_name="us-east-1")
    counter = CallCounter()
    counter.attach(session.get_component("event_emitter"))
    with Stubber(early) as stub, counter.window() as window:
        stub.add_response("get_queue_url", {"QueueUrl": QUEUE_URL}, {"QueueName": "q"})
        early.get_queue_url(QueueName="q")
    assert window.total == 0


def test_forget_since_drops_the_bench_own_calls() -> None:
    counter = CallCounter()
    counter.on_before_call("before-call.sqs.ReceiveMessage", context={})
    mark = (len(counter.calls), len(counter.durations))
    context: dict[str, object] = {}
    counter.on_before_call("before-call.sqs.SendMessage", context=context)
    counter.on_call_done(context=context)
    counter.forget_since(*mark)
    assert counter.calls == [ApiCall("sqs", "ReceiveMessage")]
    assert counter.durations == []


def test_event_names_map_to_calls() -> None:
    assert api_call_of("before-call.dynamodb.TransactWriteItems") == ApiCall(
        "dynamodb", "TransactWriteItems"
    )
    assert str(api_call_of("before-call.sesv2.SendEmail")) == "sesv2:SendEmail"
    with pytest.raises(ValueError, match="before-call"):
        api_call_of("after-call.sqs.SendMessage")


def test_calls_are_amortized_over_a_batch() -> None:
    # A batch of ten emails that took 32 calls: 3.2 per email.
    assert per_unit(32, 10) == pytest.approx(3.2)
    with pytest.raises(ValueError, match="no units"):
        per_unit(5, 0)
