"""Sender profiles in the single table.

Each sender item (PK=HANDLE#name, SK=SENDER#id) has a snapshot on its domain's owner item
(PK=DOMAIN#d, SK=OWNER, map `senders`, keyed `<handle>#<senderId>`), written in the same
transaction as every change to the sender item, so the domain's identity view reads its
senders with the owner item it already reads. Owner items written before the map existed
have none: their senders are found through GSI1 (DOMAIN#d) and only the sender item is
written."""

from __future__ import annotations

from typing import Any

from boto3.dynamodb.conditions import Key as KeyCondition

from tenx_email import keys
from tenx_email.dal import domains as domain_store
from tenx_email.dal.identity_items import DomainOwnerItem, DomainSenderEntry, SenderItem
from tenx_email.dal.queries import get_item
from tenx_email.dal.table import table, transact
from tenx_email.errors import AccountDomainNotFound, InvalidInput, VersionConflict
from tenx_email.identity_models import IdentityStatus, Sender

# A handle's sender profiles are few (local parts are an allow-list of five per domain);
# one page covers them all.
MAX_SENDERS_PER_HANDLE = 100
# The most sender profiles one domain takes: its owner item holds a snapshot of each, and at
# this many worst-case entries it stays far below DynamoDB's 400 KB item limit
# (tests/unit/test_domain_sender_snapshot.py). A new sender beyond it is refused.
MAX_SENDERS_PER_DOMAIN = 200
# The GSI1 read of a domain's senders (reconcile; the identity view of an owner item without a
# snapshot, on which the cap above was never enforced): one page.
_DOMAIN_PAGE = 500
# Tries of a sender write that met a concurrent change before answering version_conflict.
_ATTEMPTS = 4
_FAILED = "ConditionalCheckFailed"


def list_senders(handle_name: str) -> list[Sender]:
    """A handle's sender profiles (PK=HANDLE#name, SK begins_with SENDER#)."""
    response = table().query(
        KeyConditionExpression=KeyCondition(keys.PK).eq(keys.handle(handle_name)["PK"])
        & KeyCondition(keys.SK).begins_with(keys.SENDER_PREFIX),
        Limit=MAX_SENDERS_PER_HANDLE,
    )
    return [SenderItem.from_item(item).to_domain() for item in response["Items"]]


def get_sender(handle_name: str, sender_id: str, *, consistent: bool = False) -> Sender | None:
    """A handle's sender profile by id (PK=HANDLE#name, SK=SENDER#id)."""
    item = get_item(keys.sender(handle_name, sender_id), consistent=consistent)
    return SenderItem.from_item(item).to_domain() if item else None


def senders_of_domain(domain: str) -> list[Sender]:
    """The sender profiles using a domain, across handles (GSI1: GSI1PK=DOMAIN#d)."""
    gsi = keys.senders_of_domain(domain)
    response = table().query(
        IndexName=keys.GSI1.name,
        KeyConditionExpression=KeyCondition(keys.GSI1.partition_key).eq(gsi["GSI1PK"])
        & KeyCondition(keys.GSI1.sort_key).begins_with(gsi["GSI1SK"]),
        Limit=_DOMAIN_PAGE,
    )
    return [SenderItem.from_item(item).to_domain() for item in response["Items"]]


def snapshot_of_domain(owner: DomainOwnerItem) -> list[Sender] | None:
    """The senders using a domain from its owner item's snapshot, in GSI1's order (handle,
    then senderId); None when the owner item has no snapshot (written before it existed)."""
    if owner.senders is None:
        return None
    return [owner.senders[name].to_domain(owner.domain) for name in sorted(owner.senders)]


def _entry_name(sender: Sender) -> dict[str, str]:
    return {"#entry": DomainSenderEntry.key(sender.handle, sender.sender_id)}


def _sender_put(sender: Sender, previous: Sender | None) -> dict[str, Any]:
    # Only over the sender item we read: whose domain's snapshot we are about to leave.
    if previous is None:
        condition: dict[str, Any] = {"ConditionExpression": "attribute_not_exists(PK)"}
    else:
        condition = {
            "ConditionExpression": "#domain = :previous",
            "ExpressionAttributeNames": {"#domain": "domain"},
            "ExpressionAttributeValues": {":previous": previous.domain},
        }
    return {
        "Put": {
            "TableName": table().name,
            "Item": SenderItem.from_domain(sender).to_item(),
            **condition,
        }
    }


def _snapshot_set(sender: Sender, account_id: str, *, snapshot: bool) -> dict[str, Any]:
    """The owner item of the sender's domain names its account, and (with `snapshot`) takes
    the sender's entry: a new entry only while the map holds fewer than the cap."""
    if not snapshot:
        return {
            "ConditionCheck": {
                "TableName": table().name,
                "Key": keys.domain_owner(sender.domain),
                "ConditionExpression": "accountId = :account",
                "ExpressionAttributeValues": {":account": account_id},
            }
        }
    return {
        "Update": {
            "TableName": table().name,
            "Key": keys.domain_owner(sender.domain),
            "UpdateExpression": "SET senders.#entry = :entry",
            "ConditionExpression": (
                "accountId = :account AND attribute_exists(senders) AND "
                "(attribute_exists(senders.#entry) OR size(senders) < :cap)"
            ),
            "ExpressionAttributeNames": _entry_name(sender),
            "ExpressionAttributeValues": {
                ":entry": DomainSenderEntry.from_domain(sender).to_attribute(),
                ":account": account_id,
                ":cap": MAX_SENDERS_PER_DOMAIN,
            },
        }
    }


def _snapshot_remove(previous: Sender) -> dict[str, Any]:
    return {
        "Update": {
            "TableName": table().name,
            "Key": keys.domain_owner(previous.domain),
            "UpdateExpression": "REMOVE senders.#entry",
            "ConditionExpression": "attribute_exists(senders)",
            "ExpressionAttributeNames": _entry_name(previous),
        }
    }


def put_sender(sender: Sender, previous: Sender | None, account_id: str) -> None:
    """Create or replace a sender profile (PK=HANDLE#name, SK=SENDER#id) and its entry on its
    domain's owner item (PK=DOMAIN#d, SK=OWNER, `senders.<handle>#<senderId>`), which must
    name `account_id`, in one transaction; a sender moved from another domain leaves that
    domain's snapshot in it too. `previous`: the sender item as read before (None: none).

    Refuses a domain not (or no longer) attached to the account (account_domain_not_found)
    and a new sender on a domain that has MAX_SENDERS_PER_DOMAIN (invalid_request). Another
    write to the same sender in between is met by reading it again and retrying."""
    snapshot_new = snapshot_old = True
    for _ in range(_ATTEMPTS):
        moved = previous is not None and previous.domain != sender.domain
        items = [
            _sender_put(sender, previous),
            _snapshot_set(sender, account_id, snapshot=snapshot_new),
        ]
        if previous is not None and moved and snapshot_old:
            items.append(_snapshot_remove(previous))
        reasons = transact(items)
        if not reasons:
            return
        if reasons[0] == _FAILED:
            previous = get_sender(sender.handle, sender.sender_id, consistent=True)
        if reasons[1] == _FAILED:
            snapshot_new = _diagnose_new(sender, account_id) and snapshot_new
        if len(reasons) > 2 and reasons[2] == _FAILED and previous is not None:
            owner = domain_store.get_owner(previous.domain, consistent=True)
            snapshot_old = owner is not None and owner.senders is not None
    raise VersionConflict("the sender profile was changed concurrently; retry")


def _diagnose_new(sender: Sender, account_id: str) -> bool:
    """Why the owner item refused the sender's entry: raises for the caller's errors; else
    whether the owner item has a snapshot to write to."""
    owner = domain_store.get_owner(sender.domain, consistent=True)
    if owner is None or owner.account_id != account_id:
        raise AccountDomainNotFound(
            f"domain {sender.domain} is not attached to this handle's account"
        )
    if owner.senders is None:
        return False
    name = DomainSenderEntry.key(sender.handle, sender.sender_id)
    if name not in owner.senders and len(owner.senders) >= MAX_SENDERS_PER_DOMAIN:
        raise InvalidInput(
            f"domain {sender.domain} has {MAX_SENDERS_PER_DOMAIN} sender profiles, the most one"
            " domain takes; remove one of them from the domain or use another domain"
        )
    return True


def set_identity_status(sender: Sender, status: IdentityStatus) -> None:
    """Copy a reconciled identity status onto a sender that still uses the domain, and onto
    its entry in the domain's snapshot, in one transaction (only the sender item when the
    owner item has no snapshot)."""
    update: dict[str, Any] = {
        "TableName": table().name,
        "Key": keys.sender(sender.handle, sender.sender_id),
        "UpdateExpression": "SET identityStatus = :status",
        "ConditionExpression": "attribute_exists(PK) AND #domain = :domain",
        "ExpressionAttributeNames": {"#domain": "domain"},
        "ExpressionAttributeValues": {":status": status.value, ":domain": sender.domain},
    }
    snapshot = {
        "TableName": table().name,
        "Key": keys.domain_owner(sender.domain),
        "UpdateExpression": "SET senders.#entry.identityStatus = :status",
        "ConditionExpression": "attribute_exists(senders.#entry)",
        "ExpressionAttributeNames": _entry_name(sender),
        "ExpressionAttributeValues": {":status": status.value},
    }
    reasons = transact([{"Update": update}, {"Update": snapshot}])
    if not reasons or reasons[0] == _FAILED:
        return  # done; or deleted or moved to another domain since we listed it
    if reasons[1] == _FAILED:
        # No entry while the sender item is on the domain: an owner item without a snapshot.
        try:
            table().update_item(
                **{name: value for name, value in update.items() if name != "TableName"}
            )
        except table().meta.client.exceptions.ConditionalCheckFailedException:
            pass  # deleted or moved to another domain meanwhile: nothing to copy
