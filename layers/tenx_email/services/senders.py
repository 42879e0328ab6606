"""Sender profiles."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict

from tenx_email.dal import domains as domain_store
from tenx_email.dal import senders as store
from tenx_email.models import HandleAccess, IdentityStatus, Sender


class SenderStatus(StrEnum):
    READY = "READY"
    NOT_READY = "NOT_READY"


class SenderProfile(BaseModel):
    """A sender with its derived status: READY only while it is enabled and its domain
    identity is READY."""

    model_config = ConfigDict(frozen=True)
    sender: Sender
    status: SenderStatus


def list_senders(access: HandleAccess) -> list[SenderProfile]:
    senders = store.list_senders(access.handle.handle)
    ready_domains = {
        domain
        for domain in {sender.domain for sender in senders}
        if (identity := domain_store.get(access.handle.account_id, domain)) is not None
        and identity.status is IdentityStatus.READY
    }
    return [
        SenderProfile(
            sender=sender,
            status=SenderStatus.READY
            if sender.enabled and sender.domain in ready_domains
            else SenderStatus.NOT_READY,
        )
        for sender in senders
    ]
