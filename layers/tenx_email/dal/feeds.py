"""What the event projection writes from the table's stream, and the event lists read from it:
the handle-wide event feed (pages of events in the order they were written,
SK=EVFEED#<position>#<batch>.<page>) and the messages of each recipient
(SK=RCPT#<email>#<messageId>), whose timelines hold the events.

The feed is keyed by the order the projection writes it, not by when its events happened: an
event projected late (SES feedback minutes after the send, a retried stream batch) lands after
every page written before it, so a reader following `nextToken` sees it on its next call,
exactly once. That holds because a handle's message items share a partition key, so the
stream hands their changes over in order, one batch at a time (parallelization factor 1, no
bisecting), and each batch's pages go after the last page written (`next_position`)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from boto3.dynamodb.conditions import Key as KeyCondition

from tenx_email import ids, keys
from tenx_email.dal import pagination
from tenx_email.dal.message_items import EventFeedItem, MessageItem, RecipientMessageItem
from tenx_email.dal.queries import Page, item_key, items_by_key
from tenx_email.dal.table import table
from tenx_email.message_models import DeliveryEvent, Message

# Events per feed page: ~150 bytes each, so a page stays a few KB (written once, read often).
EVENTS_PER_PAGE = 50
# An event is projected after it happened (SENT is dated by its claim, just before the SES
# call; SES's events by SES), so pages holding events since a moment were all written after
# it. A reader asking `since` starts this much earlier, for clocks that disagree.
SINCE_LOOKBACK = timedelta(minutes=5)


@dataclass(frozen=True)
class FeedHead:
    """Where the handle's last written feed page stands."""

    position: str
    batch: str


def feed_head(handle_name: str) -> FeedHead | None:
    """The handle's last feed page (PK=HANDLE#h, SK begins_with EVFEED#, newest first, one
    key, consistent): where the next batch's pages go."""
    response = table().query(
        KeyConditionExpression=KeyCondition(keys.PK).eq(keys.handle(handle_name)["PK"])
        & KeyCondition(keys.SK).begins_with(keys.EVENT_FEED_PREFIX),
        ScanIndexForward=False,
        Limit=1,
        ConsistentRead=True,
        ProjectionExpression=keys.SK,
    )
    if not response["Items"]:
        return None
    position, batch = keys.event_feed_position(str(response["Items"][0][keys.SK]))
    return FeedHead(position=position, batch=batch)


def next_position(head: FeedHead | None, batch: str, now: datetime) -> str:
    """The position of `batch`'s pages: after the last page written, and no earlier than now
    (so `since` finds them); a retried batch whose pages were (partly) written rewrites them
    where they are (the same events, the same pages)."""
    if head is not None and head.batch == batch:
        return head.position
    return position_after(head, now)


def position_after(head: FeedHead | None, now: datetime) -> str:
    """A position after the last page written, and no earlier than now."""
    after_head = ids.ulid_time(head.position) + timedelta(milliseconds=1) if head else now
    return ids.ulid_time_prefix(max(now, after_head))


# What tells an operator's replay's pages of a batch (services/recovery.py) from the pages the
# batch's own attempts wrote.
_REPLAYED = "r"


def replayed(batch: str) -> str:
    return f"{batch}{_REPLAYED}"


def listed_by_batch(handle_name: str, batch: str, since: datetime, until: datetime) -> set[str]:
    """The ids of the events stream batch `batch` put in the handle's feed while it was tried
    or replayed (pages positioned between `since` and `until`: PK=HANDLE#h, SK between
    EVFEED#<since> and EVFEED#<until>, consistent, paged), for another replay of it."""
    handle_pk = keys.handle(handle_name)["PK"]
    query: dict[str, Any] = {
        "KeyConditionExpression": KeyCondition(keys.PK).eq(handle_pk)
        & KeyCondition(keys.SK).between(
            keys.EVENT_FEED_PREFIX + ids.ulid_time_prefix(since),
            keys.EVENT_FEED_PREFIX + ids.ulid_time_prefix(until) + "\uffff",
        ),
        "ConsistentRead": True,
    }
    listed: set[str] = set()
    while True:
        response = table().query(**query)
        for item in response["Items"]:
            page = EventFeedItem.from_item(item)
            if keys.event_feed_position(page.sk)[1] in (batch, replayed(batch)):
                listed |= {event.id for event in page.events}
        if "LastEvaluatedKey" not in response:
            return listed
        query["ExclusiveStartKey"] = response["LastEvaluatedKey"]


def feed_pages(
    handle_name: str, events: Sequence[DeliveryEvent], batch: str, position: str
) -> list[dict[str, Any]]:
    """A handle's events of one stream batch as feed pages, in the order they must be
    written (a page must be stored before the next is, or a reader could pass it by)."""
    ordered = sorted(events, key=lambda event: event.event_id)
    chunks = [
        ordered[start : start + EVENTS_PER_PAGE]
        for start in range(0, len(ordered), EVENTS_PER_PAGE)
    ]
    return [
        EventFeedItem.from_domain(
            keys.event_feed(handle_name, position, batch, n), handle_name, chunk
        ).to_item()
        for n, chunk in enumerate(chunks)
    ]


def recipient_messages(message: Message) -> list[dict[str, Any]]:
    """The items naming `message` under each of its recipients (lowercased, each once)."""
    emails = dict.fromkeys(recipient.email.lower() for recipient in message.recipients)
    return [
        RecipientMessageItem.of(message.handle, email, message.message_id).to_item()
        for email in emails
    ]


# Where a page of ours ends: the sort key of the item (feed page, or a recipient's message)
# whose events it gave out last, and the id of the last of them, or None when it gave out all
# of that item's events (the next page then starts after the item).
Cursor = tuple[str, str | None]
# Between an item's sort key and an event id in a token (neither holds one).
_AFTER = "|"


def _cursor(token: str | None, handle_pk: str, prefix: str) -> Cursor | None:
    """The cursor a page token stands for, if it is one of this list's (`prefix`)."""
    start = pagination.decode(token, exact={keys.PK: handle_pk}, prefixes={keys.SK: prefix})
    if start is None:
        return None
    item_sort, _, after = start[keys.SK].partition(_AFTER)
    return item_sort, after or None


def _token(handle_pk: str, cursor: Cursor) -> str | None:
    item_sort, after = cursor
    sort = item_sort if after is None else f"{item_sort}{_AFTER}{after}"
    return pagination.encode({keys.PK: handle_pk, keys.SK: sort})


def _query(
    handle_pk: str,
    prefix: str,
    first: str,
    cursor: Cursor | None,
    limit: int,
    *,
    consistent: bool = False,
) -> dict[str, Any]:
    """A Query of up to `limit` items under `prefix`, from `first` on, or from the cursor's
    item (again when only part of its events was given out, else after it). The range starts
    at the cursor's item, so the start key always lies in it, whatever a token says."""
    query: dict[str, Any] = {
        "KeyConditionExpression": KeyCondition(keys.PK).eq(handle_pk)
        & KeyCondition(keys.SK).between(cursor[0] if cursor else first, prefix + "\uffff"),
        # Every item holds at least one event: `limit` items always fill a page of ours.
        "Limit": limit,
        "ConsistentRead": consistent,
    }
    if cursor and cursor[1] is None:
        query["ExclusiveStartKey"] = {keys.PK: handle_pk, keys.SK: cursor[0]}
    return query


def _page(
    handle_pk: str,
    groups: Iterable[tuple[str, list[DeliveryEvent]]],
    *,
    cursor: Cursor | None,
    wanted: Callable[[DeliveryEvent], bool],
    limit: int,
    more: bool,
    tail: Cursor | None = None,
) -> Page[DeliveryEvent]:
    """Up to `limit` wanted events of the items read (sort key, events oldest first), from the
    cursor's place on; `more`: the Query stopped before the list's end. With `tail` (where the
    list starts), a list that can still grow gives a token at its end too."""
    events: list[DeliveryEvent] = []
    given_up_to = cursor
    for item_sort, item_events in groups:
        after = cursor[1] if cursor and cursor[0] == item_sort else None
        for event in item_events:
            if (after and event.event_id <= after) or not wanted(event):
                continue
            if len(events) == limit:
                return Page(events, _token(handle_pk, given_up_to) if given_up_to else None)
            events.append(event)
            given_up_to = (item_sort, event.event_id)
        given_up_to = (item_sort, None)
    if given_up_to and (more or tail):
        return Page(events, _token(handle_pk, given_up_to))
    if tail:
        return Page(events, _token(handle_pk, tail))
    return Page(events, None)


def list_events(
    handle_name: str,
    *,
    purpose: str | None,
    since: datetime | None,
    limit: int,
    next_token: str | None,
) -> Page[DeliveryEvent]:
    """A handle's events in the order they were projected, feed page after feed page (each
    oldest first), that happened at or after `since` and are of `purpose` when given. A token
    names a feed page and the last event given out from it, so a feed page may be read across
    two pages of ours. The feed keeps growing, so its last page has a token too: it names the
    end reached, and a later call with it gives what was projected since. As with any filter,
    a page may hold fewer than `limit` events and still have a next one. Read consistently,
    so a page stored before another is always seen with it."""
    handle_pk, prefix = keys.handle(handle_name)["PK"], keys.EVENT_FEED_PREFIX
    cursor = _cursor(next_token, handle_pk, prefix)
    first = prefix + (ids.ulid_time_prefix(since - SINCE_LOOKBACK) if since else "")
    since_event_id = ids.ulid_time_prefix(since) if since else ""
    response = table().query(**_query(handle_pk, prefix, first, cursor, limit, consistent=True))
    pages = [EventFeedItem.from_item(item) for item in response["Items"]]
    return _page(
        handle_pk,
        ((page.sk, page.to_domain()) for page in pages),
        cursor=cursor,
        wanted=lambda event: (
            event.event_id >= since_event_id and (purpose is None or event.purpose.value == purpose)
        ),
        limit=limit,
        more="LastEvaluatedKey" in response,
        tail=cursor or (first, None),
    )


def list_recipient_events(
    handle_name: str,
    email: str,
    *,
    purpose: str | None,
    since_event_id: str | None,
    limit: int,
    next_token: str | None,
) -> Page[DeliveryEvent]:
    """A recipient's events (`email` lowercased), message after message (oldest first), each
    message's oldest first: a Query of the recipient's messages (PK=HANDLE#h, SK begins_with
    RCPT#<email>#), then their items (BatchGetItem). A token names a message and the last of
    its events given out, so a message's events may span two pages. `since` and `purpose`
    filter: a page may hold fewer than `limit` events and still have a next one."""
    handle_pk, prefix = keys.handle(handle_name)["PK"], keys.recipient_messages_prefix(email)
    cursor = _cursor(next_token, handle_pk, prefix)
    response = table().query(**_query(handle_pk, prefix, prefix, cursor, limit))
    pointers = [RecipientMessageItem.from_item(item) for item in response["Items"]]
    found = items_by_key(keys.message(handle_name, pointer.message_id) for pointer in pointers)

    def timeline(pointer: RecipientMessageItem) -> list[DeliveryEvent]:
        item = found.get(item_key(keys.message(handle_name, pointer.message_id)))
        return MessageItem.from_item(item).events() if item else []

    since = since_event_id or ""
    return _page(
        keys.handle(handle_name)["PK"],
        ((pointer.sk, timeline(pointer)) for pointer in pointers),
        cursor=cursor,
        wanted=lambda event: (
            (event.recipient or "").lower() == email
            and event.event_id >= since
            and (purpose is None or event.purpose.value == purpose)
        ),
        limit=limit,
        more="LastEvaluatedKey" in response,
    )
