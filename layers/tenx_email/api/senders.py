"""API shapes of sender profiles, on their own and as a domain identity lists them."""

from __future__ import annotations

from typing import Annotated, Self

from pydantic import Field, StrictBool, StringConstraints

from tenx_email.api.base import ApiInput, ApiModel
from tenx_email.api.domains import IdentityOut
from tenx_email.models import Purpose, Sender, SenderStatus
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


class DomainSenderOut(SenderOut):
    handle: str

    @classmethod
    def from_sender(cls, sender: Sender) -> Self:
        return cls.model_validate(
            {**SenderOut.from_sender(sender).model_dump(), "handle": sender.handle}
        )


class DomainIdentityOut(ApiModel):
    identity: IdentityOut
    sender_profiles: list[DomainSenderOut]
