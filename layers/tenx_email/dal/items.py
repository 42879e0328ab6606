"""Stored-item models: the exact attributes written to the table, and the mapping to and from
the domain models. Attribute names are camelCase; keys are PK/SK/GSI*. This module holds the
shared base and the items of tenancy and sending set-up (accounts, handles, memberships,
campaigns, domains, senders, templates); messages and what hangs off them are in
message_items.py, campaign rules and their runs in campaign_items.py."""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar, Self

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from tenx_email import keys
from tenx_email.models import (
    Account,
    Campaign,
    DnsRecord,
    DomainIdentity,
    Handle,
    HandleStatus,
    IdentityStatus,
    Membership,
    Purpose,
    Sender,
    SendingPause,
    ShardEpoch,
    Template,
    TemplateContent,
    TemplateStatus,
    TemplateVersion,
)
from tenx_email.roles import Role


class StoredItem(BaseModel):
    # defer_build: built when first used (see models._Domain).
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


class DnsRecordItem(BaseModel):
    model_config = ConfigDict(defer_build=True)
    type: str
    name: str
    value: str


class DomainIdentityItem(StoredItem):
    entity_type = "ACCOUNT_DOMAIN"
    account_id: str
    domain: str
    region: str
    status: IdentityStatus
    required_dns_records: list[DnsRecordItem] = []
    mail_from_domain: str
    status_reason: str | None = None

    @classmethod
    def from_domain(cls, identity: DomainIdentity) -> DomainIdentityItem:
        return cls(
            **keys.account_domain(identity.account_id, identity.domain),
            **identity.model_dump(exclude={"required_dns_records"}),
            required_dns_records=[
                DnsRecordItem(**record.model_dump()) for record in identity.required_dns_records
            ],
        )

    def to_domain(self) -> DomainIdentity:
        return DomainIdentity(
            **self.model_dump(exclude={"pk", "sk", "required_dns_records"}),
            required_dns_records=tuple(
                DnsRecord(**record.model_dump()) for record in self.required_dns_records
            ),
        )


class _SenderFields(BaseModel):
    """A sender profile's stored attributes but its domain (the item's and the snapshot's)."""

    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=True, extra="ignore", defer_build=True
    )
    handle: str
    sender_id: str
    local_part: str
    display_name: str
    reply_to: str | None = None
    purposes: list[Purpose]
    enabled: bool
    identity_key: str
    identity_status: IdentityStatus


class DomainSenderEntry(_SenderFields):
    """One sender profile using a domain, as the domain's OWNER item keeps it (its `senders`
    map, keyed by `DomainSenderEntry.key`): what the domain's identity view shows of it.
    Written in the same transaction as the sender item on every change to that item."""

    @staticmethod
    def key(handle_name: str, sender_id: str) -> str:
        return f"{handle_name}#{sender_id}"

    @classmethod
    def from_domain(cls, sender: Sender) -> DomainSenderEntry:
        return cls(
            **sender.model_dump(exclude={"domain", "purposes"}), purposes=list(sender.purposes)
        )

    def to_attribute(self) -> dict[str, Any]:
        return self.model_dump(mode="json", by_alias=True, exclude_none=True)

    def to_domain(self, domain: str) -> Sender:
        return Sender(
            **self.model_dump(exclude={"purposes"}), domain=domain, purposes=tuple(self.purposes)
        )


class DomainOwnerItem(StoredItem):
    """Which account a domain is attached to, and (`senders`) a snapshot of every sender
    profile using it. `senders` is absent on OWNER items written before it existed: their
    senders are then found through GSI1 (DOMAIN#d) instead."""

    entity_type = "DOMAIN_OWNER"
    domain: str
    account_id: str
    senders: dict[str, DomainSenderEntry] | None = None


class SenderItem(StoredItem, _SenderFields):
    entity_type = "SENDER"
    gsi1pk: str = Field(alias="GSI1PK")
    gsi1sk: str = Field(alias="GSI1SK")
    domain: str

    @classmethod
    def from_domain(cls, sender: Sender) -> SenderItem:
        gsi = keys.senders_of_domain(sender.domain, sender.handle, sender.sender_id)
        return cls(
            **keys.sender(sender.handle, sender.sender_id),
            GSI1PK=gsi["GSI1PK"],
            GSI1SK=gsi["GSI1SK"],
            **sender.model_dump(exclude={"purposes"}),
            purposes=list(sender.purposes),
        )

    def to_domain(self) -> Sender:
        return Sender(
            **self.model_dump(exclude={"pk", "sk", "gsi1pk", "gsi1sk", "purposes"}),
            purposes=tuple(self.purposes),
        )


class TemplateItem(StoredItem):
    entity_type = "TEMPLATE"
    handle: str
    template_id: str
    name: str
    status: TemplateStatus
    active_version: int
    latest_version: int
    active_subject: str
    active_variables: list[str]
    created_at: datetime
    updated_at: datetime

    @classmethod
    def from_domain(cls, template: Template) -> TemplateItem:
        return cls(
            **keys.template(template.handle, template.template_id),
            **template.model_dump(exclude={"active_variables"}),
            active_variables=list(template.active_variables),
        )

    def to_domain(self) -> Template:
        return Template(
            **self.model_dump(exclude={"pk", "sk", "active_variables"}),
            active_variables=tuple(self.active_variables),
        )


class TemplateVersionItem(StoredItem):
    entity_type = "TEMPLATE_VERSION"
    handle: str
    template_id: str
    version: int
    subject: str
    html: str | None = None
    text: str | None = None
    created_at: datetime

    @classmethod
    def from_domain(cls, version: TemplateVersion) -> TemplateVersionItem:
        return cls(
            **keys.template_version(version.handle, version.template_id, version.version),
            **version.model_dump(exclude={"content"}),
            **version.content.model_dump(),
        )

    def to_domain(self) -> TemplateVersion:
        return TemplateVersion(
            handle=self.handle,
            template_id=self.template_id,
            version=self.version,
            content=TemplateContent(subject=self.subject, html=self.html, text=self.text),
            created_at=self.created_at,
        )
