"""API response and request models: the contract's JSON shapes (camelCase), kept apart from
the domain and stored-item models. Inputs forbid unknown fields."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel

from tenx_email.models import Purpose, Sender, SenderStatus


class ApiModel(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, frozen=True)


class ApiInput(ApiModel):
    model_config = ConfigDict(extra="forbid")


class ErrorBody(ApiModel):
    error: str
    message: str
    request_id: str


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
    def from_sender(cls, sender: Sender) -> SenderOut:
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
