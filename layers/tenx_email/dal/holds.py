"""Messages held back while their handle's sending is paused: one marker item each
(PK=HANDLE#h, SK=HELD#<messageId>), so that resuming finds them with one Query and the message
itself (whose size is bounded for its events) gains nothing."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from boto3.dynamodb.conditions import Key as KeyCondition

from tenx_email import keys
from tenx_email.dal.items import StoredItem
from tenx_email.dal.queries import get_item, query_all
from tenx_email.dal.table import table
from tenx_email.message_models import Hold


class HeldItem(StoredItem):
    entity_type = "HELD"
    handle: str
    message_id: str
    reason: str
    since: datetime


def hold(handle_name: str, message_id: str, held: Hold) -> None:
    """Mark the message held (again, harmlessly, when a duplicate record holds it too)."""
    item = HeldItem(
        **keys.held_message(handle_name, message_id),
        handle=handle_name,
        message_id=message_id,
        reason=held.reason,
        since=held.since,
    )
    table().put_item(Item=item.to_item())


def get_hold(handle_name: str, message_id: str) -> Hold | None:
    found = get_item(keys.held_message(handle_name, message_id))
    if found is None:
        return None
    item = HeldItem.from_item(found)
    return Hold(reason=item.reason, since=item.since)


def held_messages(handle_name: str) -> Iterator[str]:
    """The ids of the handle's held messages, page by page (consistent: a resume must see a
    hold written just before it)."""
    query: dict[str, Any] = {
        "KeyConditionExpression": KeyCondition(keys.PK).eq(keys.handle(handle_name)[keys.PK])
        & KeyCondition(keys.SK).begins_with(keys.HELD_PREFIX),
        "ConsistentRead": True,
        "ProjectionExpression": "messageId",
    }
    for item in query_all(query):
        yield str(item["messageId"])


def release(handle_name: str, message_id: str) -> None:
    table().delete_item(Key=keys.held_message(handle_name, message_id))
