"""Domain models of tenancy and access: accounts, handles, memberships, campaigns, the caller
and their checked access, and the purposes mail is sent for. What the services work with,
independent of storage and of the HTTP shapes; each capability's own models are in their own
module (identity_models, template_models, message_models, sending_models, campaign_models),
so a function loads only the ones it uses."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict

from tenx_email.roles import Role


class DomainModel(BaseModel):
    # defer_build: a model's validator is built when first used, not at import. A function
    # uses a few of the models (here, in the other *_models modules and in dal/*items.py);
    # building them all cost every cold start ~15 ms (~50 M instructions).
    model_config = ConfigDict(frozen=True, defer_build=True)


class HandleStatus(StrEnum):
    ACTIVE = "ACTIVE"
    INACTIVE = "INACTIVE"


class Account(DomainModel):
    account_id: str
    name: str
    created_at: datetime


class ShardEpoch(DomainModel):
    """From `since` on, a handle's new messages are spread over `count` shards."""

    since: datetime
    count: int


class SendingPause(DomainModel):
    """Why a handle's sending stopped (the reputation guard, or an operator), and since when:
    new sends are refused and queued mail is held until an operator resumes it."""

    reason: str
    since: datetime


class Handle(DomainModel):
    handle: str
    account_id: str
    status: HandleStatus
    created_at: datetime
    # In the sandbox (as a new handle starts): mail only to its account's READY domains, the
    # SES mailbox simulator, or in test mode, within a low daily limit (services/sandbox.py).
    # Handles stored before the sandbox existed have no flag: not in it.
    sandbox: bool = False
    # How many message shards the handle has had, oldest first (none: one shard). Counts only
    # grow, so the last is the most a list must read.
    message_shards: tuple[ShardEpoch, ...] = ()
    sending_paused: SendingPause | None = None
    # The SES tenant its mail is sent through (services/ses_tenants.py); None until created.
    ses_tenant: str | None = None

    @property
    def shard_count(self) -> int:
        """The shards a list reads and a direct send picks from."""
        return self.message_shards[-1].count if self.message_shards else 1

    def shard_count_at(self, moment: datetime) -> int:
        """The shards of messages made for events of `moment`: a rule message's id is made
        again by a retried job, so its shard must not depend on when the job runs."""
        counts = [epoch.count for epoch in self.message_shards if epoch.since <= moment]
        return counts[-1] if counts else 1


class Membership(DomainModel):
    handle: str
    sub: str
    role: Role
    account_id: str


class Campaign(DomainModel):
    handle: str
    campaign_id: str
    name: str
    created_at: datetime
    # Its live sequences, counted with each create and delete (the step engine skips the
    # sequence Query of a campaign that has none).
    sequence_count: int = 0


class Purpose(StrEnum):
    TRANSACTIONAL_API = "TRANSACTIONAL_API"
    PRODUCT_NOTIFICATION = "PRODUCT_NOTIFICATION"
    LEAD_VERIFICATION = "LEAD_VERIFICATION"


class Caller(DomainModel):
    """The authenticated user, as the authorizer vouched for them."""

    sub: str
    token_expires_at: int


class HandleAccess(DomainModel):
    """A caller's checked access to one handle."""

    caller: Caller
    handle: Handle
    role: Role
