"""Accounts, handles, memberships and campaigns in the single table.

Each function's docstring names the access pattern it serves (docs/data-model.md)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from boto3.dynamodb.conditions import Key as KeyCondition
from botocore.exceptions import ClientError

from tenx_email import keys
from tenx_email.dal.items import (
    AccountItem,
    CampaignItem,
    HandleItem,
    MembershipItem,
    PauseEntry,
    ShardEpochEntry,
)
from tenx_email.dal.queries import get_item, item_key, read_keys
from tenx_email.dal.table import conditional, table, transact
from tenx_email.errors import AlreadyExists, NotFound
from tenx_email.models import (
    Account,
    Campaign,
    Handle,
    HandleStatus,
    Membership,
    SendingPause,
    ShardEpoch,
)

_MEMBERSHIP_PAGE = 100
# Keys a route may have read along with its access check: with the handle and the
# membership, one BatchGetItem (DynamoDB's limit is 100 keys).
PREFETCH_LIMIT = 98


def _put_child(
    parent: keys.Key, item: dict[str, Any], *, missing: str, exists: str | None = None
) -> None:
    """Put `item` only while `parent` exists; with `exists`, never over an existing item."""
    put: dict[str, Any] = {"TableName": table().name, "Item": item}
    if exists is not None:
        put["ConditionExpression"] = "attribute_not_exists(PK)"
    reasons = transact(
        [
            {
                "ConditionCheck": {
                    "TableName": table().name,
                    "Key": parent,
                    "ConditionExpression": "attribute_exists(PK)",
                }
            },
            {"Put": put},
        ]
    )
    if reasons and reasons[0] == "ConditionalCheckFailed":
        raise NotFound(missing)
    if reasons:
        raise AlreadyExists(exists or "already exists")


def put_account(account: Account) -> None:
    """Create account (PK=ACCOUNT#id, SK=ACCOUNT), refusing to overwrite one."""
    try:
        table().put_item(
            Item=AccountItem.from_domain(account).to_item(),
            ConditionExpression="attribute_not_exists(PK)",
        )
    except ClientError as error:
        if error.response["Error"]["Code"] == "ConditionalCheckFailedException":
            raise AlreadyExists(f"account {account.account_id} already exists") from error
        raise


def put_handle(handle: Handle) -> None:
    """Create handle (PK=HANDLE#name, SK=HANDLE) under an existing account, never overwriting."""
    _put_child(
        keys.account(handle.account_id),
        HandleItem.from_domain(handle).to_item(),
        missing=f"account {handle.account_id} does not exist",
        exists=f"handle {handle.handle} already exists",
    )


def get_handle(handle_name: str) -> Handle | None:
    """Get handle by name."""
    item = get_item(keys.handle(handle_name))
    return HandleItem.from_item(item).to_domain() if item else None


def set_handle_status(handle_name: str, status: HandleStatus) -> Handle:
    """Activate or deactivate a handle (update of PK=HANDLE#name, SK=HANDLE if it exists)."""
    return _update_handle(
        handle_name, "SET #status = :status", {":status": status.value}, {"#status": "status"}
    )


def set_sandbox(handle_name: str, sandbox: bool) -> Handle:
    """Put a handle in the sandbox or lift it (update of PK=HANDLE#name, SK=HANDLE)."""
    return _update_handle(handle_name, "SET sandbox = :sandbox", {":sandbox": sandbox})


def add_message_shards(handle_name: str, epoch: ShardEpoch) -> Handle | None:
    """Append `epoch` to the handle's message shards, if its count is more than the last
    one's (the count is also kept alone, for the condition). None when the handle is gone or
    its shards changed meanwhile."""
    entry = ShardEpochEntry(since=epoch.since, count=epoch.count).model_dump(mode="json")
    try:
        result = table().update_item(
            Key=keys.handle(handle_name),
            UpdateExpression=(
                "SET messageShards = list_append(if_not_exists(messageShards, :none), :epoch),"
                " messageShardCount = :count"
            ),
            ConditionExpression=(
                "attribute_exists(PK) AND"
                " (attribute_not_exists(messageShardCount) OR messageShardCount < :count)"
            ),
            ExpressionAttributeValues={
                ":none": [],
                ":epoch": [entry],
                ":count": epoch.count,
            },
            ReturnValues="ALL_NEW",
        )
    except table().meta.client.exceptions.ConditionalCheckFailedException:
        return None
    return HandleItem.from_item(result["Attributes"]).to_domain()


def set_sending_paused(handle_name: str, pause: SendingPause | None) -> Handle:
    """Pause the handle's sending (`pause`), or resume it (None)."""
    if pause is None:
        return _update_handle(handle_name, "REMOVE sendingPaused", {})
    entry = PauseEntry(reason=pause.reason, since=pause.since).model_dump(mode="json")
    return _update_handle(handle_name, "SET sendingPaused = :pause", {":pause": entry})


def pause_unless_paused(handle_name: str, pause: SendingPause) -> bool:
    """Pause the handle's sending unless it exists paused already; whether this paused it."""
    entry = PauseEntry(reason=pause.reason, since=pause.since).model_dump(mode="json")
    return conditional(
        lambda: table().update_item(
            Key=keys.handle(handle_name),
            UpdateExpression="SET sendingPaused = :pause",
            ConditionExpression="attribute_exists(PK) AND attribute_not_exists(sendingPaused)",
            ExpressionAttributeValues={":pause": entry},
        )
    )


def _update_handle(
    handle_name: str,
    expression: str,
    values: dict[str, Any],
    names: dict[str, str] | None = None,
) -> Handle:
    request: dict[str, Any] = {
        "Key": keys.handle(handle_name),
        "UpdateExpression": expression,
        "ConditionExpression": "attribute_exists(PK)",
        "ReturnValues": "ALL_NEW",
    }
    if values:
        request["ExpressionAttributeValues"] = values
    if names:
        request["ExpressionAttributeNames"] = names
    try:
        result = table().update_item(**request)
    except ClientError as error:
        if error.response["Error"]["Code"] == "ConditionalCheckFailedException":
            raise NotFound(f"handle {handle_name} does not exist") from error
        raise
    return HandleItem.from_item(result["Attributes"]).to_domain()


def put_membership(membership: Membership) -> None:
    """Grant or change a role (PK=HANDLE#name, SK=MEMBER#sub) on an existing handle."""
    _put_child(
        keys.handle(membership.handle),
        MembershipItem.from_domain(membership).to_item(),
        missing=f"handle {membership.handle} does not exist",
    )


def delete_membership(handle_name: str, sub: str) -> bool:
    """Revoke a membership; returns whether there was one."""
    result = table().delete_item(Key=keys.membership(handle_name, sub), ReturnValues="ALL_OLD")
    return "Attributes" in result


def get_handle_and_membership(
    handle_name: str, sub: str, also: Sequence[keys.Key] = (), *, consistent: bool = True
) -> tuple[Handle | None, Membership | None]:
    """Access check: the handle and the caller's membership of it, in one BatchGetItem
    (consistent unless told).

    `also`: keys the route will read next, read in the same BatchGetItem and remembered in the
    request's read cache (found or absent). Each must lie under this handle's partition: what
    is read here before access is decided stays inside the tenant the caller asked for. At most
    PREFETCH_LIMIT of them are read (the rest are simply read when the route asks)."""
    handle_key, member_key = keys.handle(handle_name), keys.membership(handle_name, sub)
    partition = handle_key[keys.PK]
    foreign = [key for key in also if not keys.in_handle(handle_name, key[keys.PK])]
    if foreign:
        raise ValueError(f"prefetch keys outside {partition}: {len(foreign)}")
    found = read_keys([handle_key, member_key, *also[:PREFETCH_LIMIT]], consistent=consistent)
    handle_item, member_item = found[item_key(handle_key)], found[item_key(member_key)]
    return (
        HandleItem.from_item(handle_item).to_domain() if handle_item else None,
        MembershipItem.from_item(member_item).to_domain() if member_item else None,
    )


def get_handles(handle_names: list[str], also: Sequence[keys.Key] = ()) -> list[Handle]:
    """Several handles by name (at most 100) in one BatchGetItem with consistent reads.

    `also`: other keys the caller will read next, read in the same BatchGetItem (DynamoDB takes
    100 keys a call; more take more calls) and remembered in the request's read cache."""
    wanted = [keys.handle(name) for name in handle_names[:100]]
    found = read_keys([*wanted, *also])
    items = (found[item_key(key)] for key in wanted)
    return [HandleItem.from_item(item).to_domain() for item in items if item]


def memberships_of_user(sub: str) -> list[Membership]:
    """A user's memberships across handles (GSI1: GSI1PK=USER#sub)."""
    gsi = keys.memberships_of_user(sub)
    response = table().query(
        IndexName=keys.GSI1.name,
        KeyConditionExpression=KeyCondition(keys.GSI1.partition_key).eq(gsi["GSI1PK"]),
        Limit=_MEMBERSHIP_PAGE,
    )
    return [MembershipItem.from_item(item).to_domain() for item in response["Items"]]


def put_campaign(campaign: Campaign) -> None:
    """Register a campaign (PK=HANDLE#name, SK=CAMPAIGN#id) on an existing handle."""
    _put_child(
        keys.handle(campaign.handle),
        CampaignItem.from_domain(campaign).to_item(),
        missing=f"handle {campaign.handle} does not exist",
        exists=f"campaign {campaign.campaign_id} already exists",
    )


def get_campaign(handle_name: str, campaign_id: str) -> Campaign | None:
    """Get a handle's campaign by id."""
    item = get_item(keys.campaign(handle_name, campaign_id))
    return CampaignItem.from_item(item).to_domain() if item else None
