"""Items a campaign may hold only so many of (email rules, sequences), counted on the campaign's
own item (`ruleCount`, `sequenceCount` on CAMPAIGN#id) in the same transaction as the item:
the limit holds under concurrent creates, and nothing is written under a campaign that is not
there. A counter absent from an older campaign item counts as 0."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic_core import to_jsonable_python

from tenx_email import keys
from tenx_email.dal.queries import get_item
from tenx_email.dal.table import ABSENT, CONDITION_FAILED, table, transact

_TRANSACTION_ATTEMPTS = 3


class CampaignMissing(Exception):
    """The campaign does not exist."""


class ItemMissing(Exception):
    """The item never existed under this campaign."""


class LimitReached(Exception):
    """The campaign already has the most live items of this kind it may have."""


def _count(
    handle_name: str,
    campaign_id: str,
    counter: str,
    change: int,
    condition: str,
    values: dict[str, Any],
) -> dict[str, Any]:
    return {
        "Update": {
            "TableName": table().name,
            "Key": keys.campaign(handle_name, campaign_id),
            "UpdateExpression": f"SET {counter} = if_not_exists({counter}, :zero) + :change",
            "ConditionExpression": condition,
            "ExpressionAttributeValues": {":zero": 0, ":change": change, **values},
        }
    }


def _run(items: list[dict[str, Any]]) -> list[str]:
    """Run a transaction, retrying while it only collided with another transaction."""
    for _ in range(_TRANSACTION_ATTEMPTS):
        reasons = transact(items)
        if "TransactionConflict" not in reasons:
            return reasons
    raise RuntimeError("a counted write kept conflicting with concurrent writes")


def create(
    handle_name: str, campaign_id: str, counter: str, limit: int, items: list[dict[str, Any]]
) -> None:
    """Put `items` (new keys only) and count one more on the campaign, unless it already has
    `limit` live ones or is gone (LimitReached: the campaign was read just before)."""
    room = f"attribute_exists(PK) AND (attribute_not_exists({counter}) OR {counter} < :max)"
    puts = [
        {"Put": {"TableName": table().name, "Item": item, "ConditionExpression": ABSENT}}
        for item in items
    ]
    reasons = _run([_count(handle_name, campaign_id, counter, 1, room, {":max": limit}), *puts])
    if reasons and reasons[0] == CONDITION_FAILED:
        raise LimitReached(campaign_id)
    if reasons:
        raise RuntimeError(f"counted create cancelled: {reasons}")


def mark_deleted(
    handle_name: str, campaign_id: str, counter: str, key: keys.Key, at: datetime
) -> None:
    """Soft-delete a live item and uncount it on its campaign, in one transaction. Deleting a
    deleted item changes nothing; raises CampaignMissing or ItemMissing."""
    reasons = _run(
        [
            _count(handle_name, campaign_id, counter, -1, "attribute_exists(PK)", {}),
            {
                "Update": {
                    "TableName": table().name,
                    "Key": key,
                    "UpdateExpression": "SET deleted = :yes, updatedAt = :at",
                    "ConditionExpression": "deleted = :no",
                    "ExpressionAttributeValues": {
                        ":yes": True,
                        ":no": False,
                        # Exactly as the item models store datetimes.
                        ":at": str(to_jsonable_python(at)),
                    },
                }
            },
        ]
    )
    if not reasons:
        return
    if reasons[0] == CONDITION_FAILED:
        raise CampaignMissing(campaign_id)
    if reasons[1] != CONDITION_FAILED:
        raise RuntimeError(f"counted delete cancelled: {reasons}")
    if get_item(key, consistent=True) is None:
        raise ItemMissing(key[keys.SK])
