"""Domain models of messages: a message and its recipients, the statuses they move through,
their timeline events, and a delivery held back instead of sent."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING

from tenx_email.models import DomainModel, Purpose

if TYPE_CHECKING:
    from tenx_email.campaign_models import RuleRun


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


class Recipient(DomainModel):
    """One address of a message; each gets its own SES call and its own status."""

    email: str
    status: MessageStatus = MessageStatus.QUEUED
    ses_message_id: str | None = None
    claimed_at: datetime | None = None
    reason: str | None = None
    # When the recipient unsubscribed through this message's link (its event is written once).
    unsubscribed_at: datetime | None = None


class Message(DomainModel):
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


class DeliveryEvent(DomainModel):
    handle: str
    message_id: str
    event_id: str  # a ULID: events sort by time
    type: EventType
    purpose: Purpose
    recipient: str | None = None
    detail: str | None = None
    occurred_at: datetime
    test_mode: bool = False  # the message's


class Hold(DomainModel):
    """A queued message delivery set aside instead of sending (its recipients stay QUEUED)."""

    reason: str
    since: datetime
