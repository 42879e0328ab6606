"""What the event projection writes from the table's stream, and the event lists read from it:
the handle-wide event feed (pages of events, SK=EVFEED#<last event id>#<batch>) and the
messages of each recipient (SK=RCPT#<email>#<messageId>), whose timelines hold the events."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from boto3.dynamodb.conditions import Key as KeyCondition

from tenx_email import keys
from tenx_email.dal import pagination
from tenx_email.dal.items import EventFeedItem, MessageItem, RecipientMessageItem
from tenx_email.dal.queries import Page, item_key, items_by_key, remembered_query
from tenx_email.dal.table import table
from tenx_email.models import DeliveryEvent, Message

# Events per feed page: ~150 bytes each, so a page stays a few KB (written once, read often).
EVENTS_PER_PAGE = 50


def feed_pages(
    handle_name: str, events: Sequence[DeliveryEvent], batch: str
) -> list[dict[str, Any]]:
    """A handle's events of one stream batch as feed pages. The keys derive from the events
    and `batch` (the same for a retried batch), so a retry rewrites the same pages."""
    ordered = sorted(events, key=lambda event: event.event_id)
    chunks = [
        ordered[start : start + EVENTS_PER_PAGE]
        for start in range(0, len(ordered), EVENTS_PER_PAGE)
    ]
    return [
        EventFeedItem.from_domain(handle_name, chunk, f"{batch}.{n}").to_item()
        for n, chunk in enumerate(chunks)
    ]


def recipient_messages(message: Message) -> list[dict[str, Any]]:
    """The items naming `message` under each of its recipients (lowercased, each once)."""
    emails = dict.fromkeys(recipient.email.lower() for recipient in message.recipients)
    return [
        RecipientMessageItem.of(message.handle, email, message.message_id).to_item()
        for email in emails
    ]


def _cursor(token: str | None, handle_pk: str) -> tuple[str, str | None] | None:
    """A page token's feed page (sort key) and the id of the last event given out from it, or
    None when the feed page was given out whole (the list goes on after it)."""
    start = pagination.decode(
        token, exact={keys.PK: handle_pk}, prefixes={keys.SK: keys.EVENT_FEED_PREFIX}
    )
    if start is None:
        return None
    parts = start[keys.SK].split("#")
    if len(parts) == 3:
        return start[keys.SK], None
    if len(parts) == 4:
        return "#".join(parts[:3]), parts[3]
    raise pagination.InvalidNextToken("nextToken is not a token this list gave out")


def list_events(
    handle_name: str,
    *,
    purpose: str | None,
    since_event_id: str | None,
    limit: int,
    next_token: str | None,
) -> Page[DeliveryEvent]:
    """A handle's events, feed page after feed page (each oldest first), from `since_event_id`
    on and of `purpose` when given. A token names a feed page and the last event given out
    from it, so a feed page may be read across two pages of ours. As with any filter, a page
    may hold fewer than `limit` events and still have a next one."""
    handle_pk = keys.handle(handle_name)["PK"]
    cursor = _cursor(next_token, handle_pk)
    query: dict[str, Any] = {
        "KeyConditionExpression": KeyCondition(keys.PK).eq(handle_pk)
        & KeyCondition(keys.SK).between(
            cursor[0] if cursor else keys.EVENT_FEED_PREFIX + (since_event_id or ""),
            keys.EVENT_FEED_PREFIX + "\uffff",
        ),
        # Every feed page holds at least one event: `limit` pages always fill a page of ours.
        "Limit": limit,
    }
    if cursor and cursor[1] is None:
        query["ExclusiveStartKey"] = {keys.PK: handle_pk, keys.SK: cursor[0]}
    response = table().query(**query)
    partly_given = cursor if cursor and cursor[1] is not None else None
    since = since_event_id or ""
    events: list[DeliveryEvent] = []
    # Where the events given out end: (feed page, last event id given out from it).
    given_up_to: tuple[str, str | None] = cursor or (keys.EVENT_FEED_PREFIX + since, "")
    for item in response["Items"]:
        page = EventFeedItem.from_item(item)
        for event in page.to_domain():
            if (
                partly_given
                and page.sk == partly_given[0]
                and event.event_id <= str(partly_given[1])
            ):
                continue
            if event.event_id < since or (purpose and event.purpose.value != purpose):
                continue
            if len(events) == limit:
                return Page(events, _token(handle_pk, *given_up_to))
            events.append(event)
            given_up_to = (page.sk, event.event_id)
        # Given out whole (or filtered out): the next page of ours starts after it.
        given_up_to = (page.sk, None)
    if response.get("LastEvaluatedKey"):
        return Page(events, _token(handle_pk, *given_up_to))
    return Page(events, None)


def _token(handle_pk: str, page_sort: str, after_event_id: str | None) -> str | None:
    sort = page_sort if after_event_id is None else f"{page_sort}#{after_event_id}"
    return pagination.encode({keys.PK: handle_pk, keys.SK: sort})


def _recipient_cursor(
    token: str | None, handle_pk: str, prefix: str
) -> tuple[str, str | None] | None:
    """A page token's message (id) and the id of the last of its events given out, or None
    when the message was given out whole."""
    start = pagination.decode(token, exact={keys.PK: handle_pk}, prefixes={keys.SK: prefix})
    if start is None:
        return None
    message_id, _, after = start[keys.SK][len(prefix) :].partition("#")
    return message_id, after or None


def _recipient_query(
    handle_name: str, email: str, limit: int, next_token: str | None
) -> tuple[dict[str, Any], tuple[str, str | None] | None]:
    """One Query of the recipient's messages (oldest first), from the token's place; the
    request remembers it, so the route's prefetch and the route make it once."""
    handle_pk, prefix = keys.handle(handle_name)["PK"], keys.recipient_messages_prefix(email)
    cursor = _recipient_cursor(next_token, handle_pk, prefix)
    first = prefix + (cursor[0] if cursor and cursor[1] else "")
    query: dict[str, Any] = {
        "KeyConditionExpression": KeyCondition(keys.PK).eq(handle_pk)
        & KeyCondition(keys.SK).between(first, prefix + "\uffff"),
        "Limit": limit,
    }
    if cursor and cursor[1] is None:
        query["ExclusiveStartKey"] = {keys.PK: handle_pk, keys.SK: prefix + cursor[0]}
    asked = f"recipient-messages|{handle_name}|{email}|{limit}|{next_token or ''}"
    return remembered_query(asked, query), cursor


def recipient_message_keys(
    handle_name: str, email: str, limit: int, next_token: str | None
) -> list[keys.Key]:
    """The messages a page of the recipient's events reads (for a route's prefetch)."""
    response, _ = _recipient_query(handle_name, email, limit, next_token)
    return [
        keys.message(handle_name, RecipientMessageItem.from_item(item).message_id)
        for item in response["Items"]
    ]


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
    message's oldest first: a Query of the recipient's messages, then their items (read with
    the access check when the route prefetched them). A token names a message and the last of
    its events given out, so a message's events may span two pages. `since` and `purpose`
    filter: a page may hold fewer than `limit` events and still have a next one."""
    response, cursor = _recipient_query(handle_name, email, limit, next_token)
    pointers = [RecipientMessageItem.from_item(item) for item in response["Items"]]
    found = items_by_key(keys.message(handle_name, pointer.message_id) for pointer in pointers)
    handle_pk, prefix = keys.handle(handle_name)["PK"], keys.recipient_messages_prefix(email)
    since = since_event_id or ""
    events: list[DeliveryEvent] = []
    given_up_to: tuple[str, str | None] | None = cursor
    for pointer in pointers:
        item = found.get(item_key(keys.message(handle_name, pointer.message_id)))
        timeline = MessageItem.from_item(item).events() if item else []
        after = cursor[1] if cursor and cursor[0] == pointer.message_id else None
        for event in timeline:
            if (event.recipient or "").lower() != email or (after and event.event_id <= after):
                continue
            if event.event_id < since or (purpose and event.purpose.value != purpose):
                continue
            if len(events) == limit:
                return Page(events, _recipient_token(handle_pk, prefix, given_up_to))
            events.append(event)
            given_up_to = (pointer.message_id, event.event_id)
        given_up_to = (pointer.message_id, None)
    if response.get("LastEvaluatedKey"):
        return Page(events, _recipient_token(handle_pk, prefix, given_up_to))
    return Page(events, None)


def _recipient_token(
    handle_pk: str, prefix: str, given_up_to: tuple[str, str | None] | None
) -> str | None:
    if given_up_to is None:
        return None
    message_id, after = given_up_to
    sort = f"{prefix}{message_id}" + (f"#{after}" if after else "")
    return pagination.encode({keys.PK: handle_pk, keys.SK: sort})
