"""Domain models of sending domains and senders: a domain identity with the DNS records it
needs, and a sender profile on one of its domains."""

from __future__ import annotations

from enum import StrEnum

from tenx_email.models import DomainModel, Purpose


class IdentityStatus(StrEnum):
    PENDING = "PENDING"
    READY = "READY"
    FAILED = "FAILED"


class DnsRecord(DomainModel):
    type: str
    name: str
    value: str


class DomainIdentity(DomainModel):
    account_id: str
    domain: str
    region: str
    status: IdentityStatus
    required_dns_records: tuple[DnsRecord, ...] = ()
    mail_from_domain: str
    status_reason: str | None = None

    @property
    def identity_key(self) -> str:
        return f"{self.region}#{self.domain}"


class SenderStatus(StrEnum):
    READY = "READY"
    NOT_READY = "NOT_READY"


class Sender(DomainModel):
    handle: str
    sender_id: str
    domain: str
    local_part: str
    display_name: str
    reply_to: str | None
    purposes: tuple[Purpose, ...]
    enabled: bool
    identity_key: str
    # Copied from the domain identity (and kept current by reconcile), so reading a sender's
    # readiness costs no second read.
    identity_status: IdentityStatus

    @property
    def status(self) -> SenderStatus:
        """READY only while the sender is enabled and its domain identity is READY."""
        ready = self.enabled and self.identity_status is IdentityStatus.READY
        return SenderStatus.READY if ready else SenderStatus.NOT_READY

    @property
    def from_email(self) -> str:
        return f"{self.local_part}@{self.domain}"
