"""Webhook deliveries, one endpoint's log (PK=HANDLE#h#WH#<webhookId>,
SK=DLV#<deliveryId>), newest first: a delivery id is `whd_` and a ULID of its event's time.

The fan-out creates each delivery once (a conditional put: a retried stream batch finds it);
the sender appends each attempt and sets the status. Every item expires DELIVERY_RETENTION
after its event (TTL)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from boto3.dynamodb.conditions import Attr
from boto3.dynamodb.conditions import Key as KeyCondition
from pydantic import Field

from tenx_email import ids, keys
from tenx_email.dal.items import StoredItem
from tenx_email.dal.queries import Page, batch_get, query_page
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


def put_new(delivery: WebhookDelivery) -> bool:
    """Store a new delivery; False if it exists (a retried stream batch made it before)."""
    item = WebhookDeliveryItem.from_domain(delivery).to_item()
    return conditional(lambda: table().put_item(Item=item, ConditionExpression=ABSENT))


def get(handle_name: str, webhook_id: str, delivery_id: str) -> WebhookDelivery | None:
    found = (
        table()
        .get_item(
            Key=keys.webhook_delivery(handle_name, webhook_id, delivery_id), ConsistentRead=True
        )
        .get("Item")
    )
    return WebhookDeliveryItem.from_item(found).to_domain() if found else None


def with_endpoint(
    handle_name: str, webhook_id: str, delivery_id: str
) -> tuple[WebhookDelivery | None, WebhookEndpoint | None]:
    """A delivery and its endpoint, in one BatchGetItem (what the sender needs first)."""
    delivery_key = keys.webhook_delivery(handle_name, webhook_id, delivery_id)
    endpoint_key = keys.webhook(handle_name, webhook_id)
    found = {item["PK"]: item for item in batch_get([delivery_key, endpoint_key])}
    delivery, endpoint = found.get(delivery_key["PK"]), found.get(endpoint_key["PK"])
    return (
        WebhookDeliveryItem.from_item(delivery).to_domain() if delivery else None,
        WebhookItem.from_item(endpoint).to_domain() if endpoint else None,
    )


def record_attempt(
    delivery: WebhookDelivery,
    attempt: DeliveryAttempt,
    status: DeliveryStatus,
    next_attempt_at: datetime | None,
) -> None:
    """Append an attempt and set where the delivery stands (a SUCCEEDED one stays so)."""
    key = keys.webhook_delivery(delivery.handle, delivery.webhook_id, delivery.delivery_id)
    values: dict[str, Any] = {
        ":attempt": [attempt.model_dump(mode="json")],
        ":empty": [],
        ":status": status.value,
        ":succeeded": DeliveryStatus.SUCCEEDED.value,
    }
    expression = (
        "SET attempts = list_append(if_not_exists(attempts, :empty), :attempt), #s = :status"
    )
    if next_attempt_at is None:
        expression += " REMOVE nextAttemptAt"
    else:
        expression += ", nextAttemptAt = :next"
        values[":next"] = next_attempt_at.isoformat()
    conditional(
        lambda: table().update_item(
            Key=key,
            UpdateExpression=expression,
            ConditionExpression="attribute_exists(PK) AND #s <> :succeeded",
            ExpressionAttributeNames={"#s": "status"},
            ExpressionAttributeValues=values,
        )
    )


def set_status(delivery: WebhookDelivery, status: DeliveryStatus) -> None:
    """Set the status alone (CANCELLED; PENDING again for a replay)."""
    table().update_item(
        Key=keys.webhook_delivery(delivery.handle, delivery.webhook_id, delivery.delivery_id),
        UpdateExpression="SET #s = :status REMOVE nextAttemptAt",
        ConditionExpression="attribute_exists(PK)",
        ExpressionAttributeNames={"#s": "status"},
        ExpressionAttributeValues={":status": status.value},
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
