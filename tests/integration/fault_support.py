"""Fault injection at the edges of AWS, for the state machine in test_fault_injection.py.

Only the AWS side is faked or hooked; the service's own code always runs for real:
- `FaultySes` stands in for the SES v2 client the adapter uses: every SendEmail is logged
  with its outcome, and the next calls can be throttled, refused, answered with an error
  that hides the outcome, or crash the invocation before or after SES (moto) took them.
- `DynamoFaults` hooks botocore's before-call and after-call events of the table's client:
  the next matching request is throttled, conflicts (transactions), or crashes the
  invocation before the request or after DynamoDB applied it.
- `MotoStreams` reads the table's stream (moto) for the stream consumers' event sources.
- `VirtualSqs` runs SQS (moto) on a virtual clock: passing time shifts every record's
  timers, and `EventSourceMapping` hands batches to a consumer Lambda and settles them by
  its partial batch response, as Lambda's poller does.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from botocore.exceptions import ClientError

from devstack.pollers import sqs_event
from devstack.streams import StreamPoller
from tenx_email.resources import SES_EVENT_DETAIL_TYPES, SES_EVENT_SOURCE, StreamConsumerSpec
from tests.integration.delivery_support import ACCOUNT, REGION, Context, Crash

__all__ = ["Crash"]


# --- SES ------------------------------------------------------------------------------


class SesFault(StrEnum):
    THROTTLE = "throttle"  # TooManyRequestsException: nothing was sent
    REJECT = "reject"  # MessageRejected: refused for good
    HIDDEN = "hidden"  # a 500: SES may or may not have taken it
    CRASH_BEFORE = "crash_before"  # the invocation dies before the call
    CRASH_AFTER = "crash_after"  # SES took it, then the invocation dies before our write
    FEEDBACK_FIRST = "feedback_first"  # SES took it and its Delivery event beats our write


class Outcome(StrEnum):
    PENDING = "pending"
    THROTTLED = "throttled"
    REJECTED = "rejected"
    HIDDEN = "hidden"
    CRASHED_BEFORE = "crashed_before"
    ACCEPTED = "accepted"
    CRASHED_AFTER = "crashed_after"


# Outcomes after which the recipient must never be called again: SES took the message, may
# have, refused it for good, or the claim was left behind by a dead invocation.
FINAL_CALLS = frozenset(set(Outcome) - {Outcome.THROTTLED, Outcome.PENDING})
# Outcomes where SES (moto) accepted the message, so SES publishes events for it.
TAKEN = frozenset({Outcome.ACCEPTED, Outcome.CRASHED_AFTER})


@dataclass
class SesCall:
    tick: int
    # When the delivery invocation that made the call started: what it re-checks (suppressions
    # among it) is read then, for its whole batch (docs/guarantees.md).
    batch_started: int
    message_id: str
    rcpt: int
    address: str
    outcome: Outcome = Outcome.PENDING
    ses_message_id: str | None = None
    refusal: str | None = None  # what should have stopped this send, if anything

    @property
    def recipient(self) -> tuple[str, int]:
        return self.message_id, self.rcpt


@dataclass
class FaultySes:
    """The SES v2 client the adapter gets: logs each SendEmail and applies armed faults."""

    real: Any
    tick: Callable[[], int]
    batch_started: Callable[[], int]
    # What delivery's re-check must refuse right now (a disabled sender, a domain not READY).
    refusal: Callable[[], str | None] = lambda: None
    calls: list[SesCall] = field(default_factory=list)
    armed: list[SesFault | None] = field(default_factory=list)  # the next calls', in order
    # Runs once inside the next SendEmail, before it reaches SES: a second consumer.
    during_next_send: Callable[[], None] | None = None
    # Feedback that arrives between SES's acceptance and our write (FEEDBACK_FIRST).
    on_feedback_first: Callable[[SesCall], None] | None = None

    def send_email(self, **params: Any) -> Any:
        tags = {tag["Name"]: tag["Value"] for tag in params["EmailTags"]}
        call = SesCall(
            tick=self.tick(),
            batch_started=self.batch_started(),
            message_id=tags["messageId"],
            rcpt=int(tags["rcpt"]),
            address=params["Destination"]["ToAddresses"][0],
            refusal=self.refusal(),
        )
        self.calls.append(call)
        fault = self.armed.pop(0) if self.armed else None
        if self.during_next_send is not None:
            interleave, self.during_next_send = self.during_next_send, None
            interleave()
        if fault is SesFault.CRASH_BEFORE:
            call.outcome = Outcome.CRASHED_BEFORE
            raise Crash
        errors = {
            SesFault.THROTTLE: ("TooManyRequestsException", 429, Outcome.THROTTLED),
            SesFault.REJECT: ("MessageRejected", 400, Outcome.REJECTED),
            SesFault.HIDDEN: ("InternalFailure", 500, Outcome.HIDDEN),
        }
        if fault in errors:
            code, status, call.outcome = errors[fault]
            raise ClientError(
                {
                    "Error": {"Code": code, "Message": f"injected {code}"},
                    "ResponseMetadata": {"HTTPStatusCode": status},
                },
                "SendEmail",
            )
        response = self.real.send_email(**params)
        call.ses_message_id = response["MessageId"]
        if fault is SesFault.CRASH_AFTER:
            call.outcome = Outcome.CRASHED_AFTER
            raise Crash
        call.outcome = Outcome.ACCEPTED
        if fault is SesFault.FEEDBACK_FIRST and self.on_feedback_first is not None:
            self.on_feedback_first(call)
        return response

    def by_recipient(self) -> dict[tuple[str, int], list[SesCall]]:
        grouped: dict[tuple[str, int], list[SesCall]] = {}
        for call in self.calls:
            grouped.setdefault(call.recipient, []).append(call)
        return grouped


HARD_BOUNCE = {
    "bounce": {
        "bounceType": "Permanent",
        "bounceSubType": "General",
        "bouncedRecipients": [{"emailAddress": "x", "status": "5.1.1"}],
    }
}


def ses_event(event_id: str, event_type: str, call: SesCall, configuration_set: str) -> str:
    """The EventBridge event SES publishes for a send it took (tags echoed as lists)."""
    report = HARD_BOUNCE if event_type == "Bounce" else {"delivery": {"processingTimeMillis": 9}}
    return json.dumps(
        {
            "version": "0",
            "id": event_id,
            "detail-type": SES_EVENT_DETAIL_TYPES[event_type],
            "source": SES_EVENT_SOURCE,
            "account": ACCOUNT,
            "time": "2026-06-12T08:00:05Z",
            "region": REGION,
            "resources": [],
            "detail": {
                "eventType": event_type,
                "mail": {
                    "messageId": call.ses_message_id,
                    "destination": [call.address],
                    "tags": {
                        "ses:configuration-set": [configuration_set],
                        "handle": ["acme"],
                        "messageId": [call.message_id],
                        "rcpt": [str(call.rcpt)],
                    },
                },
                **report,
            },
        }
    )


# --- DynamoDB -------------------------------------------------------------------------


class DynamoFaultKind(StrEnum):
    THROTTLE = "throttle"  # ProvisionedThroughputExceededException; nothing written
    CONFLICT = "conflict"  # TransactionCanceledException (TransactionConflict); nothing written
    CRASH_BEFORE = "crash_before"  # the invocation dies before the request
    CRASH_AFTER = "crash_after"  # DynamoDB applied the request, then the invocation dies


# What a request does, told from its expression (see dal/delivery.py, dal/messages.py,
# dal/triggers.py): a recipient's claim, release, settle from a claim or from QUEUED (either
# may also conclude the message), feedback's advance (which may too), the message's status
# on its own (`conclude`), a direct send's accepted message (a PutItem, or a transaction with
# its idempotency key) or a rule's (a PutItem).
REQUEST_KINDS = (
    "claim",
    "release",
    "settle_claimed",
    "settle_queued",
    "advance",
    "set_status",
    "accept",
    "rule_accept",
    "other",
)
_RECIPIENT = re.compile(r"#r\[(\d+)\]")


@dataclass(frozen=True)
class Request:
    operation: str
    kind: str
    message_id: str | None = None
    rcpt: int | None = None
    status: str | None = None  # the recipient status a settle writes


def _sort_key(key: dict[str, Any]) -> str:
    return str(key.get("SK", {}).get("S", ""))


def _message_id(key: dict[str, Any]) -> str | None:
    sort = _sort_key(key)
    return sort.removeprefix("MSG#") if sort.startswith("MSG#") else None


def _update_kind(update: dict[str, Any]) -> Request:
    expression = update.get("UpdateExpression", "")
    condition = update.get("ConditionExpression", "")
    message_id = _message_id(update.get("Key", {}))
    found = _RECIPIENT.search(expression)
    rcpt = int(found.group(1)) if found else None
    status = update.get("ExpressionAttributeValues", {}).get(":set_s", {}).get("S")
    if message_id is None:
        kind = "other"
    elif rcpt is None:
        kind = "set_status"
    elif ":set_claimedAt" in expression:
        kind = "claim"
    elif "REMOVE" in expression:
        kind = "release"
    elif ":claimed" in condition:
        kind = "settle_claimed"
    elif ":expected" in condition:
        kind = "settle_queued"  # from QUEUED (it may also conclude the message: " IN (")
    elif " IN (" in condition:
        kind = "advance"
    else:
        kind = "settle_queued"
    return Request("", kind, message_id, rcpt, status)


def classify(operation: str, body: dict[str, Any]) -> Request:
    if operation == "UpdateItem":
        found = _update_kind(body)
        return Request(operation, found.kind, found.message_id, found.rcpt, found.status)
    if operation == "PutItem":
        stored = _message_id(body.get("Item", {}))
        if stored:
            kind = "rule_accept" if "ruleId" in body["Item"] else "accept"
            return Request(operation, kind, stored)
    if operation == "TransactWriteItems":
        items = body.get("TransactItems", [])
        puts = [item["Put"]["Item"] for item in items if "Put" in item]
        for item in items:
            if "Update" in item and _message_id(item["Update"].get("Key", {})):
                found = _update_kind(item["Update"])
                return Request(operation, found.kind, found.message_id, found.rcpt, found.status)
        stored = next((_message_id(put) for put in puts if _message_id(put)), None)
        if stored:
            return Request(operation, "accept", stored)
    return Request(operation, "other")


@dataclass(frozen=True)
class DynamoFault:
    operation: str
    kind: DynamoFaultKind
    target: str = "any"  # a REQUEST_KINDS entry, or any request of the operation

    def matches(self, request: Request) -> bool:
        return self.operation == request.operation and self.target in ("any", request.kind)


@dataclass(frozen=True)
class DynamoHit:
    fault: DynamoFault
    request: Request
    applied: bool  # the request reached DynamoDB and succeeded (CRASH_AFTER)


OPERATIONS = (
    "GetItem",
    "BatchGetItem",
    "Query",
    "PutItem",
    "UpdateItem",
    "BatchWriteItem",
    "TransactWriteItems",
)


class DynamoFaults:
    """Armed faults on the table's client; each fires once, on the first matching request."""

    def __init__(self, client: Any) -> None:
        self.client = client
        self.armed: list[DynamoFault] = []
        self.hits: list[DynamoHit] = []
        # Runs once before the next request of a kind ("claim", "accept"): another consumer
        # or a concurrent duplicate request.
        self.before_next: dict[str, Callable[[], None]] = {}
        self._paused = 0
        for operation in OPERATIONS:
            client.meta.events.register(f"before-call.dynamodb.{operation}", self._before)
            client.meta.events.register(f"after-call.dynamodb.{operation}", self._after)

    def close(self) -> None:
        for operation in OPERATIONS:
            self.client.meta.events.unregister(f"before-call.dynamodb.{operation}", self._before)
            self.client.meta.events.unregister(f"after-call.dynamodb.{operation}", self._after)

    @contextmanager
    def paused(self) -> Iterator[None]:
        """The test's own set-up writes (an operator's change) are not faulted."""
        self._paused += 1
        try:
            yield
        finally:
            self._paused -= 1

    def _take(self, request: Request, kinds: set[DynamoFaultKind]) -> DynamoFault | None:
        for fault in self.armed:
            if fault.kind in kinds and fault.matches(request):
                self.armed.remove(fault)
                return fault
        return None

    def _before(
        self, model: Any, params: dict[str, Any], context: dict[str, Any], **_: Any
    ) -> None:
        if self._paused:
            return
        body = json.loads(params.get("body") or b"{}")
        request = classify(model.name, body)
        context["fault_request"] = request
        if (interleave := self.before_next.pop(request.kind, None)) is not None:
            interleave()
        fault = self._take(
            request,
            {DynamoFaultKind.THROTTLE, DynamoFaultKind.CONFLICT, DynamoFaultKind.CRASH_BEFORE},
        )
        if fault is None:
            return
        self.hits.append(DynamoHit(fault, request, applied=False))
        if fault.kind is DynamoFaultKind.CRASH_BEFORE:
            raise Crash
        if fault.kind is DynamoFaultKind.CONFLICT:
            items = len(body.get("TransactItems", [])) or 1
            raise ClientError(
                {
                    "Error": {"Code": "TransactionCanceledException", "Message": "injected"},
                    "CancellationReasons": [{"Code": "TransactionConflict"}]
                    + [{"Code": "None"}] * (items - 1),
                    "ResponseMetadata": {"HTTPStatusCode": 400},
                },
                model.name,
            )
        raise ClientError(
            {
                "Error": {"Code": "ProvisionedThroughputExceededException", "Message": "injected"},
                "ResponseMetadata": {"HTTPStatusCode": 400},
            },
            model.name,
        )

    def _after(self, model: Any, http_response: Any, context: dict[str, Any], **_: Any) -> None:
        request = context.get("fault_request")
        if self._paused or request is None or http_response.status_code != 200:
            return
        fault = self._take(request, {DynamoFaultKind.CRASH_AFTER})
        if fault is not None:
            self.hits.append(DynamoHit(fault, request, applied=True))
            raise Crash


def stored_items(table_name: str, partition: str, prefix: str) -> list[dict[str, Any]]:
    """Items of one partition whose sort key starts with `prefix`, read from moto's storage:
    the test's own view, outside the injected faults (and much faster than a Query)."""
    from moto.dynamodb.models import dynamodb_backends

    table = dynamodb_backends[ACCOUNT][REGION].tables[table_name]
    found = []
    for hash_key, by_range in table.items.items():
        if hash_key.value != partition:
            continue
        for range_key, item in by_range.items():
            if str(range_key.value).startswith(prefix):
                found.append(item.to_regular_json())
    return found


# --- DynamoDB Streams ------------------------------------------------------------------


class MotoStreams:
    """The DynamoDB Streams reads an event source makes (DescribeStream, GetShardIterator,
    GetRecords), answered from moto's storage for devstack.streams.StreamPoller: the records
    GetRecords returns, without moto serializing every change's old and new images on each
    read (which grows slow as the table's items and their changes do)."""

    def __init__(self, table_name: str) -> None:
        self.table_name = table_name

    def _table(self) -> Any:
        from moto.dynamodb.models import dynamodb_backends

        # Looked up at each read: moto replaces the table when it undoes a transaction.
        return dynamodb_backends[ACCOUNT][REGION].tables[self.table_name]

    def _shard(self) -> Any:
        return self._table().stream_shard

    def source(
        self, spec: StreamConsumerSpec, consumer: Callable[[dict[str, Any]], Any]
    ) -> Callable[[], int]:
        """A stream consumer's event source, run on demand: each call hands what the stream
        holds since the last to `consumer`, batch after batch (the changes `spec` lets
        through), as delivery_support.stream_consumer does; a batch it keeps failing on
        fails the test (there is no fault to explain it)."""

        def gave_up(failed: dict[str, Any]) -> None:
            raise AssertionError(f"{spec.module} kept failing on a batch: {failed}")

        arn = self._table().describe()["TableDescription"]["LatestStreamArn"]
        return StreamPoller(self, arn, spec, consumer, gave_up).drain  # type: ignore[arg-type]

    def describe_stream(self, StreamArn: str) -> dict[str, Any]:  # noqa: N803 - boto3's names
        return {"StreamDescription": {"Shards": [self._shard().to_json()]}}

    def get_shard_iterator(
        self,
        StreamArn: str,  # noqa: N803
        ShardId: str,  # noqa: N803
        ShardIteratorType: str,  # noqa: N803
        SequenceNumber: str | None = None,  # noqa: N803
    ) -> dict[str, Any]:
        if ShardIteratorType == "TRIM_HORIZON":
            start = self._shard().starting_sequence_number
        else:
            assert ShardIteratorType == "AFTER_SEQUENCE_NUMBER"
            start = int(SequenceNumber or 0) + 1
        return {"ShardIterator": str(start)}

    def get_records(self, ShardIterator: str, Limit: int = 1000) -> dict[str, Any]:  # noqa: N803
        start = int(ShardIterator)
        records = [dict(record) for record in self._shard().get(start, Limit)]
        return {"Records": records, "NextShardIterator": str(start + len(records))}


# --- SQS and Lambda's event source mapping -----------------------------------------------


def _moto_queue(url: str) -> Any:
    from moto.sqs.models import sqs_backends

    return sqs_backends[ACCOUNT][REGION].queues[url.rsplit("/", 1)[1]]


class VirtualSqs:
    """SQS on moto, on a virtual clock. moto times delays and visibility on the wall clock,
    which would make what a receive returns depend on how fast the test runs. So each record
    moto holds back (a delay, a visibility timeout, a postponed retry) is converted to a due
    time on the virtual clock and kept invisible until `pass_time` reaches it; SentTimestamp
    ages with the virtual clock too (delivery compares it with the wall clock)."""

    _HELD = 2**62  # moto's "invisible" for a record the virtual clock holds

    def __init__(self, sqs: Any) -> None:
        self.sqs = sqs
        self.now_ms = 0
        self.due: dict[int, tuple[Any, int]] = {}  # id(record) -> (record, virtual due time)

    def _messages(self) -> Iterator[Any]:
        from moto.sqs.models import sqs_backends

        for queue in sqs_backends[ACCOUNT][REGION].queues.values():
            yield from queue._messages

    def _settle(self) -> None:
        from moto.core.utils import unix_time_millis

        real = unix_time_millis()
        for message in self._messages():
            hold = max(message.visible_at, message.delayed_until) - real
            if message.visible_at != self._HELD and hold > 0:  # moto delayed, received or
                self.due[id(message)] = (message, self.now_ms + int(hold))  # postponed it
                message.visible_at, message.delayed_until = self._HELD, 0
            entry = self.due.get(id(message))
            if entry is not None and entry[0] is message and entry[1] <= self.now_ms:
                message.visible_at = 0
                del self.due[id(message)]

    def pass_time(self, seconds: int) -> None:
        self._settle()
        self.now_ms += seconds * 1000
        for message in self._messages():
            message.sent_timestamp -= seconds * 1000
        self._settle()

    def receive(self, url: str, limit: int = 10) -> list[dict[str, Any]]:
        self._settle()
        return list(
            self.sqs.receive_message(
                QueueUrl=url, MaxNumberOfMessages=limit, MessageSystemAttributeNames=["All"]
            ).get("Messages", [])
        )

    def seconds_until_due(self, url: str) -> int | None:
        """How long until the queue's next held record is visible again (None: none is)."""
        self._settle()
        held = [
            entry[1]
            for message in _moto_queue(url)._messages
            if (entry := self.due.get(id(message))) is not None and entry[0] is message
        ]
        return max(1, -(-(min(held) - self.now_ms) // 1000)) if held else None

    def depth(self, url: str) -> int:
        """Records on the queue, visible or not."""
        return len(_moto_queue(url)._messages)

    def redrive(self, dead_letter_url: str, url: str) -> int:
        """Move every dead-lettered record back (an operator's redrive)."""
        moved = 0
        while batch := self.receive(dead_letter_url):
            for message in batch:
                self.sqs.send_message(QueueUrl=url, MessageBody=message["Body"])
                self.sqs.delete_message(
                    QueueUrl=dead_letter_url, ReceiptHandle=message["ReceiptHandle"]
                )
                moved += 1
        return moved

    def arn(self, url: str) -> str:
        return f"arn:aws:sqs:{REGION}:{ACCOUNT}:{url.rsplit('/', 1)[1]}"


@dataclass
class BatchResult:
    records: list[dict[str, Any]]
    failed: set[str]
    crashed: bool

    def succeeded(self) -> list[dict[str, Any]]:
        if self.crashed:
            return []
        return [record for record in self.records if record["MessageId"] not in self.failed]


def run_batch(
    sqs: VirtualSqs,
    url: str,
    handler: Callable[[dict[str, Any], Any], dict[str, Any]],
    records: list[dict[str, Any]],
    *,
    remaining_ms: int = 60_000,
    lost_delete: str | None = None,
) -> BatchResult:
    """One invocation by the event source mapping: the records (duplicates and order as
    given) go to the handler; those it did not report are deleted, except `lost_delete`
    (a delete that did not take, so SQS delivers that record again). A crashed invocation
    settles nothing: every record returns after its visibility timeout."""
    try:
        response = handler(sqs_event(records, sqs.arn(url)), Context(remaining_ms=remaining_ms))
    except Crash:
        return BatchResult(records, set(), crashed=True)
    failed = {failure["itemIdentifier"] for failure in response["batchItemFailures"]}
    ids = {record["MessageId"] for record in records}
    assert failed <= ids, f"batchItemFailures names records not in the batch: {failed - ids}"
    for record in records:
        if record["MessageId"] not in failed and record["MessageId"] != lost_delete:
            sqs.sqs.delete_message(QueueUrl=url, ReceiptHandle=record["ReceiptHandle"])
    return BatchResult(records, failed, crashed=False)
