"""The webhook sender's writes to an endpoint: its health fields only (`failingSince`, and
`enabled`/`disabledReason` when it gives up on it). Each is one conditional UpdateItem, so a
customer's concurrent change or delete is never overwritten with what the sender read.

Marking and clearing `failingSince` leave `version` alone: they are not the customer's
changes, and must not make the customer's next `expectedVersion` fail. Disabling bumps it,
so an update written from a read made before it fails (409) rather than silently enabling
the endpoint again."""

from __future__ import annotations

from datetime import datetime

from tenx_email import keys
from tenx_email.dal.table import conditional, table
from tenx_email.webhooks import WebhookEndpoint


def mark_failing(endpoint: WebhookEndpoint, since: datetime) -> bool:
    """Set `failingSince` unless it is set already (the first failure since a success)."""
    return conditional(
        lambda: table().update_item(
            Key=keys.webhook(endpoint.handle, endpoint.webhook_id),
            UpdateExpression="SET failingSince = :since",
            ConditionExpression=(
                "attribute_exists(PK) AND attribute_not_exists(failingSince) AND deleted = :live"
            ),
            ExpressionAttributeValues={":since": since.isoformat(), ":live": False},
        )
    )


def clear_failing(endpoint: WebhookEndpoint) -> bool:
    """Remove `failingSince` (a delivery succeeded); False if it was not set."""
    return conditional(
        lambda: table().update_item(
            Key=keys.webhook(endpoint.handle, endpoint.webhook_id),
            UpdateExpression="REMOVE failingSince",
            ConditionExpression="attribute_exists(failingSince)",
        )
    )


def disable(endpoint: WebhookEndpoint, reason: str, at: datetime) -> bool:
    """Disable a live, enabled, still failing endpoint, saying why; False if it is not that
    any more (a success cleared it, the customer disabled or deleted it meanwhile)."""
    return conditional(
        lambda: table().update_item(
            Key=keys.webhook(endpoint.handle, endpoint.webhook_id),
            UpdateExpression=(
                "SET enabled = :off, disabledReason = :reason, updatedAt = :at ADD version :one"
            ),
            ConditionExpression=(
                "attribute_exists(failingSince) AND enabled = :on AND deleted = :live"
            ),
            ExpressionAttributeValues={
                ":off": False,
                ":on": True,
                ":live": False,
                ":reason": reason,
                ":at": at.isoformat(),
                ":one": 1,
            },
        )
    )
