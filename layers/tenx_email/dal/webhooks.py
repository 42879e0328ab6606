"""Webhook endpoints (PK=HANDLE#h, SK=WEBHOOK#<webhookId>) in the single table.

The handle's live endpoints are counted on SK=WEBHOOKS, changed in the same transaction as
the endpoint, so the limit holds under concurrent creates. A deleted endpoint stays (soft
delete, `deleted`), so its delivery log can still be read until it expires.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from boto3.dynamodb.conditions import Key as KeyCondition

from tenx_email import keys
from tenx_email.dal.items import StoredItem
from tenx_email.dal.queries import get_item, query_all
from tenx_email.dal.table import CONDITION_FAILED, table, transact
from tenx_email.webhooks import SigningSecret, WebhookEndpoint


class EndpointLimitReached(Exception):
    """The handle already has the most live endpoints it may have."""


class ConcurrentChange(Exception):
    """The endpoint changed (or went) between our read and our write."""


class WebhookItem(StoredItem):
    entity_type = "WEBHOOK"
    handle: str
    webhook_id: str
    url: str
    events: list[str]
    enabled: bool
    description: str | None = None
    secrets: list[dict[str, Any]]
    version: int
    created_at: datetime
    updated_at: datetime
    disabled_reason: str | None = None
    failing_since: datetime | None = None
    deleted: bool = False

    @classmethod
    def from_domain(cls, endpoint: WebhookEndpoint) -> WebhookItem:
        fields = endpoint.model_dump(exclude={"secrets", "events"})
        return cls(
            **keys.webhook(endpoint.handle, endpoint.webhook_id),
            **fields,
            events=list(endpoint.events),
            secrets=[secret.model_dump(mode="json") for secret in endpoint.secrets],
        )

    def to_domain(self) -> WebhookEndpoint:
        return WebhookEndpoint(
            **self.model_dump(exclude={"pk", "sk", "secrets", "events"}),
            events=tuple(self.events),
            secrets=tuple(SigningSecret.model_validate(secret) for secret in self.secrets),
        )


def get(handle_name: str, webhook_id: str, *, consistent: bool = False) -> WebhookEndpoint | None:
    """An endpoint, deleted or not (from the request's read cache when it was read there)."""
    found = get_item(keys.webhook(handle_name, webhook_id), consistent=consistent)
    return WebhookItem.from_item(found).to_domain() if found else None


def endpoints(handle_name: str) -> list[WebhookEndpoint]:
    """The handle's live endpoints, oldest first (ids are ULIDs), paged through."""
    found = query_all(
        {
            "KeyConditionExpression": KeyCondition(keys.PK).eq(keys.handle(handle_name)[keys.PK])
            & KeyCondition(keys.SK).begins_with(keys.WEBHOOK_PREFIX),
            "ConsistentRead": True,
        }
    )
    every = (WebhookItem.from_item(item).to_domain() for item in found)
    return [endpoint for endpoint in every if not endpoint.deleted]


def create(endpoint: WebhookEndpoint, limit: int) -> None:
    """Store a new endpoint unless the handle has `limit` live ones already."""
    count = keys.webhook_count(endpoint.handle)
    reasons = transact(
        [
            {
                "Update": {
                    "TableName": table().name,
                    "Key": count,
                    "UpdateExpression": "SET entity = :entity ADD live :one",
                    "ConditionExpression": "attribute_not_exists(live) OR live < :limit",
                    "ExpressionAttributeValues": {
                        ":entity": "WEBHOOK_COUNT",
                        ":one": 1,
                        ":limit": limit,
                    },
                }
            },
            {
                "Put": {
                    "TableName": table().name,
                    "Item": WebhookItem.from_domain(endpoint).to_item(),
                    "ConditionExpression": "attribute_not_exists(PK)",
                }
            },
        ]
    )
    if reasons and reasons[0] == CONDITION_FAILED:
        raise EndpointLimitReached
    if reasons:
        raise RuntimeError(f"creating a webhook endpoint was cancelled: {reasons}")


def replace(endpoint: WebhookEndpoint, expected_version: int) -> None:
    """Write the endpoint's new state if it is still at `expected_version` and live."""
    item = WebhookItem.from_domain(endpoint).to_item()
    reasons = transact(
        [
            {
                "Put": {
                    "TableName": table().name,
                    "Item": item,
                    "ConditionExpression": "version = :expected AND deleted = :live",
                    "ExpressionAttributeValues": {":expected": expected_version, ":live": False},
                }
            }
        ]
    )
    if reasons:
        raise ConcurrentChange


def delete(endpoint: WebhookEndpoint, deleted: WebhookEndpoint) -> bool:
    """Mark the endpoint deleted (`deleted` is its new state) and count it out; False if it
    changed or went since it was read."""
    reasons = transact(
        [
            {
                "Put": {
                    "TableName": table().name,
                    "Item": WebhookItem.from_domain(deleted).to_item(),
                    "ConditionExpression": "version = :expected AND deleted = :live",
                    "ExpressionAttributeValues": {
                        ":expected": endpoint.version,
                        ":live": False,
                    },
                }
            },
            {
                "Update": {
                    "TableName": table().name,
                    "Key": keys.webhook_count(endpoint.handle),
                    "UpdateExpression": "ADD live :minus_one",
                    "ExpressionAttributeValues": {":minus_one": -1},
                }
            },
        ]
    )
    return not reasons
