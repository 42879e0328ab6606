"""API shapes of sender profiles, on their own and as a domain identity lists them."""

from __future__ import annotations

from typing import Annotated, Self

from pydantic import Field, StrictBool, StringConstraints

from tenx_email.api.base import ApiInput, ApiModel, checked_by_service, one_line_pattern
from tenx_email.api.domains import IdentityOut
from tenx_email.identity_models import Sender, SenderStatus
from tenx_email.ids import EMAIL_ADDRESS_FORM
from tenx_email.models import Purpose
from tenx_email.services.domains import DOMAIN_FORM
from tenx_email.services.senders import (
    ALLOWED_LOCAL_PARTS,
    DISPLAY_NAME_FORBIDDEN,
    MAX_DISPLAY_NAME,
    SenderDraft,
)


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
    # The service checks localPart, displayName and replyTo (each with the contract's code)
    # and the domain (leniently: trimmed and lowercased first); the document states them.
    domain: Annotated[
        str,
        StringConstraints(min_length=1, max_length=253),
        checked_by_service(**DOMAIN_FORM),
    ]
    local_part: Annotated[
        str,
        StringConstraints(min_length=1, max_length=64),
        checked_by_service(enum=list(ALLOWED_LOCAL_PARTS)),
    ]
    display_name: Annotated[
        str,
        StringConstraints(max_length=200),
        checked_by_service(
            pattern=one_line_pattern(DISPLAY_NAME_FORBIDDEN), maxLength=MAX_DISPLAY_NAME
        ),
    ]
    reply_to: (
        Annotated[
            str,
            StringConstraints(max_length=254),
            checked_by_service(**EMAIL_ADDRESS_FORM),
        ]
        | None
    ) = None
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
