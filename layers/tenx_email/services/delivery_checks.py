"""Delivery's last word before SES: what the send route checked may have changed since the
message was queued (services/delivery.py calls `recheck`, then renders with `content`)."""

from __future__ import annotations

from tenx_email.dal import delivery_reads as reads
from tenx_email.errors import DomainError
from tenx_email.identity_models import IdentityStatus, SenderStatus
from tenx_email.message_models import Message, MessageStatus
from tenx_email.models import HandleStatus
from tenx_email.rendering import has_header_breakers
from tenx_email.services import outgoing
from tenx_email.template_models import TemplateVersion


class Held(Exception):
    """The handle's sending is paused: the message waits, its recipients QUEUED, until an
    operator resumes it (services/sending_pause.py)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class Unsendable(Exception):
    """The message cannot be sent: every pending recipient gets `status` with `reason`."""

    def __init__(self, status: MessageStatus, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


def recheck(message: Message, found: reads.Recheck) -> TemplateVersion:
    """What the send route checked may have changed since: refuse with DENIED if it did;
    else return the template version to render."""
    denied = MessageStatus.DENIED
    handle, sender, identity = found.handle, found.sender, found.identity
    if handle is None or handle.status is not HandleStatus.ACTIVE:
        raise Unsendable(denied, "handle_inactive")
    if handle.sending_paused is not None:
        raise Held(f"handle_sending_paused: {handle.sending_paused.reason}")
    if sender is None:
        raise Unsendable(denied, "sender_profile_not_found")
    # The identity SES will send from is the From address's domain, captured at queueing.
    if message.from_domain != sender.domain:
        raise Unsendable(denied, "sender_profile_changed")
    if identity is None or identity.status is not IdentityStatus.READY:
        raise Unsendable(denied, "domain_email_identity_not_ready")
    if sender.status is not SenderStatus.READY:
        raise Unsendable(denied, "sender_profile_not_ready")
    if message.purpose not in sender.purposes:
        raise Unsendable(denied, "sender_purpose_not_allowed")
    if found.version is None:
        raise Unsendable(denied, "email_template_version_not_found")
    return found.version


def content(message: Message, version: TemplateVersion) -> outgoing.Content:
    headers = (message.subject, message.from_name, message.from_address, message.reply_to or "")
    if any(has_header_breakers(value) for value in headers):
        raise Unsendable(MessageStatus.FAILED, "unsafe_header")
    try:
        # The subject was rendered when the message was accepted; the bodies are rendered now
        # from the same immutable version and values.
        return outgoing.render_content(message, version)
    except DomainError as error:
        raise Unsendable(MessageStatus.FAILED, f"rendering_failed: {error.code}") from None
