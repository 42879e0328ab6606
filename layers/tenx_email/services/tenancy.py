"""Operators' management of accounts, handles, memberships and campaigns (the admin command
and the local seed go through here, never through raw table writes)."""

from __future__ import annotations

from datetime import timedelta

from tenx_email import clock, ids
from tenx_email.dal import tenancy as store
from tenx_email.errors import InvalidInput, NotFound
from tenx_email.models import Account, Campaign, Handle, HandleStatus, Membership, ShardEpoch
from tenx_email.roles import Role


def _require(pattern: str, value: str, what: str) -> None:
    if not ids.is_valid(pattern, value):
        raise InvalidInput(f"invalid {what}: {value!r}")


def _require_name(name: str, what: str) -> None:
    if not name.strip() or len(name) > 200:
        raise InvalidInput(f"{what} name must be 1 to 200 characters")


def create_account(account_id: str, name: str) -> Account:
    _require(ids.ACCOUNT_ID_PATTERN, account_id, "account id (acc_...)")
    _require_name(name, "account")
    account = Account(account_id=account_id, name=name.strip(), created_at=clock.now())
    store.put_account(account)
    return account


def create_handle(handle_name: str, account_id: str, *, sandbox: bool = True) -> Handle:
    """A new handle, in the sandbox unless told otherwise (services/sandbox.py)."""
    _require(ids.HANDLE_PATTERN, handle_name, "handle (lowercase letters, digits, '-')")
    handle = Handle(
        handle=handle_name,
        account_id=account_id,
        status=HandleStatus.ACTIVE,
        created_at=clock.now(),
        sandbox=sandbox,
    )
    store.put_handle(handle)
    return handle


def set_handle_status(handle_name: str, status: HandleStatus) -> Handle:
    return store.set_handle_status(handle_name, status)


def set_sandbox(handle_name: str, sandbox: bool) -> Handle:
    """Operators only (the admin command): lift a handle out of the sandbox, or put it back."""
    return store.set_sandbox(handle_name, sandbox)


# A new shard count applies to rule messages of events from this far ahead on: a trigger job
# that read the handle before the change then cannot meet an event the change applies to,
# unless clocks differ by more than this (Handle.shard_count_at). Direct sends and lists use
# the new count at once.
SHARD_CHANGE_LEAD = timedelta(minutes=5)


def set_message_shards(handle_name: str, count: int) -> Handle:
    """Operators only (the admin command): spread the handle's new messages over `count`
    shards (docs/operations.md). Counts only grow: a shard once used is read by every list."""
    if not 1 < count <= ids.MAX_MESSAGE_SHARDS:
        raise InvalidInput(f"message shards must be 2 to {ids.MAX_MESSAGE_SHARDS}, not {count}")
    handle = store.get_handle(handle_name)
    if handle is None:
        raise NotFound(f"handle {handle_name} does not exist")
    if count <= handle.shard_count:
        raise InvalidInput(
            f"message shards only grow: {handle_name} has {handle.shard_count} already"
        )
    epoch = ShardEpoch(since=clock.now() + SHARD_CHANGE_LEAD, count=count)
    changed = store.add_message_shards(handle_name, epoch)
    if changed is None:
        raise InvalidInput(f"the message shards of {handle_name} changed meanwhile: try again")
    return changed


def grant_membership(handle_name: str, sub: str, role: Role) -> Membership:
    _require(ids.USER_SUB_PATTERN, sub, "user sub")
    handle = store.get_handle(handle_name)
    if handle is None:
        raise NotFound(f"handle {handle_name} does not exist")
    membership = Membership(handle=handle_name, sub=sub, role=role, account_id=handle.account_id)
    store.put_membership(membership)
    return membership


def revoke_membership(handle_name: str, sub: str) -> bool:
    return store.delete_membership(handle_name, sub)


def register_campaign(handle_name: str, campaign_id: str, name: str) -> Campaign:
    _require(ids.CAMPAIGN_ID_PATTERN, campaign_id, "campaign id (cmp_...)")
    _require_name(name, "campaign")
    campaign = Campaign(
        handle=handle_name, campaign_id=campaign_id, name=name.strip(), created_at=clock.now()
    )
    store.put_campaign(campaign)
    return campaign
