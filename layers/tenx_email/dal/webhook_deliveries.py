"""Webhook deliveries, one endpoint's log (PK=HANDLE#h#WH#<webhookId>,
SK=DLV#<deliveryId>), newest first: a delivery id is `whd_` and a ULID of its event's time.

Only the sender writes here: a delivery is stored with its first attempt's outcome, then
rewritten whole with each attempt after, on the condition that the log still holds what the
sender read (so a duplicated queue record's attempt is recorded once). Every item expires
DELIVERY_RETENTION after its event (TTL)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from boto3.dynamodb.conditions import Attr
from boto3.dynamodb.conditions import Key as KeyCondition
from pydantic import Field

from tenx_email import ids, keys
from tenx_email.dal.items import StoredItem
from tenx_email.dal.queries import Page, item_key, items_by_key, query_page
from tenx_email.dal.table import ABSENT, conditional, table
from tenx_email.dal.webhooks import WebhookItem
from tenx_email.webhooks import (
    DELIVERY_RETENTION,
    DeliveryAttempt,
    DeliveryStatus,
    WebhookDelivery,
    WebhookEndpoint,
)


class WebhookDeliveryItem(StoredItem):
    entity_type = "WEBHOOK_DELIVERY"
    handle: str
    webhook_id: str
    delivery_id: str
    event_type: str
    payload: str
    status: DeliveryStatus
    attempts: list[dict[str, Any]] = Field(default_factory=list)
    created_at: datetime
    next_attempt_at: datetime | None = None
    sending: int = 0
    attempts_before: int = 0
    expires_at: int

    @classmethod
    def from_domain(cls, delivery: WebhookDelivery) -> WebhookDeliveryItem:
        return cls(
            **keys.webhook_delivery(delivery.handle, delivery.webhook_id, delivery.delivery_id),
            **delivery.model_dump(exclude={"attempts"}),
            attempts=[attempt.model_dump(mode="json") for attempt in delivery.attempts],
            expires_at=int((delivery.created_at + DELIVERY_RETENTION).timestamp()),
        )

    def to_domain(self) -> WebhookDelivery:
        return WebhookDelivery(
            **self.model_dump(exclude={"pk", "sk", "attempts", "expires_at"}),
            attempts=tuple(DeliveryAttempt.model_validate(a) for a in self.attempts),
        )


def save(delivery: WebhookDelivery, over: WebhookDelivery | None) -> bool:
    """Store where a delivery stands, if the log still holds what the sender read (`over`,
    or nothing): False if a duplicate record's attempt, or a replay, was stored meanwhile."""
    item = WebhookDeliveryItem.from_domain(delivery).to_item()
    if over is None:
        return conditional(lambda: table().put_item(Item=item, ConditionExpression=ABSENT))
    return conditional(
        lambda: table().put_item(
            Item=item,
            ConditionExpression="size(#attempts) = :attempts AND #sending = :sending",
            ExpressionAttributeNames={"#attempts": "attempts", "#sending": "sending"},
            ExpressionAttributeValues={":attempts": len(over.attempts), ":sending": over.sending},
        )
    )


def get(handle_name: str, webhook_id: str, delivery_id: str) -> WebhookDelivery | None:
    found = (
        table()
        .get_item(
            Key=keys.webhook_delivery(handle_name, webhook_id, delivery_id), ConsistentRead=True
        )
        .get("Item")
    )
    return WebhookDeliveryItem.from_item(found).to_domain() if found else None


def with_endpoints(
    wanted: Sequence[tuple[str, str, str]],
) -> tuple[dict[tuple[str, str], WebhookDelivery], dict[tuple[str, str], WebhookEndpoint]]:
    """The deliveries (handle, webhook id, delivery id) and their endpoints that are
    stored, read together (one BatchGetItem for a sender's batch): deliveries by (webhook id,
    delivery id), endpoints by (handle, webhook id)."""
    delivery_keys = [keys.webhook_delivery(*one) for one in wanted]
    endpoint_keys = [keys.webhook(handle, webhook_id) for handle, webhook_id, _ in wanted]
    found = items_by_key(delivery_keys + endpoint_keys)
    stored = [found.get(item_key(key)) for key in delivery_keys]
    endpoints = [found.get(item_key(key)) for key in endpoint_keys]
    return (
        {
            (delivery.webhook_id, delivery.delivery_id): delivery
            for delivery in (WebhookDeliveryItem.from_item(i).to_domain() for i in stored if i)
        },
        {
            (endpoint.handle, endpoint.webhook_id): endpoint
            for endpoint in (WebhookItem.from_item(i).to_domain() for i in endpoints if i)
        },
    )


def page(
    handle_name: str,
    webhook_id: str,
    status: DeliveryStatus | None,
    limit: int,
    next_token: str | None,
) -> Page[WebhookDelivery]:
    """The endpoint's deliveries, newest first, optionally of one status (filtered per page,
    and bound into the page tokens)."""
    items, token = query_page(
        index=None,
        partition=(keys.PK, keys.webhook_deliveries(handle_name, webhook_id)),
        sort=(keys.SK, keys.DELIVERY_PREFIX),
        since=None,
        newest_first=True,
        limit=limit,
        next_token=next_token,
        exact={},
        filters=Attr("status").eq(status.value) if status else None,
        scope={"status": status.value} if status else None,
    )
    return Page([WebhookDeliveryItem.from_item(item).to_domain() for item in items], token)


def between(
    handle_name: str, webhook_id: str, since: datetime, until: datetime, most: int
) -> list[WebhookDelivery]:
    """Up to `most` deliveries of events from `since` to `until`, oldest first."""
    first = f"{keys.DELIVERY_PREFIX}whd_{ids.ulid_time_prefix(since).lower()}"
    last = f"{keys.DELIVERY_PREFIX}whd_{ids.ulid_time_prefix(until).lower()}~"
    found = table().query(
        KeyConditionExpression=KeyCondition(keys.PK).eq(
            keys.webhook_deliveries(handle_name, webhook_id)
        )
        & KeyCondition(keys.SK).between(first, last),
        Limit=most,
        ConsistentRead=True,
    )["Items"]
    return [WebhookDeliveryItem.from_item(item).to_domain() for item in found]
