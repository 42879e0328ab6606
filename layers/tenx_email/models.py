"""Domain models: what the services work with, independent of storage and of the HTTP shapes."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict

from tenx_email.roles import Role

if TYPE_CHECKING:
    from tenx_email.campaign_models import RuleRun


class _Domain(BaseModel):
    # defer_build: a model's validator is built when first used, not at import. A function
    # uses a few of the models (here and in dal/*items.py); building them all cost every cold
    # start ~15 ms (~50 M instructions).
    model_config = ConfigDict(frozen=True, defer_build=True)


class HandleStatus(StrEnum):
    ACTIVE = "ACTIVE"
    INACTIVE = "INACTIVE"


class Account(_Domain):
    account_id: str
    name: str
    created_at: datetime


class ShardEpoch(_Domain):
    """From `since` on, a handle's new messages are spread over `count` shards."""

    since: datetime
    count: int


class SendingPause(_Domain):
    """Why a handle's sending stopped (the reputation guard, or an operator), and since when:
    new sends are refused and queued mail is held until an operator resumes it."""

    reason: str
    since: datetime


class Hold(_Domain):
    """A queued message delivery set aside instead of sending (its recipients stay QUEUED)."""

    reason: str
    since: datetime


class Handle(_Domain):
    handle: str
    account_id: str
    status: HandleStatus
    created_at: datetime
    # In the sandbox (as a new handle starts): mail only to its account's READY domains, the
    # SES mailbox simulator, or in test mode, within a low daily limit (services/sandbox.py).
    # Handles stored before the sandbox existed have no flag: not in it.
    sandbox: bool = False
    # How many message shards the handle has had, oldest first (none: one shard). Counts only
    # grow, so the last is the most a list must read.
    message_shards: tuple[ShardEpoch, ...] = ()
    sending_paused: SendingPause | None = None
    # The SES tenant its mail is sent through (services/ses_tenants.py); None until created.
    ses_tenant: str | None = None

    @property
    def shard_count(self) -> int:
        """The shards a list reads and a direct send picks from."""
        return self.message_shards[-1].count if self.message_shards else 1

    def shard_count_at(self, moment: datetime) -> int:
        """The shards of messages made for events of `moment`: a rule message's id is made
        again by a retried job, so its shard must not depend on when the job runs."""
        counts = [epoch.count for epoch in self.message_shards if epoch.since <= moment]
        return counts[-1] if counts else 1


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
    # Its live sequences, counted with each create and delete (the step engine skips the
    # sequence Query of a campaign that has none).
    sequence_count: int = 0


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
    # Copied from the active version, so a send reads one item to render its subject and
    # to know which variables the template needs.
    active_subject: str
    active_variables: tuple[str, ...]
    created_at: datetime
    updated_at: datetime


class MessageStatus(StrEnum):
    """A message's status only moves forward, to a higher rank (see `rank`)."""

    QUEUED = "QUEUED"
    SENDING = "SENDING"
    SENT = "SENT"
    DENIED = "DENIED"
    FAILED = "FAILED"
    UNKNOWN = "UNKNOWN"
    DELIVERY_DELAYED = "DELIVERY_DELAYED"
    DELIVERED = "DELIVERED"
    BOUNCED = "BOUNCED"
    COMPLAINED = "COMPLAINED"

    @property
    def rank(self) -> int:
        return _STATUS_RANKS[self]


# QUEUED -> SENDING -> one outcome of the send (SENT, DENIED, FAILED, UNKNOWN) -> what SES
# reports afterwards. DENIED and FAILED are final. UNKNOWN (a send interrupted after SES may
# have taken it) ranks with SENT: what SES reports later (a delivery, delay, bounce or
# complaint) proves the send happened and moves it on, as it moves SENT.
_STATUS_RANKS = {
    MessageStatus.QUEUED: 0,
    MessageStatus.SENDING: 1,
    MessageStatus.SENT: 2,
    MessageStatus.UNKNOWN: 2,
    MessageStatus.DENIED: 9,
    MessageStatus.FAILED: 9,
    MessageStatus.DELIVERY_DELAYED: 3,
    MessageStatus.DELIVERED: 4,
    MessageStatus.BOUNCED: 5,
    MessageStatus.COMPLAINED: 6,
}
FINAL_SEND_OUTCOMES = frozenset(
    {MessageStatus.SENT, MessageStatus.DENIED, MessageStatus.FAILED, MessageStatus.UNKNOWN}
)


class EventType(StrEnum):
    QUEUED = "QUEUED"
    SENT = "SENT"
    DENIED = "DENIED"
    FAILED = "FAILED"
    UNKNOWN = "UNKNOWN"
    DELIVERED = "DELIVERED"
    DELIVERY_DELAYED = "DELIVERY_DELAYED"
    BOUNCED = "BOUNCED"
    COMPLAINED = "COMPLAINED"
    REJECTED = "REJECTED"
    RENDERING_FAILED = "RENDERING_FAILED"
    # The recipient used the message's unsubscribe link (services/unsubscribe.py); moves no
    # status: what SES reported stays the message's status.
    UNSUBSCRIBED = "UNSUBSCRIBED"


class Recipient(_Domain):
    """One address of a message; each gets its own SES call and its own status."""

    email: str
    status: MessageStatus = MessageStatus.QUEUED
    ses_message_id: str | None = None
    claimed_at: datetime | None = None
    reason: str | None = None
    # When the recipient unsubscribed through this message's link (its event is written once).
    unsubscribed_at: datetime | None = None


class Message(_Domain):
    handle: str
    message_id: str
    status: MessageStatus
    purpose: Purpose
    sender_id: str
    # The sender's name and address as the message was queued with them, kept apart: the
    # address's domain is the identity SES sends from, and the header is built from both
    # (a display name may hold commas, '@' or accents, which a formatted header would need
    # parsing back from).
    from_name: str
    from_address: str  # local@domain
    reply_to: str | None
    recipients: tuple[Recipient, ...]
    subject: str  # rendered at acceptance; the bodies are rendered at delivery
    template_id: str
    template_version: int
    # Values only; never logged. Kept so delivery can render the immutable template version.
    variables: dict[str, str]
    idempotency_key: str | None = None
    # Carries List-Unsubscribe (RFC 8058 one-click) and an {{unsubscribeUrl}} per recipient.
    list_unsubscribe: bool = False
    # A test send: every check of a real one, delivered to the SES mailbox simulator instead of
    # its recipients, and not counted against the quota (test_sends.py).
    test_mode: bool = False
    # A rule message: the rule, and the campaign event it answers (its run's key).
    rule_id: str | None = None
    rule_version: int | None = None
    campaign_id: str | None = None
    campaign_event_id: str | None = None
    # A sequence step's message: the sequence, the version its enrollment runs, the step.
    sequence_id: str | None = None
    sequence_version: int | None = None
    sequence_step: int | None = None
    status_reason: str | None = None
    created_at: datetime
    updated_at: datetime

    @property
    def recipient_count(self) -> int:
        return len(self.recipients)

    @property
    def from_email(self) -> str:
        """The From as the contract shows it, "Display Name <local@domain>", with the name
        quoted where RFC 5322 needs it ("Acme, Inc." <...>); not encoded, so accents show."""
        # Imported here: the email package's header parser costs every function's cold start
        # (~2 ms), and few of them show a From.
        from email.headerregistry import Address

        return str(Address(display_name=self.from_name, addr_spec=self.from_address))

    @property
    def from_domain(self) -> str:
        """The domain SES sends from: the From address's."""
        return self.from_address.rpartition("@")[2].lower()

    def rule_run(self) -> RuleRun | None:
        """The MESSAGE_CREATED run a rule message stands for (None for a direct send)."""
        # Imported here: the campaign models (and their send windows' zoneinfo) cost every
        # function's cold start, and only the campaign ones record runs.
        from tenx_email.campaign_models import RuleRun, RuleRunOutcome

        if (
            self.rule_id is None
            or self.rule_version is None
            or self.campaign_id is None
            or self.campaign_event_id is None
        ):
            return None
        return RuleRun(
            handle=self.handle,
            campaign_id=self.campaign_id,
            rule_id=self.rule_id,
            event_id=self.campaign_event_id,
            outcome=RuleRunOutcome.MESSAGE_CREATED,
            rule_version=self.rule_version,
            message_id=self.message_id,
            at=self.created_at,
        )


class DeliveryEvent(_Domain):
    handle: str
    message_id: str
    event_id: str  # a ULID: events sort by time
    type: EventType
    purpose: Purpose
    recipient: str | None = None
    detail: str | None = None
    occurred_at: datetime
    test_mode: bool = False  # the message's


class SuppressionSource(StrEnum):
    MANUAL = "manual"
    BOUNCE = "bounce"
    COMPLAINT = "complaint"
    UNSUBSCRIBE = "unsubscribe"


class Suppression(_Domain):
    handle: str
    email: str  # lowercased
    reason: str
    source: SuppressionSource
    created_at: datetime
    # The purposes it stops; None: every purpose (bounces, complaints, and the default of a
    # manual one). An unsubscribe stops the purpose of the mail it came from.
    purposes: tuple[Purpose, ...] | None = None

    def applies_to(self, purpose: Purpose) -> bool:
        return self.purposes is None or purpose in self.purposes


class ReputationStatus(StrEnum):
    HEALTHY = "HEALTHY"
    WARNING = "WARNING"  # a rate is past half its pause level
    PAUSE = "PAUSE"  # a rate reached its pause level


class Reputation(_Domain):
    """A handle's rolling counts and rates as the reputation guard judges them
    (tenx_email/reputation.py)."""

    window_hours: int
    sent: int
    bounced: int
    complained: int
    bounce_rate: float
    complaint_rate: float
    status: ReputationStatus
    reason: str | None = None


class SesTenantStatus(_Domain):
    """A handle's SES tenant and its sending status as SES last reported it (ENABLED,
    REINSTATED, DISABLED), or UNKNOWN when SES could not be asked."""

    name: str
    sending_status: str


class Quota(_Domain):
    """Recipients a handle may send to per UTC day."""

    handle: str
    daily_limit: int
    used_today: int
    day: str  # YYYY-MM-DD (UTC)
    sandbox: bool = False  # the limit is then the sandbox's (services/sandbox.py)
    sending_paused: SendingPause | None = None
    reputation: Reputation | None = None
    ses_tenant: SesTenantStatus | None = None
