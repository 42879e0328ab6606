"""API shapes of sender profiles and of the domain identities they send from."""

from __future__ import annotations

from typing import Annotated, Self

from pydantic import Field, StrictBool, StringConstraints

from tenx_email.api.base import ApiInput, ApiModel
from tenx_email.models import DomainIdentity, IdentityStatus, Purpose, Sender, SenderStatus
from tenx_email.services.senders import SenderDraft


class SenderOut(ApiModel):
    sender_id: str
    domain: str
    local_part: str
    from_email: str
    display_name: str
    reply_to: str | None
    purposes: list[Purpose]
    enabled: bool
    status: SenderStatus
    identity_key: str

    @classmethod
    def from_sender(cls, sender: Sender) -> Self:
        return cls(
            sender_id=sender.sender_id,
            domain=sender.domain,
            local_part=sender.local_part,
            from_email=sender.from_email,
            display_name=sender.display_name,
            reply_to=sender.reply_to,
            purposes=list(sender.purposes),
            enabled=sender.enabled,
            status=sender.status,
            identity_key=sender.identity_key,
        )


class SenderListOut(ApiModel):
    senders: list[SenderOut]


class SenderEnvelope(ApiModel):
    sender: SenderOut


class SenderIn(ApiInput):
    domain: Annotated[str, StringConstraints(min_length=1, max_length=253)]
    local_part: Annotated[str, StringConstraints(min_length=1, max_length=64)]
    display_name: Annotated[str, StringConstraints(max_length=200)]
    reply_to: Annotated[str, StringConstraints(max_length=254)] | None = None
    purposes: Annotated[list[Purpose], Field(min_length=1, max_length=3)]
    enabled: StrictBool = True

    def draft(self) -> SenderDraft:
        return SenderDraft(
            domain=self.domain,
            local_part=self.local_part,
            display_name=self.display_name,
            reply_to=self.reply_to,
            purposes=tuple(self.purposes),
            enabled=self.enabled,
        )


# --- domains ---------------------------------------------------------------------------


class DnsRecordOut(ApiModel):
    type: str
    name: str
    value: str


class IdentityOut(ApiModel):
    identity_key: str
    region: str
    domain: str
    status: IdentityStatus
    status_reason: str | None
    required_dns_records: list[DnsRecordOut]
    mail_from_domain: str

    @classmethod
    def from_identity(cls, identity: DomainIdentity, *, all_records: bool = False) -> Self:
        """Once READY nothing more is asked of DNS (the contract's ready shape shows an empty
        list); `all_records` shows them anyway, as attaching does, to paste into DNS."""
        pending = all_records or identity.status is not IdentityStatus.READY
        return cls(
            identity_key=identity.identity_key,
            region=identity.region,
            domain=identity.domain,
            status=identity.status,
            status_reason=identity.status_reason,
            required_dns_records=[
                DnsRecordOut(type=record.type, name=record.name, value=record.value)
                for record in (identity.required_dns_records if pending else ())
            ],
            mail_from_domain=identity.mail_from_domain,
        )


class DomainSenderOut(SenderOut):
    handle: str

    @classmethod
    def from_sender(cls, sender: Sender) -> Self:
        return cls.model_validate(
            {**SenderOut.from_sender(sender).model_dump(), "handle": sender.handle}
        )


class IdentityEnvelope(ApiModel):
    identity: IdentityOut


class DomainIdentityOut(ApiModel):
    identity: IdentityOut
    sender_profiles: list[DomainSenderOut]
