"""What the delivery and feedback tests share: a tenant with a READY sender and a template,
queued messages, real SQS records on moto, and a spy around the SES client the adapter uses
(it counts every SendEmail and can throttle, refuse, crash or let another consumer in)."""

from __future__ import annotations

import importlib.util
import json
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from devstack.pollers import sqs_event
from devstack.resources import create_queue
from functions import deliver
from tenx_email import clock, ids, keys, resources
from tenx_email.adapters import ses_sending
from tenx_email.dal import tenancy
from tenx_email.dal.message_items import MessageItem
from tenx_email.dal.table import table
from tenx_email.message_models import Message, MessageStatus, Recipient
from tenx_email.models import Caller, HandleAccess, Purpose
from tenx_email.observability import metrics
from tenx_email.resources import StreamConsumerSpec
from tenx_email.roles import Role
from tenx_email.services import senders, templates
from tenx_email.settings import sending_settings, ses_settings
from tenx_email.template_models import TemplateContent
from tests.events import FakeLambdaContext

HANDLE = "acme"
SENDER_ID = "sender_notifications"
TEMPLATE_ID = "tmpl_welcome"
FROM = "Acme Notifications <notifications@example.com>"
FROM_NAME, FROM_ADDRESS = "Acme Notifications", "notifications@example.com"
STAGE = "test"
ACCOUNT = "123456789012"
REGION = "us-east-1"
CONFIGURATION_SET = "tenx-email-test"


class Crash(BaseException):
    """The invocation dies (a timeout, an out-of-memory kill): no handler catches it."""


@dataclass
class Context(FakeLambdaContext):
    remaining_ms: int = 60_000

    def get_remaining_time_in_millis(self) -> int:
        return self.remaining_ms


@dataclass
class SesSpy:
    """Stands in for the adapter's boto3 client: every SendEmail is recorded, then either
    refused with `errors[address]` or passed to moto's SES."""

    real: Any
    calls: list[dict[str, Any]] = field(default_factory=list)
    errors: dict[str, str] = field(default_factory=dict)
    crash_after_send: bool = False
    # Runs once, inside the next SendEmail, before it reaches SES.
    during_next_send: Callable[[], None] | None = None

    def send_email(self, **params: Any) -> Any:
        self.calls.append(params)
        if self.during_next_send is not None:
            interleave, self.during_next_send = self.during_next_send, None
            interleave()
        code = self.errors.get(params["Destination"]["ToAddresses"][0])
        if code is not None:
            status = 500 if code == "InternalFailure" else 400
            error = {"Code": code, "Message": f"injected {code} for {params['Destination']}"}
            raise ClientError(
                {"Error": error, "ResponseMetadata": {"HTTPStatusCode": status}},
                "SendEmail",
            )
        response = self.real.send_email(**params)
        if self.crash_after_send:
            raise Crash
        return response

    def sent_to(self) -> list[str]:
        return [call["Destination"]["ToAddresses"][0] for call in self.calls]


@pytest.fixture
def ses(tenant: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[SesSpy]:
    """The seeded tenant plus a READY sender and a template; SES replaced by the spy."""
    monkeypatch.setenv("SES_REGION", REGION)
    monkeypatch.setenv("SES_CONFIGURATION_SET", CONFIGURATION_SET)
    # Metrics read their namespace when first imported, which may precede the test's env.
    monkeypatch.setattr(metrics, "namespace", "TenxEmailTest")
    ses_settings.cache_clear()
    sending_settings.cache_clear()
    boto3.client("sesv2", region_name=REGION).create_configuration_set(
        ConfigurationSetName=CONFIGURATION_SET
    )
    access = operator_access()
    senders.put_sender(
        access,
        SENDER_ID,
        senders.SenderDraft(
            domain="example.com",
            local_part="notifications",
            display_name="Acme Notifications",
            reply_to="support@example.com",
            purposes=(Purpose.TRANSACTIONAL_API,),
            enabled=True,
        ),
    )
    templates.create_template(
        access,
        templates.TemplateDraft(
            template_id=TEMPLATE_ID,
            name="Welcome",
            content=TemplateContent(
                subject="Hello {{firstName}}",
                html="<p>Hi {{firstName}}</p>",
                text="Hi {{firstName}}",
            ),
        ),
    )
    spy = SesSpy(real=boto3.client("sesv2", region_name=REGION))
    monkeypatch.setattr(ses_sending, "_client", lambda region: spy)
    yield spy
    ses_settings.cache_clear()
    sending_settings.cache_clear()


@pytest.fixture
def queue(aws: None) -> str:
    """The delivery queue (and its DLQ) on moto; returns its URL."""
    return create_queue(boto3.client("sqs"), STAGE, resources.DELIVERY_QUEUE).queue_url


def operator_access() -> HandleAccess:
    handle = tenancy.get_handle(HANDLE)
    assert handle is not None
    return HandleAccess(
        caller=Caller(sub="user_operator", token_expires_at=int(time.time()) + 3600),
        handle=handle,
        role=Role.OPERATOR,
    )


def queue_message(*emails: str, message_id: str | None = None) -> Message:
    """Store a message as the send route leaves it: QUEUED, every recipient QUEUED."""
    now = clock.now()
    message = Message(
        handle=HANDLE,
        message_id=message_id or f"msg_{ids.ulid().lower()}",
        status=MessageStatus.QUEUED,
        purpose=Purpose.TRANSACTIONAL_API,
        sender_id=SENDER_ID,
        from_name=FROM_NAME,
        from_address=FROM_ADDRESS,
        reply_to="support@example.com",
        recipients=tuple(Recipient(email=email) for email in emails),
        subject="Hello Asha",
        template_id=TEMPLATE_ID,
        template_version=1,
        variables={"firstName": "Asha <3"},
        created_at=now,
        updated_at=now,
    )
    table().put_item(Item=MessageItem.from_domain(message).to_item())
    return message


def stored(message: Message) -> Message:
    item = table().get_item(
        Key=keys.message(message.handle, message.message_id), ConsistentRead=True
    )
    return MessageItem.from_item(item["Item"]).to_domain()


def events_of(message: Message) -> list[dict[str, Any]]:
    """The message's timeline as its item holds it, oldest first."""
    item = table().get_item(
        Key=keys.message(message.handle, message.message_id), ConsistentRead=True
    )
    return [
        {
            "eventId": event.event_id,
            "type": event.type.value,
            "recipient": event.recipient,
            "detail": event.detail,
            "occurredAt": event.occurred_at.isoformat(),
        }
        for event in MessageItem.from_item(item["Item"]).events()
    ]


def enqueue(queue_url: str, *bodies: dict[str, Any] | str) -> dict[str, Any]:
    """Send bodies to the queue and receive them back as one Lambda SQS event (real receipt
    handles, SentTimestamp and ApproximateReceiveCount)."""
    sqs = boto3.client("sqs", region_name=REGION)
    for body in bodies:
        text = body if isinstance(body, str) else json.dumps(body)
        sqs.send_message(QueueUrl=queue_url, MessageBody=text)
    return receive(queue_url, len(bodies))


def receive(queue_url: str, count: int, wait_seconds: int = 0) -> dict[str, Any]:
    sqs = boto3.client("sqs", region_name=REGION)
    received: list[Any] = []
    while len(received) < count:
        batch = sqs.receive_message(
            QueueUrl=queue_url,
            MaxNumberOfMessages=min(10, count - len(received)),
            MessageSystemAttributeNames=["All"],
            WaitTimeSeconds=wait_seconds,
        ).get("Messages", [])
        assert batch, f"expected {count} records, got {len(received)}"
        received += batch
    arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])
    return sqs_event(received, arn["Attributes"]["QueueArn"])


def receive_again(queue_url: str, event: dict[str, Any]) -> dict[str, Any]:
    """The event's records once their retry delay has passed (as the next poll would see)."""
    sqs = boto3.client("sqs", region_name=REGION)
    for record in event["Records"]:
        sqs.change_message_visibility(
            QueueUrl=queue_url, ReceiptHandle=record["receiptHandle"], VisibilityTimeout=0
        )
    return receive(queue_url, len(event["Records"]))


def get_message(message_id: str) -> dict[str, Any]:
    """The message as its OPERATOR reads it over the API."""
    from tests.events import invoke

    status, body = invoke(
        "get_message", {"handle": HANDLE, "messageId": message_id}, sub="user_operator"
    )
    assert status == 200, body
    return dict(body["message"])


def dead_letters(queue_url: str) -> int:
    """How many records the queue's dead-letter queue holds."""
    sqs = boto3.client("sqs", region_name=REGION)
    dlq = sqs.get_queue_url(QueueName=queue_url.rsplit("/", 1)[1] + "-dlq")["QueueUrl"]
    found = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["ApproximateNumberOfMessages"])
    return int(found["Attributes"]["ApproximateNumberOfMessages"])


def job(message: Message) -> dict[str, str]:
    return {"handle": message.handle, "messageId": message.message_id}


def run_delivery(event: dict[str, Any], module: ModuleType = deliver) -> list[str]:
    """Invoke the delivery Lambda; return the ids it reported as batch item failures."""
    response = module.handler(event, Context())
    return [failure["itemIdentifier"] for failure in response["batchItemFailures"]]


def run_delivery_dying_after_ses(
    ses: SesSpy, event: dict[str, Any], module: ModuleType = deliver
) -> None:
    """Invoke the delivery Lambda and let it die right after SES accepted a send, before the
    outcome is recorded (the recipient is left SENDING)."""
    ses.crash_after_send = True
    try:
        with pytest.raises(Crash):
            run_delivery(event, module)
    finally:
        ses.crash_after_send = False


def second_consumer() -> ModuleType:
    """Another copy of the delivery function, as a second Lambda execution environment has
    (its own batch processor)."""
    spec = importlib.util.spec_from_file_location("deliver_elsewhere", deliver.__file__)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def seconds_until_visible(queue_url: str) -> list[float]:
    """How long each record of the queue stays invisible (read from moto's state)."""
    from moto.core.utils import unix_time_millis
    from moto.sqs.models import sqs_backends

    name = queue_url.rsplit("/", 1)[1]
    queue = sqs_backends[ACCOUNT][REGION].queues[name]
    return [(m.visible_at - unix_time_millis()) / 1000 for m in queue._messages]


@contextmanager
def dynamodb_calls() -> Iterator[Counter[str]]:
    """Counts the table client's DynamoDB calls by operation while open (a botocore hook)."""
    calls: Counter[str] = Counter()
    client = table().meta.client

    def count(event_name: str, **_: object) -> None:
        calls[event_name.rsplit(".", 1)[1]] += 1

    client.meta.events.register("before-call.dynamodb", count)
    try:
        yield calls
    finally:
        client.meta.events.unregister("before-call.dynamodb", count)


def once_before(operation: str, action: Callable[[], None]) -> None:
    """Run `action` once, just before the table client's next `operation` call (another
    Lambda acting in between)."""
    client = table().meta.client
    event = f"before-call.dynamodb.{operation}"

    def interleave(**_: object) -> None:
        client.meta.events.unregister(event, interleave)
        action()

    client.meta.events.register(event, interleave)


def event_projection() -> Callable[[], int]:
    """The event projection's stream event source on this moto, run on demand: each call hands
    what the table's stream holds to the real handler, batch after batch (message items'
    changes only), and puts a batch it gave up on on the projection's dead-letter queue;
    returns the records taken."""
    from tenx_email.resources import EVENT_PROJECTION

    return stream_consumer(EVENT_PROJECTION)


def stream_consumer(spec: StreamConsumerSpec) -> Callable[[], int]:
    """A stream consumer's event source on this moto, run on demand (as `event_projection`)."""
    import importlib

    from devstack.streams import StreamPoller, stream_arn
    from tenx_email.adapters.table_stream import streams_client
    from tenx_email.resources import stream_dead_letter_queue_name
    from tests.conftest import TABLE_NAME
    from tests.events import FakeLambdaContext

    # The handler is looked up at each call, so a test may patch it after this is made.
    function = importlib.import_module(f"functions.{spec.module}")
    sqs = boto3.client("sqs", region_name=REGION)
    dead_letters = sqs.create_queue(QueueName=stream_dead_letter_queue_name(STAGE, spec))[
        "QueueUrl"
    ]
    poller = StreamPoller(
        streams_client(REGION),
        stream_arn(boto3.client("dynamodb", region_name=REGION), TABLE_NAME),
        spec,
        lambda event: function.handler(event, FakeLambdaContext()),
        lambda failed: sqs.send_message(QueueUrl=dead_letters, MessageBody=json.dumps(failed)),
    )
    return poller.drain


def reconfigure_sender(*purposes: Purpose, display_name: str = "Acme") -> None:
    """The tenant's sender again, with these purposes and name (and no Reply-To)."""
    senders.put_sender(
        operator_access(),
        SENDER_ID,
        senders.SenderDraft(
            domain="example.com",
            local_part="notifications",
            display_name=display_name,
            reply_to=None,
            purposes=purposes,
            enabled=True,
        ),
    )


def send_direct(*to: str, **changes: Any) -> tuple[int, Any]:
    """A direct send of the tenant's template over the send route (as its OPERATOR)."""
    from tests.events import invoke

    body = {
        "senderId": SENDER_ID,
        "to": list(to),
        "purpose": "TRANSACTIONAL_API",
        "consentAttestation": True,
        "templateId": TEMPLATE_ID,
        "variables": {"firstName": "Asha"},
        **changes,
    }
    return invoke("send_message", {"handle": HANDLE}, sub="user_operator", body=body)


@pytest.fixture
def direct_sends(ses: SesSpy, queue: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The send route queues to the delivery queue, and the sender takes direct sends;
    returns the queue's URL."""
    from tenx_email.settings import delivery_settings

    monkeypatch.setenv("DELIVERY_QUEUE_URL", queue)
    delivery_settings.cache_clear()
    reconfigure_sender(Purpose.TRANSACTIONAL_API)
    yield queue
    delivery_settings.cache_clear()
