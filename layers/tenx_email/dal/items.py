"""Stored-item models: the exact attributes written to the table, and the mapping to and from
the domain models. Attribute names are camelCase; keys are PK/SK/GSI*. This module holds the
shared base and the items of tenancy (accounts, handles, memberships, campaigns); each
capability's items are in their own module (identity_items.py for domains and senders,
template_items.py, message_items.py, campaign_items.py and the others), so a function loads
only the ones it uses."""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar, Self

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from tenx_email import keys
from tenx_email.models import (
    Account,
    Campaign,
    Handle,
    HandleStatus,
    Membership,
    SendingPause,
    ShardEpoch,
)
from tenx_email.roles import Role


class StoredItem(BaseModel):
    # defer_build: built when first used (see models.DomainModel).
    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=True, extra="ignore", defer_build=True
    )
    entity_type: ClassVar[str]

    pk: str = Field(alias="PK")
    sk: str = Field(alias="SK")

    def to_item(self) -> dict[str, Any]:
        return {
            "entity": self.entity_type,
            **self.model_dump(mode="json", by_alias=True, exclude_none=True),
        }

    @classmethod
    def from_item(cls, item: dict[str, Any]) -> Self:
        return cls.model_validate(item)


class AccountItem(StoredItem):
    entity_type = "ACCOUNT"
    account_id: str
    name: str
    created_at: datetime

    @classmethod
    def from_domain(cls, account: Account) -> AccountItem:
        return cls(**keys.account(account.account_id), **account.model_dump())

    def to_domain(self) -> Account:
        return Account(account_id=self.account_id, name=self.name, created_at=self.created_at)


class ShardEpochEntry(BaseModel):
    """A handle item's record of one change of its message shards."""

    model_config = ConfigDict(extra="ignore", defer_build=True)
    since: datetime
    count: int


class PauseEntry(BaseModel):
    """A handle item's record of why and since when its sending is paused."""

    model_config = ConfigDict(extra="ignore", defer_build=True)
    reason: str
    since: datetime


class HandleItem(StoredItem):
    entity_type = "HANDLE"
    handle: str
    account_id: str
    status: HandleStatus
    created_at: datetime
    sandbox: bool = False
    message_shards: list[ShardEpochEntry] = []
    sending_paused: PauseEntry | None = None
    ses_tenant: str | None = None

    @classmethod
    def from_domain(cls, handle: Handle) -> HandleItem:
        return cls(**keys.handle(handle.handle), **handle.model_dump())

    def to_domain(self) -> Handle:
        return Handle(
            handle=self.handle,
            account_id=self.account_id,
            status=self.status,
            created_at=self.created_at,
            sandbox=self.sandbox,
            message_shards=tuple(
                ShardEpoch(since=epoch.since, count=epoch.count) for epoch in self.message_shards
            ),
            sending_paused=SendingPause(
                reason=self.sending_paused.reason, since=self.sending_paused.since
            )
            if self.sending_paused
            else None,
            ses_tenant=self.ses_tenant,
        )


class MembershipItem(StoredItem):
    entity_type = "MEMBERSHIP"
    gsi1pk: str = Field(alias="GSI1PK")
    gsi1sk: str = Field(alias="GSI1SK")
    handle: str
    sub: str
    role: Role
    account_id: str

    @classmethod
    def from_domain(cls, membership: Membership) -> MembershipItem:
        gsi = keys.memberships_of_user(membership.sub, membership.handle)
        return cls(
            **keys.membership(membership.handle, membership.sub),
            GSI1PK=gsi["GSI1PK"],
            GSI1SK=gsi["GSI1SK"],
            **membership.model_dump(),
        )

    def to_domain(self) -> Membership:
        return Membership(
            handle=self.handle, sub=self.sub, role=self.role, account_id=self.account_id
        )


class CampaignItem(StoredItem):
    entity_type = "CAMPAIGN"
    handle: str
    campaign_id: str
    name: str
    created_at: datetime
    # Changed only by the sequence writes' transactions (dal/campaign_counts.py); absent on
    # campaigns stored before sequences, which have none.
    sequence_count: int = 0

    @classmethod
    def from_domain(cls, campaign: Campaign) -> CampaignItem:
        return cls(**keys.campaign(campaign.handle, campaign.campaign_id), **campaign.model_dump())

    def to_domain(self) -> Campaign:
        return Campaign(
            handle=self.handle,
            campaign_id=self.campaign_id,
            name=self.name,
            created_at=self.created_at,
            sequence_count=self.sequence_count,
        )
