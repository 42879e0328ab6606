"""Stored-item models: the exact attributes written to the table, and the mapping to and from
the domain models. Attribute names are camelCase; keys are PK/SK/GSI*."""

from __future__ import annotations

import json
import zlib
from collections.abc import Sequence
from datetime import datetime
from email.utils import parseaddr
from typing import Any, ClassVar, Self

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic.alias_generators import to_camel

from tenx_email import ids, keys
from tenx_email.dal.message_size import bounded_detail
from tenx_email.models import (
    Account,
    Campaign,
    CampaignEvent,
    DeliveryEvent,
    DnsRecord,
    DomainIdentity,
    EmailRule,
    EventType,
    Handle,
    HandleStatus,
    IdentityStatus,
    Lead,
    Membership,
    Message,
    MessageStatus,
    Purpose,
    Recipient,
    RuleRun,
    RuleRunOutcome,
    RuleTrigger,
    Sender,
    Suppression,
    SuppressionSource,
    Template,
    TemplateContent,
    TemplateStatus,
    TemplateVersion,
)
from tenx_email.roles import Role


class _Item(BaseModel):
    # defer_build: built when first used (see models._Domain).
    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=True, extra="ignore", defer_build=True
    )
    entity_type: ClassVar[str]

    pk: str = Field(alias="PK")
    sk: str = Field(alias="SK")

    def to_item(self) -> dict[str, Any]:
        return {
            "entity": self.entity_type,
            **self.model_dump(mode="json", by_alias=True, exclude_none=True),
        }

    @classmethod
    def from_item(cls, item: dict[str, Any]) -> Self:
        return cls.model_validate(item)


class AccountItem(_Item):
    entity_type = "ACCOUNT"
    account_id: str
    name: str
    created_at: datetime

    @classmethod
    def from_domain(cls, account: Account) -> AccountItem:
        return cls(**keys.account(account.account_id), **account.model_dump())

    def to_domain(self) -> Account:
        return Account(account_id=self.account_id, name=self.name, created_at=self.created_at)


class HandleItem(_Item):
    entity_type = "HANDLE"
    handle: str
    account_id: str
    status: HandleStatus
    created_at: datetime

    @classmethod
    def from_domain(cls, handle: Handle) -> HandleItem:
        return cls(**keys.handle(handle.handle), **handle.model_dump())

    def to_domain(self) -> Handle:
        return Handle(
            handle=self.handle,
            account_id=self.account_id,
            status=self.status,
            created_at=self.created_at,
        )


class MembershipItem(_Item):
    entity_type = "MEMBERSHIP"
    gsi1pk: str = Field(alias="GSI1PK")
    gsi1sk: str = Field(alias="GSI1SK")
    handle: str
    sub: str
    role: Role
    account_id: str

    @classmethod
    def from_domain(cls, membership: Membership) -> MembershipItem:
        gsi = keys.memberships_of_user(membership.sub, membership.handle)
        return cls(
            **keys.membership(membership.handle, membership.sub),
            GSI1PK=gsi["GSI1PK"],
            GSI1SK=gsi["GSI1SK"],
            **membership.model_dump(),
        )

    def to_domain(self) -> Membership:
        return Membership(
            handle=self.handle, sub=self.sub, role=self.role, account_id=self.account_id
        )


class CampaignItem(_Item):
    entity_type = "CAMPAIGN"
    handle: str
    campaign_id: str
    name: str
    created_at: datetime

    @classmethod
    def from_domain(cls, campaign: Campaign) -> CampaignItem:
        return cls(**keys.campaign(campaign.handle, campaign.campaign_id), **campaign.model_dump())

    def to_domain(self) -> Campaign:
        return Campaign(
            handle=self.handle,
            campaign_id=self.campaign_id,
            name=self.name,
            created_at=self.created_at,
        )


class DnsRecordItem(BaseModel):
    type: str
    name: str
    value: str


class DomainIdentityItem(_Item):
    entity_type = "ACCOUNT_DOMAIN"
    account_id: str
    domain: str
    region: str
    status: IdentityStatus
    required_dns_records: list[DnsRecordItem] = []
    mail_from_domain: str
    status_reason: str | None = None

    @classmethod
    def from_domain(cls, identity: DomainIdentity) -> DomainIdentityItem:
        return cls(
            **keys.account_domain(identity.account_id, identity.domain),
            **identity.model_dump(exclude={"required_dns_records"}),
            required_dns_records=[
                DnsRecordItem(**record.model_dump()) for record in identity.required_dns_records
            ],
        )

    def to_domain(self) -> DomainIdentity:
        return DomainIdentity(
            **self.model_dump(exclude={"pk", "sk", "required_dns_records"}),
            required_dns_records=tuple(
                DnsRecord(**record.model_dump()) for record in self.required_dns_records
            ),
        )


class _SenderFields(BaseModel):
    """A sender profile's stored attributes but its domain (the item's and the snapshot's)."""

    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=True, extra="ignore", defer_build=True
    )
    handle: str
    sender_id: str
    local_part: str
    display_name: str
    reply_to: str | None = None
    purposes: list[Purpose]
    enabled: bool
    identity_key: str
    identity_status: IdentityStatus


class DomainSenderEntry(_SenderFields):
    """One sender profile using a domain, as the domain's OWNER item keeps it (its `senders`
    map, keyed by `DomainSenderEntry.key`): what the domain's identity view shows of it.
    Written in the same transaction as the sender item on every change to that item."""

    @staticmethod
    def key(handle_name: str, sender_id: str) -> str:
        return f"{handle_name}#{sender_id}"

    @classmethod
    def from_domain(cls, sender: Sender) -> DomainSenderEntry:
        return cls(
            **sender.model_dump(exclude={"domain", "purposes"}), purposes=list(sender.purposes)
        )

    def to_attribute(self) -> dict[str, Any]:
        return self.model_dump(mode="json", by_alias=True, exclude_none=True)

    def to_domain(self, domain: str) -> Sender:
        return Sender(
            **self.model_dump(exclude={"purposes"}), domain=domain, purposes=tuple(self.purposes)
        )


class DomainOwnerItem(_Item):
    """Which account a domain is attached to, and (`senders`) a snapshot of every sender
    profile using it. `senders` is absent on OWNER items written before it existed: their
    senders are then found through GSI1 (DOMAIN#d) instead."""

    entity_type = "DOMAIN_OWNER"
    domain: str
    account_id: str
    senders: dict[str, DomainSenderEntry] | None = None


class SenderItem(_Item, _SenderFields):
    entity_type = "SENDER"
    gsi1pk: str = Field(alias="GSI1PK")
    gsi1sk: str = Field(alias="GSI1SK")
    domain: str

    @classmethod
    def from_domain(cls, sender: Sender) -> SenderItem:
        gsi = keys.senders_of_domain(sender.domain, sender.handle, sender.sender_id)
        return cls(
            **keys.sender(sender.handle, sender.sender_id),
            GSI1PK=gsi["GSI1PK"],
            GSI1SK=gsi["GSI1SK"],
            **sender.model_dump(exclude={"purposes"}),
            purposes=list(sender.purposes),
        )

    def to_domain(self) -> Sender:
        return Sender(
            **self.model_dump(exclude={"pk", "sk", "gsi1pk", "gsi1sk", "purposes"}),
            purposes=tuple(self.purposes),
        )


class TemplateItem(_Item):
    entity_type = "TEMPLATE"
    handle: str
    template_id: str
    name: str
    status: TemplateStatus
    active_version: int
    latest_version: int
    active_subject: str
    active_variables: list[str]
    created_at: datetime
    updated_at: datetime

    @classmethod
    def from_domain(cls, template: Template) -> TemplateItem:
        return cls(
            **keys.template(template.handle, template.template_id),
            **template.model_dump(exclude={"active_variables"}),
            active_variables=list(template.active_variables),
        )

    def to_domain(self) -> Template:
        return Template(
            **self.model_dump(exclude={"pk", "sk", "active_variables"}),
            active_variables=tuple(self.active_variables),
        )


class TemplateVersionItem(_Item):
    entity_type = "TEMPLATE_VERSION"
    handle: str
    template_id: str
    version: int
    subject: str
    html: str | None = None
    text: str | None = None
    created_at: datetime

    @classmethod
    def from_domain(cls, version: TemplateVersion) -> TemplateVersionItem:
        return cls(
            **keys.template_version(version.handle, version.template_id, version.version),
            **version.model_dump(exclude={"content"}),
            **version.content.model_dump(),
        )

    def to_domain(self) -> TemplateVersion:
        return TemplateVersion(
            handle=self.handle,
            template_id=self.template_id,
            version=self.version,
            content=TemplateContent(subject=self.subject, html=self.html, text=self.text),
            created_at=self.created_at,
        )


class RecipientItem(BaseModel):
    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=True, extra="ignore", defer_build=True
    )
    email: str
    status: MessageStatus
    ses_message_id: str | None = None
    claimed_at: datetime | None = None
    reason: str | None = None


class TimelineEntryItem(BaseModel):
    """One event on a message's timeline (under its id), kept small because the message item
    is rewritten on every transition: its time is its id's (a ULID), its recipient an index
    into the message's recipients, its purpose the message's."""

    model_config = ConfigDict(extra="ignore", defer_build=True)
    type: EventType
    rcpt: int | None = None
    detail: str | None = None

    @classmethod
    def from_domain(cls, event: DeliveryEvent, rcpt: int | None) -> TimelineEntryItem:
        """`rcpt`: the index of `event.recipient` among the message's recipients."""
        detail = bounded_detail(event.detail) if event.detail is not None else None
        return cls(type=event.type, rcpt=rcpt, detail=detail)

    def to_item(self) -> dict[str, Any]:
        return self.model_dump(mode="json", exclude_none=True)


class MessageItem(_Item):
    """A message with its recipients and its timeline. In no index: every delivery and
    feedback step writes it, and index entries would double those writes (docs/data-model.md)."""

    entity_type = "MESSAGE"
    handle: str
    message_id: str
    status: MessageStatus
    purpose: Purpose
    sender_id: str
    from_name: str
    from_address: str
    reply_to: str | None = None
    recipients: list[RecipientItem]
    subject: str
    template_id: str
    template_version: int
    variables: dict[str, str]
    idempotency_key: str | None = None
    rule_id: str | None = None
    rule_version: int | None = None
    campaign_id: str | None = None
    campaign_event_id: str | None = None
    status_reason: str | None = None
    created_at: datetime
    updated_at: datetime
    # Event id -> entry: an event is added at most once (its id is the condition).
    timeline: dict[str, TimelineEntryItem] = {}

    @model_validator(mode="before")
    @classmethod
    def _split_from(cls, stored: Any) -> Any:
        # Messages stored before the name and address were kept apart hold one formatted
        # `fromEmail` ("Name <local@domain>", names without specials then).
        if isinstance(stored, dict) and "fromAddress" not in stored and "fromEmail" in stored:
            name, address = parseaddr(stored["fromEmail"])
            return {**stored, "fromName": name, "fromAddress": address}
        return stored

    @classmethod
    def from_domain(cls, message: Message, timeline: Sequence[DeliveryEvent] = ()) -> MessageItem:
        emails = [recipient.email for recipient in message.recipients]
        return cls(
            **keys.message(message.handle, message.message_id),
            **message.model_dump(exclude={"recipients"}),
            recipients=[
                RecipientItem(**recipient.model_dump()) for recipient in message.recipients
            ],
            timeline={
                event.event_id: TimelineEntryItem.from_domain(
                    event, emails.index(event.recipient) if event.recipient else None
                )
                for event in timeline
            },
        )

    def to_domain(self) -> Message:
        return Message(
            **self.model_dump(exclude={"pk", "sk", "recipients", "timeline"}),
            recipients=tuple(Recipient(**item.model_dump()) for item in self.recipients),
        )

    def events(self) -> list[DeliveryEvent]:
        """The timeline as events, oldest first."""
        return [
            DeliveryEvent(
                handle=self.handle,
                message_id=self.message_id,
                event_id=event_id,
                type=entry.type,
                purpose=self.purpose,
                recipient=self.recipients[entry.rcpt].email if entry.rcpt is not None else None,
                detail=entry.detail,
                occurred_at=ids.ulid_time(event_id),
            )
            for event_id, entry in sorted(self.timeline.items())
        ]


class RecipientMessageItem(_Item):
    """A message sent to an address (lowercased), written by the event projection when the
    message is stored: the list of a recipient's events reads these, then the timelines."""

    entity_type = "RECIPIENT_MESSAGE"
    handle: str
    email: str
    message_id: str

    @classmethod
    def of(cls, handle: str, email: str, message_id: str) -> RecipientMessageItem:
        return cls(
            **keys.recipient_message(handle, email, message_id),
            handle=handle,
            email=email,
            message_id=message_id,
        )


class FeedEventItem(BaseModel):
    """One event in a page of the handle's event feed (its time is its id's, a ULID)."""

    model_config = ConfigDict(extra="ignore", defer_build=True)
    id: str
    msg: str
    type: EventType
    purpose: Purpose
    rcpt: str | None = None
    detail: str | None = None

    @classmethod
    def from_domain(cls, event: DeliveryEvent) -> FeedEventItem:
        return cls(
            id=event.event_id,
            msg=event.message_id,
            type=event.type,
            purpose=event.purpose,
            rcpt=event.recipient,
            detail=event.detail,
        )

    def to_domain(self, handle: str) -> DeliveryEvent:
        return DeliveryEvent(
            handle=handle,
            message_id=self.msg,
            event_id=self.id,
            type=self.type,
            purpose=self.purpose,
            recipient=self.rcpt,
            detail=self.detail,
            occurred_at=ids.ulid_time(self.id),
        )


class EventFeedItem(_Item):
    """A page of the handle's event feed, written once by the event projection: events of
    one stream batch, oldest first (keys.event_feed: pages sort in the order written). They
    are stored compressed (zlib of their JSON): a page is written once and read whole, and
    DynamoDB charges by size (50 events are ~10 KB of JSON, a fraction of that compressed)."""

    entity_type = "EVENT_FEED"
    handle: str
    events: list[FeedEventItem]

    @field_validator("events", mode="before")
    @classmethod
    def _decompress(cls, stored: Any) -> Any:
        if isinstance(stored, list):  # built here, not read back
            return stored
        return json.loads(zlib.decompress(bytes(stored)))

    def to_item(self) -> dict[str, Any]:
        item = super().to_item()
        packed = json.dumps(item["events"], separators=(",", ":")).encode()
        return {**item, "events": zlib.compress(packed)}

    @classmethod
    def from_domain(cls, key: keys.Key, handle: str, events: Sequence[DeliveryEvent]) -> Self:
        ordered = sorted(events, key=lambda event: event.event_id)
        return cls(
            **key, handle=handle, events=[FeedEventItem.from_domain(event) for event in ordered]
        )

    def to_domain(self) -> list[DeliveryEvent]:
        return [event.to_domain(self.handle) for event in self.events]


class SuppressionItem(_Item):
    entity_type = "SUPPRESSION"
    handle: str
    email: str
    reason: str
    source: SuppressionSource
    created_at: datetime

    @classmethod
    def from_domain(cls, suppression: Suppression) -> SuppressionItem:
        return cls(
            **keys.suppression(suppression.handle, suppression.email), **suppression.model_dump()
        )

    def to_domain(self) -> Suppression:
        return Suppression(**self.model_dump(exclude={"pk", "sk"}))


class IdempotencyItem(_Item):
    """A direct send's idempotency key: which message it made, and a hash of the request so a
    different request reusing the key is recognised. Expires (TTL) after the retention."""

    entity_type = "IDEMPOTENCY"
    message_id: str
    request_hash: str
    expires_at: int


class QuotaItem(_Item):
    entity_type = "QUOTA"
    daily_limit: int


class UsageItem(_Item):
    entity_type = "USAGE"
    used: int = 0
    expires_at: int | None = None


class EmailRuleItem(_Item):
    entity_type = "EMAIL_RULE"
    handle: str
    campaign_id: str
    rule_id: str
    trigger: RuleTrigger
    delay_minutes: int | None = None
    template_id: str
    sender_id: str
    variable_mappings: dict[str, str]
    enabled: bool
    version: int
    deleted: bool = False
    created_at: datetime
    updated_at: datetime

    @classmethod
    def from_domain(cls, rule: EmailRule) -> EmailRuleItem:
        return cls(**keys.rule(rule.handle, rule.campaign_id, rule.rule_id), **rule.model_dump())

    def to_domain(self) -> EmailRule:
        return EmailRule(**self.model_dump(exclude={"pk", "sk"}))


class LeadItem(_Item):
    entity_type = "LEAD"
    handle: str
    campaign_id: str
    lead: Lead
    captured_at: datetime


class CampaignEventKeyItem(_Item):
    """The campaign event a lead capture or conversion made under an Idempotency-Key, with a
    hash of its request, so a retry gives the same event and another request reusing the key
    is recognised. Expires (TTL) after the retention."""

    entity_type = "CAMPAIGN_EVENT_KEY"
    event: CampaignEvent
    request_hash: str
    expires_at: int


class RuleRunItem(_Item):
    entity_type = "RULE_RUN"
    handle: str
    campaign_id: str
    rule_id: str
    event_id: str
    outcome: RuleRunOutcome
    rule_version: int
    message_id: str | None = None
    reason: str | None = None
    at: datetime
    # A SCHEDULED run keeps the campaign event (its lead snapshot) for its schedule's job.
    event: CampaignEvent | None = None

    @classmethod
    def from_domain(cls, run: RuleRun, event: CampaignEvent | None = None) -> RuleRunItem:
        return cls(
            **keys.rule_run(run.handle, run.rule_id, run.event_id), **run.model_dump(), event=event
        )

    def to_domain(self) -> RuleRun:
        return RuleRun(**self.model_dump(exclude={"pk", "sk", "event"}))
