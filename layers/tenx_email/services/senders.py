"""Sender profiles: who a handle's email is from.

Rules: senderId is `sender_` + 1-64 of [A-Za-z0-9_-]; localPart is one of the allow-list;
the domain must be attached to the handle's account and its identity READY (enabling a
sender on a domain that is not READY is refused; disabling always works); displayName 1-100
characters without control characters or `"<>\\`; replyTo one plain address.
"""

from __future__ import annotations

from dataclasses import dataclass

from tenx_email import keys
from tenx_email.dal import domains as domain_store
from tenx_email.dal import senders as store
from tenx_email.errors import (
    AccountDomainNotFound,
    DomainEmailIdentityNotReady,
    InvalidHeaderValue,
    InvalidSenderId,
    SenderLocalPartNotAllowed,
)
from tenx_email.identity_models import IdentityStatus, Sender
from tenx_email.ids import EMAIL_ADDRESS, SENDER_ID
from tenx_email.models import HandleAccess, Purpose
from tenx_email.rendering import has_header_breakers
from tenx_email.services.domains import normalize_domain

ALLOWED_LOCAL_PARTS = ("noreply", "notifications", "calendar", "support", "hello")
MAX_DISPLAY_NAME = 100
# Besides line breaks and control characters: what would let a name close or quote the From.
DISPLAY_NAME_FORBIDDEN = '"<>\\'


@dataclass(frozen=True)
class SenderDraft:
    domain: str
    local_part: str
    display_name: str
    reply_to: str | None
    purposes: tuple[Purpose, ...]
    enabled: bool


def check_sender_id(sender_id: str) -> None:
    if not SENDER_ID.fullmatch(sender_id):
        raise InvalidSenderId("senderId must be sender_ followed by 1-64 letters, digits, _ or -")


def _check_draft(draft: SenderDraft) -> None:
    if draft.local_part not in ALLOWED_LOCAL_PARTS:
        raise SenderLocalPartNotAllowed(
            f"localPart must be one of {', '.join(ALLOWED_LOCAL_PARTS)}"
        )
    name = draft.display_name
    if has_header_breakers(name) or any(char in name for char in DISPLAY_NAME_FORBIDDEN):
        raise InvalidHeaderValue('displayName must not contain control characters or "<>\\')
    if not name.strip() or len(name) > MAX_DISPLAY_NAME:
        raise InvalidHeaderValue(f"displayName must be 1 to {MAX_DISPLAY_NAME} characters")
    if draft.reply_to is not None:
        if has_header_breakers(draft.reply_to):
            raise InvalidHeaderValue("replyTo must not contain line breaks or control characters")
        if not EMAIL_ADDRESS.fullmatch(draft.reply_to):
            raise InvalidHeaderValue(
                "replyTo must be a single email address like support@example.com"
            )


def put_sender(access: HandleAccess, sender_id: str, draft: SenderDraft) -> Sender:
    """Create or update a sender profile; repeating the same PUT changes nothing."""
    check_sender_id(sender_id)
    _check_draft(draft)
    domain = normalize_domain(draft.domain)
    identity = domain_store.get(access.handle.account_id, domain)
    if identity is None:
        raise AccountDomainNotFound(f"domain {domain} is not attached to this handle's account")
    if draft.enabled and identity.status is not IdentityStatus.READY:
        raise DomainEmailIdentityNotReady(
            f"the email identity of {domain} is {identity.status.value}; fix DNS and reconcile"
        )
    sender = Sender(
        handle=access.handle.handle,
        sender_id=sender_id,
        domain=domain,
        local_part=draft.local_part,
        display_name=draft.display_name,
        reply_to=draft.reply_to,
        purposes=tuple(dict.fromkeys(draft.purposes)),
        enabled=draft.enabled,
        identity_key=identity.identity_key,
        identity_status=identity.status,
    )
    store.put_sender(sender, store.get_sender(sender.handle, sender_id), access.handle.account_id)
    return sender


def prefetch(handle_name: str, sender_id: str) -> list[keys.Key]:
    """What put_sender reads under the handle (the sender it replaces, if any), for the access
    check to read along; nothing for an id put_sender refuses."""
    return [keys.sender(handle_name, sender_id)] if SENDER_ID.fullmatch(sender_id) else []


def list_senders(access: HandleAccess) -> list[Sender]:
    return store.list_senders(access.handle.handle)
