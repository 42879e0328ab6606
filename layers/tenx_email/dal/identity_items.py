"""Stored items of sending domains and senders: a domain identity (under its account), who
owns a domain, and a sender profile with the copy its domain keeps of it."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from tenx_email import keys
from tenx_email.dal.items import StoredItem
from tenx_email.identity_models import DnsRecord, DomainIdentity, IdentityStatus, Sender
from tenx_email.models import Purpose


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
    required_dns_records: list[DnsRecordItem] = Field(default_factory=list)
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
