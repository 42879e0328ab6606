"""Domain models: what the services work with, independent of storage and of the HTTP shapes."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict

from tenx_email.roles import Role


class _Domain(BaseModel):
    model_config = ConfigDict(frozen=True)


class HandleStatus(StrEnum):
    ACTIVE = "ACTIVE"
    INACTIVE = "INACTIVE"


class Account(_Domain):
    account_id: str
    name: str
    created_at: datetime


class Handle(_Domain):
    handle: str
    account_id: str
    status: HandleStatus
    created_at: datetime


class Membership(_Domain):
    handle: str
    sub: str
    role: Role
    account_id: str


class Campaign(_Domain):
    handle: str
    campaign_id: str
    name: str
    created_at: datetime


class Purpose(StrEnum):
    TRANSACTIONAL_API = "TRANSACTIONAL_API"
    PRODUCT_NOTIFICATION = "PRODUCT_NOTIFICATION"
    LEAD_VERIFICATION = "LEAD_VERIFICATION"


class IdentityStatus(StrEnum):
    PENDING = "PENDING"
    READY = "READY"
    FAILED = "FAILED"


class DnsRecord(_Domain):
    type: str
    name: str
    value: str


class DomainIdentity(_Domain):
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


class Sender(_Domain):
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


class Caller(_Domain):
    """The authenticated user, as the authorizer vouched for them."""

    sub: str
    token_expires_at: int


class HandleAccess(_Domain):
    """A caller's checked access to one handle."""

    caller: Caller
    handle: Handle
    role: Role


class TemplateStatus(StrEnum):
    ACTIVE = "ACTIVE"
    PAUSED = "PAUSED"


class TemplateContent(_Domain):
    """What a version freezes: the subject and bodies, exactly as authored."""

    subject: str
    html: str | None
    text: str | None


class TemplateVersion(_Domain):
    handle: str
    template_id: str
    version: int
    content: TemplateContent
    created_at: datetime


class Template(_Domain):
    handle: str
    template_id: str
    name: str
    status: TemplateStatus
    active_version: int
    latest_version: int
    created_at: datetime
    updated_at: datetime
