"""The handle-wide event feed: the projection (the real handler, fed by the local stream event
source on moto) turns timeline entries into feed pages; list_events without a message or a
recipient reads them."""

from __future__ import annotations

import json
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from functions import project_events as projection_function
from tenx_email import keys
from tenx_email.dal.table import table
from tenx_email.message_models import Message
from tenx_email.resources import EVENT_PROJECTION
from tenx_email.roles import Role
from tenx_email.services import projection
from tests.events import FakeLambdaContext, invoke
from tests.integration import delivery_support as support
from tests.integration.conftest import MEMBERS
from tests.integration.delivery_support import (
    HANDLE,
    SesSpy,
    enqueue,
    events_of,
    job,
    queue_message,
    run_delivery,
)
from tests.integration.test_feedback import run_feedback, ses_event

ses = support.ses
queue = support.queue
OPERATOR = MEMBERS[Role.OPERATOR]
PAST = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
EVERY = {"purpose": "TRANSACTIONAL_API"}  # the list needs a filter; every test message has it


def listing(**query: str) -> tuple[int, Any]:
    return invoke("list_events", {"handle": HANDLE}, sub=OPERATOR, query=query)


def every_event(**query: str) -> list[dict[str, Any]]:
    """Walk the list's pages to its end: a recipient's list ends without a token; the feed's
    last page still has one (it keeps growing), which answers itself while nothing new was
    projected."""
    return walk(None, **query)[0]


def walk(token: str | None, **query: str) -> tuple[list[dict[str, Any]], str | None]:
    events: list[dict[str, Any]] = []
    for _ in range(100):
        status, page = listing(**query, **({"nextToken": token} if token else {}))
        assert status == 200
        events += page["events"]
        if page["nextToken"] is None or page["nextToken"] == token:
            return events, page["nextToken"]
        token = page["nextToken"]
    raise AssertionError("the pages never ended")


def poll(token: str | None, **query: str) -> tuple[list[dict[str, Any]], str]:
    """Follow the feed's `nextToken` from `token` to its end; the events, and the end's token
    (the feed's pages always have one)."""
    events, end = walk(token, **query)
    assert end is not None, "the feed's last page has a token"
    return events, end


def feed_pages() -> list[dict[str, Any]]:
    response = table().query(
        KeyConditionExpression="PK = :pk AND begins_with(SK, :sk)",
        ExpressionAttributeValues={
            ":pk": keys.handle(HANDLE)["PK"],
            ":sk": keys.EVENT_FEED_PREFIX,
        },
    )
    return list(response["Items"])


def sent_and_delivered(queue_url: str, count: int) -> list[Message]:
    messages = [queue_message(f"r{n}@example.org") for n in range(count)]
    assert run_delivery(enqueue(queue_url, *(job(message) for message in messages))) == []
    events = [ses_event("Delivery", support.stored(message)) for message in messages]
    assert run_feedback(*events)[1] == []
    return messages


def test_every_timeline_event_reaches_the_feed_once_in_a_few_pages(
    ses: SesSpy, queue: str, project_events: Callable[[], int]
) -> None:
    # Given five messages sent and delivered (two events each)
    messages = sent_and_delivered(queue, 5)

    # When the projection runs on the stream
    assert project_events() > 0

    # Then the feed holds exactly the timelines' events, many per page
    timelines = {event["eventId"] for message in messages for event in events_of(message)}
    assert len(timelines) == 10
    listed = every_event(**EVERY)
    assert sorted(event["eventId"] for event in listed) == sorted(timelines)
    assert len(feed_pages()) < len(timelines)
    # ... stored compressed: a fraction of their JSON's size (DynamoDB charges by size)
    for page in feed_pages():
        stored = bytes(page["events"])
        as_json = json.dumps(json.loads(zlib.decompress(stored)), separators=(",", ":"))
        assert len(stored) < len(as_json) / 2

    # And every page size walks the same events, each once
    for limit in ("1", "3", "7"):
        assert [e["eventId"] for e in every_event(**EVERY, limit=limit)] == [
            e["eventId"] for e in listed
        ]


def test_a_retried_batch_rewrites_the_same_pages(
    ses: SesSpy, queue: str, project_events: Callable[[], int], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a projection whose first run on a batch dies after writing its pages
    sent_and_delivered(queue, 3)
    runs: list[dict[str, Any]] = []
    real_put = projection.put_all

    def put_then_die(*args: Any, **kwargs: Any) -> None:
        real_put(*args, **kwargs)
        if len(runs) == 0:
            runs.append({})
            raise RuntimeError("killed after the write")

    monkeypatch.setattr(projection, "put_all", put_then_die)

    # When the event source retries it (the same batch)
    project_events()
    pages_after_crash = feed_pages()
    project_events()

    # Then the retry wrote over the same pages, and each event is listed once
    assert [page["SK"] for page in feed_pages()] == [page["SK"] for page in pages_after_crash]
    ids = [event["eventId"] for event in every_event(**EVERY)]
    assert len(ids) == len(set(ids)) == 6


def used_today() -> int:
    _, body = invoke("get_quota", {"handle": HANDLE}, sub=OPERATOR)
    return int(body["quota"]["usedToday"])


def test_new_messages_are_charged_to_the_days_usage_once_even_by_a_retried_batch(
    ses: SesSpy, queue: str, project_events: Callable[[], int], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given three sent and delivered messages (each stored once, then changed twice), and a
    # projection whose first run dies right after charging the day's usage
    sent_and_delivered(queue, 3)
    real_charge = projection.quotas.charge
    died: list[bool] = []

    def charge_then_die(*args: Any, **kwargs: Any) -> bool:
        charged = real_charge(*args, **kwargs)
        if not died:
            died.append(charged)
            raise RuntimeError("killed after the charge")
        return charged

    monkeypatch.setattr(projection.quotas, "charge", charge_then_die)

    # When the event source retries the batch
    project_events()
    project_events()

    # Then the first run charged, the retry did not charge again, and each message counts once
    assert died == [True]
    assert used_today() == 3
    # And the next batch is charged with what it stores
    sent_and_delivered(queue, 1)
    project_events()
    assert used_today() == 4


def test_a_handle_lists_only_its_own_events_by_purpose_and_since(
    ses: SesSpy, queue: str, project_events: Callable[[], int]
) -> None:
    sent_and_delivered(queue, 2)
    project_events()
    assert len(every_event(purpose="TRANSACTIONAL_API")) == 4
    assert every_event(purpose="PRODUCT_NOTIFICATION") == []
    # `since` goes by when events happened: SES dated these deliveries in June 2026.
    assert {event["type"] for event in every_event(since=PAST)} == {"SENT"}
    assert {event["type"] for event in every_event(since="2026-06-01T00:00:00Z")} == {
        "SENT",
        "DELIVERED",
    }
    future = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    assert every_event(since=future) == []
    # Another handle's operator sees none of them through its own handle.
    status, page = invoke(
        "list_events", {"handle": "globex"}, sub="user_outsider", query={"since": PAST}
    )
    assert (status, page["events"]) == (200, [])


def test_an_event_projected_after_a_poller_passed_its_time_is_in_the_pollers_next_call(
    ses: SesSpy, queue: str, project_events: Callable[[], int]
) -> None:
    # Given a poller that has read the feed to its end: two messages sent and delivered
    messages = sent_and_delivered(queue, 2)
    project_events()
    seen, token = poll(None, **EVERY)
    assert len(seen) == 4
    newest_seen = max(event["eventId"] for event in seen)

    # When SES reports, late, a delay that happened before the deliveries the poller saw
    late = ses_event("DeliveryDelay", support.stored(messages[0]), deliveryDelay={})
    late["time"] = "2026-06-12T08:00:01Z"
    assert run_feedback(late)[1] == []
    project_events()

    # Then the poller's next call, with the token it kept, gives exactly that event
    fresh, token = poll(token, **EVERY)
    assert [event["type"] for event in fresh] == ["DELIVERY_DELAYED"]
    assert fresh[0]["eventId"] < newest_seen
    # And once more gives nothing new, and the whole feed lists every event once
    assert poll(token, **EVERY)[0] == []
    listed = [event["eventId"] for event in every_event(**EVERY)]
    assert len(listed) == len(set(listed)) == 5


def test_a_poller_since_a_moment_sees_what_is_projected_later_once(
    ses: SesSpy, queue: str, project_events: Callable[[], int]
) -> None:
    # Given a poller that asked for events since a moment and kept its last token
    sent_and_delivered(queue, 1)
    project_events()
    seen, token = poll(None, since="2026-06-01T00:00:00Z")
    assert {event["type"] for event in seen} == {"SENT", "DELIVERED"}

    # When another message is sent and delivered, then projected
    sent_and_delivered(queue, 1)
    project_events()

    # Then following the token gives its two events, once
    fresh, token = poll(token, since="2026-06-01T00:00:00Z")
    assert sorted(event["type"] for event in fresh) == ["DELIVERED", "SENT"]
    assert poll(token, since="2026-06-01T00:00:00Z")[0] == []


def test_a_token_of_another_list_is_refused(
    ses: SesSpy, queue: str, project_events: Callable[[], int]
) -> None:
    sent_and_delivered(queue, 2)
    project_events()
    status, page = listing(**EVERY, limit="1")
    assert status == 200
    assert page["nextToken"]
    status, refused = invoke(
        "list_events",
        {"handle": "globex"},
        sub="user_outsider",
        query={**EVERY, "nextToken": page["nextToken"]},
    )
    assert (status, refused["error"]) == (400, "invalid_next_token")


def test_changes_of_other_items_never_reach_the_projection(
    ses: SesSpy, queue: str, project_events: Callable[[], int], monkeypatch: pytest.MonkeyPatch
) -> None:
    # The event source's filter passes message items only: a tenant's other writes (here
    # its handle, members and domain) cost no invocation.
    calls: list[int] = []
    real = projection_function.handler

    def counting(event: dict[str, Any], context: FakeLambdaContext) -> None:
        calls.append(len(event["Records"]))
        assert all(
            EVENT_PROJECTION.passes(record["dynamodb"]["Keys"]["SK"]["S"])
            for record in event["Records"]
        )
        real(event, context)

    monkeypatch.setattr(projection_function, "handler", counting)
    assert project_events() == 0
    assert calls == []
    queue_message("a@example.org")
    assert project_events() == 1
    assert calls == [1]


def test_a_recipients_events_come_from_the_timelines_of_its_messages(
    ses: SesSpy, queue: str, project_events: Callable[[], int]
) -> None:
    # Given three messages to one recipient (spelled in two cases) and one to someone else
    to_her = [queue_message(address) for address in ("Ada@Example.org", "ada@example.org")]
    to_both = queue_message("ada@example.org", "bob@example.org")
    queue_message("bob@example.org")
    assert run_delivery(enqueue(queue, *(job(m) for m in [*to_her, to_both]))) == []

    # Then before the projection ran, her list is empty; after, it has her SENT events only
    assert every_event(recipient="ada@example.org") == []
    project_events()
    mine = every_event(recipient="ADA@example.org")
    assert [(e["messageId"], e["type"]) for e in mine] == [
        (m.message_id, "SENT") for m in [*to_her, to_both]
    ]
    assert {e["recipient"].lower() for e in mine} == {"ada@example.org"}
    for limit in ("1", "2"):
        assert every_event(recipient="ada@example.org", limit=limit) == mine

    # And a page is the access check, then one Query of her messages and one read of them
    with dynamodb_operations() as operations:
        status, _ = listing(recipient="ada@example.org")
    assert status == 200
    assert operations == ["BatchGetItem", "Query", "BatchGetItem"]


def test_no_read_of_a_recipients_messages_happens_before_access_is_decided(
    ses: SesSpy, queue: str, project_events: Callable[[], int]
) -> None:
    # Given acme's messages to a recipient, projected
    message = queue_message("ada@example.org")
    assert run_delivery(enqueue(queue, job(message))) == []
    project_events()

    # When another handle's operator asks acme's list for that recipient
    with dynamodb_operations() as operations:
        status, body = invoke(
            "list_events",
            {"handle": HANDLE},
            sub="user_outsider",
            query={"recipient": "ada@example.org"},
        )

    # Then it is refused after the access check's one read, which touched nothing but the
    # handle and the caller's membership: no Query of acme's partition was made
    assert (status, body["error"]) == (403, "forbidden")
    assert operations == ["BatchGetItem"]


@contextmanager
def dynamodb_operations() -> Iterator[list[str]]:
    """The table client's DynamoDB operations in the order made, while open."""
    made: list[str] = []
    client = table().meta.client

    def note(event_name: str, **_: object) -> None:
        made.append(event_name.rsplit(".", 1)[1])

    client.meta.events.register("before-call.dynamodb", note)
    try:
        yield made
    finally:
        client.meta.events.unregister("before-call.dynamodb", note)


def test_a_change_that_is_no_message_is_left_out_and_the_rest_projected(
    ses: SesSpy, queue: str, project_events: Callable[[], int]
) -> None:
    # Given a stored message, and an item under a message key that is no message at all
    message = queue_message("a@example.org")
    table().put_item(Item={"PK": f"HANDLE#{HANDLE}", "SK": "MSG#broken", "status": "?"})

    # When the projection runs, the broken change does not hold the batch back
    assert project_events() == 2
    listed = every_event(recipient="a@example.org")
    assert listed == []  # the stored message has no event yet; it is named, though
    assert [item["messageId"] for item in _named("a@example.org")] == [message.message_id]


def _named(email: str) -> list[dict[str, Any]]:
    response = table().query(
        KeyConditionExpression="PK = :pk AND begins_with(SK, :sk)",
        ExpressionAttributeValues={
            ":pk": keys.handle(HANDLE)["PK"],
            ":sk": keys.recipient_messages_prefix(email),
        },
    )
    return list(response["Items"])
