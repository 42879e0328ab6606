"""API request and response models: the contract's JSON shapes (camelCase), kept apart from
the domain and stored-item models, with explicit mapping. Inputs forbid unknown fields, so a
body carrying status, version, handle or ids it may not set is refused (400)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Self

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    StringConstraints,
    field_validator,
)
from pydantic.alias_generators import to_camel
from pydantic.json_schema import SkipJsonSchema

from tenx_email import clock
from tenx_email.models import (
    CampaignEvent,
    CampaignEventType,
    DeliveryEvent,
    DomainIdentity,
    EventType,
    IdentityStatus,
    Message,
    MessageStatus,
    Purpose,
    Quota,
    RuleRun,
    RuleRunOutcome,
    Sender,
    SenderStatus,
    Suppression,
    SuppressionSource,
    Template,
    TemplateContent,
    TemplateStatus,
    TemplateVersion,
)
from tenx_email.services.inspection import MessageDetail
from tenx_email.services.senders import SenderDraft
from tenx_email.services.sending import SendRequest
from tenx_email.services.templates import Preview, TemplateChange, TemplateDraft

MAX_VARIABLES = 100
MAX_VARIABLE_VALUE_CHARS = 10_000

ShortText = Annotated[str, StringConstraints(min_length=1, max_length=200)]
VariableName = Annotated[
    str, StringConstraints(pattern=r"^[A-Za-z_][A-Za-z0-9_]{0,63}$", max_length=64)
]
VariableValue = (
    Annotated[str, StringConstraints(max_length=MAX_VARIABLE_VALUE_CHARS)]
    | StrictBool
    | StrictInt
    | float
)
Variables = Annotated[dict[VariableName, VariableValue], Field(max_length=MAX_VARIABLES)]


class ApiModel(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, frozen=True)


class ApiInput(ApiModel):
    model_config = ConfigDict(extra="forbid")


class ErrorBody(ApiModel):
    """Every error body, the resolver's and the gateway's (documented as `Error`)."""

    error: Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$")]
    message: Annotated[str, StringConstraints(min_length=1)]
    request_id: str


def variable_values(variables: dict[str, str | bool | int | float]) -> dict[str, str]:
    """Variables as the renderer takes them: text (booleans as true/false)."""
    return {
        name: str(value).lower() if isinstance(value, bool) else str(value)
        for name, value in variables.items()
    }


# --- senders ---------------------------------------------------------------------------


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
    domain: Annotated[str, StringConstraints(min_length=1, max_length=253)]
    local_part: Annotated[str, StringConstraints(min_length=1, max_length=64)]
    display_name: Annotated[str, StringConstraints(max_length=200)]
    reply_to: Annotated[str, StringConstraints(max_length=254)] | None = None
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


# --- domains ---------------------------------------------------------------------------


class DnsRecordOut(ApiModel):
    type: str
    name: str
    value: str


class IdentityOut(ApiModel):
    identity_key: str
    region: str
    domain: str
    status: IdentityStatus
    status_reason: str | None
    required_dns_records: list[DnsRecordOut]
    mail_from_domain: str

    @classmethod
    def from_identity(cls, identity: DomainIdentity, *, all_records: bool = False) -> Self:
        """Once READY nothing more is asked of DNS (the contract's ready shape shows an empty
        list); `all_records` shows them anyway, as attaching does, to paste into DNS."""
        pending = all_records or identity.status is not IdentityStatus.READY
        return cls(
            identity_key=identity.identity_key,
            region=identity.region,
            domain=identity.domain,
            status=identity.status,
            status_reason=identity.status_reason,
            required_dns_records=[
                DnsRecordOut(type=record.type, name=record.name, value=record.value)
                for record in (identity.required_dns_records if pending else ())
            ],
            mail_from_domain=identity.mail_from_domain,
        )


class DomainSenderOut(SenderOut):
    handle: str

    @classmethod
    def from_sender(cls, sender: Sender) -> Self:
        return cls.model_validate(
            {**SenderOut.from_sender(sender).model_dump(), "handle": sender.handle}
        )


class IdentityEnvelope(ApiModel):
    identity: IdentityOut


class DomainIdentityOut(ApiModel):
    identity: IdentityOut
    sender_profiles: list[DomainSenderOut]


# --- templates -------------------------------------------------------------------------


class TemplateOut(ApiModel):
    handle: str
    template_id: str
    name: str
    active_version: int
    status: TemplateStatus

    @classmethod
    def from_template(cls, template: Template) -> Self:
        return cls(
            handle=template.handle,
            template_id=template.template_id,
            name=template.name,
            active_version=template.active_version,
            status=template.status,
        )


class TemplateEnvelope(ApiModel):
    template: TemplateOut


class TemplateListOut(ApiModel):
    templates: list[TemplateOut]
    next_token: str | None


class TemplateVersionOut(ApiModel):
    version: int
    subject: str
    html: str | None
    text: str | None
    created_at: str

    @classmethod
    def from_version(cls, version: TemplateVersion) -> Self:
        return cls(
            version=version.version,
            subject=version.content.subject,
            html=version.content.html,
            text=version.content.text,
            created_at=clock.iso(version.created_at),
        )


class TemplateDetailOut(ApiModel):
    template: TemplateOut
    versions: list[TemplateVersionOut]


class TemplateCreateIn(ApiInput):
    template_id: Annotated[str, StringConstraints(min_length=1, max_length=80)]
    name: ShortText
    subject: str
    html: str | None = None
    text: str | None = None

    def draft(self) -> TemplateDraft:
        return TemplateDraft(
            template_id=self.template_id,
            name=self.name,
            content=TemplateContent(subject=self.subject, html=self.html, text=self.text),
        )


CONTENT_FIELDS = ("subject", "html", "text")


class TemplateUpdateIn(ApiInput):
    """Every field optional: what is sent changes, what is left out stays."""

    name: ShortText | None = None
    # Every version has a subject: it may be changed or left out, not removed (null).
    subject: str | SkipJsonSchema[None] = None
    html: str | None = None
    text: str | None = None
    status: TemplateStatus | None = None

    @field_validator("subject")
    @classmethod
    def _subject_not_removed(cls, subject: str | None) -> str | None:
        if subject is None:
            raise ValueError("a template's subject can be changed but not removed")
        return subject

    def change(self) -> TemplateChange:
        sent = self.model_fields_set
        return TemplateChange(
            name=self.name,
            status=self.status,
            content={
                field: getattr(self, field)
                for field in ("subject", "html", "text")
                if field in sent
            },
        )


class PreviewIn(ApiInput):
    variables: Variables = {}
    version: Annotated[StrictInt, Field(ge=1)] | None = None


class PreviewOut(ApiModel):
    template_id: str
    version: int
    subject: str
    html: str | None
    text: str | None
    missing_variables: list[str]

    @classmethod
    def from_preview(cls, preview: Preview) -> Self:
        return cls(
            template_id=preview.template_id,
            version=preview.version,
            subject=preview.rendered.subject,
            html=preview.rendered.html,
            text=preview.rendered.text,
            missing_variables=list(preview.rendered.missing_variables),
        )


class PreviewEnvelope(ApiModel):
    preview: PreviewOut


# --- messages and events -----------------------------------------------------------------

IdempotencyKey = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9._:@+=/-]{1,128}$")]
Address = Annotated[str, StringConstraints(min_length=3, max_length=320)]


class SendIn(ApiInput):
    sender_id: Annotated[str, StringConstraints(min_length=1, max_length=80)]
    to: Annotated[list[Address], Field(min_length=1, max_length=500)]
    purpose: Purpose
    idempotency_key: IdempotencyKey | None = None
    # Not required by the schema, so leaving it out answers the contract's own code.
    consent_attestation: StrictBool = False
    template_id: Annotated[str, StringConstraints(min_length=1, max_length=80)]
    variables: Variables = {}

    def request(self) -> SendRequest:
        return SendRequest(
            sender_id=self.sender_id,
            to=tuple(self.to),
            purpose=self.purpose,
            consent_attestation=self.consent_attestation,
            template_id=self.template_id,
            variables=variable_values(self.variables),
            idempotency_key=self.idempotency_key,
        )


class MessageOut(ApiModel):
    message_id: str
    handle: str
    status: MessageStatus
    purpose: Purpose
    sender_id: str
    recipient_count: int
    from_email: str
    created_at: str

    @classmethod
    def from_message(cls, message: Message) -> Self:
        return cls(
            message_id=message.message_id,
            handle=message.handle,
            status=message.status,
            purpose=message.purpose,
            sender_id=message.sender_id,
            recipient_count=message.recipient_count,
            from_email=message.from_email,
            created_at=clock.iso(message.created_at),
        )


class MessageEnvelope(ApiModel):
    message: MessageOut


class MessageListOut(ApiModel):
    messages: list[MessageOut]
    next_token: str | None


class EventOut(ApiModel):
    event_id: str
    message_id: str
    type: EventType
    recipient: str | None
    purpose: Purpose
    detail: str | None
    occurred_at: str

    @classmethod
    def from_event(cls, event: DeliveryEvent) -> Self:
        return cls(
            event_id=event.event_id,
            message_id=event.message_id,
            type=event.type,
            recipient=event.recipient,
            purpose=event.purpose,
            detail=event.detail,
            occurred_at=clock.iso(event.occurred_at),
        )


class EventListOut(ApiModel):
    events: list[EventOut]
    next_token: str | None


class RecipientOut(ApiModel):
    email: str
    status: MessageStatus
    reason: str | None


class MessageDetailOut(MessageOut):
    subject: str
    template_id: str
    template_version: int
    status_reason: str | None
    rule_id: str | None
    rule_version: int | None
    updated_at: str
    recipients: list[RecipientOut]
    timeline: list[EventOut]

    @classmethod
    def from_detail(cls, detail: MessageDetail) -> Self:
        message = detail.message
        return cls(
            **MessageOut.from_message(message).model_dump(),
            subject=message.subject,
            template_id=message.template_id,
            template_version=message.template_version,
            status_reason=message.status_reason,
            rule_id=message.rule_id,
            rule_version=message.rule_version,
            updated_at=clock.iso(message.updated_at),
            recipients=[
                RecipientOut(email=r.email, status=r.status, reason=r.reason)
                for r in message.recipients
            ],
            timeline=[EventOut.from_event(event) for event in detail.timeline],
        )


class MessageDetailEnvelope(ApiModel):
    message: MessageDetailOut


# --- suppressions and quota --------------------------------------------------------------


class SuppressionIn(ApiInput):
    reason: Annotated[str, StringConstraints(max_length=200)] | None = None


class SuppressionOut(ApiModel):
    email: str
    reason: str
    source: SuppressionSource
    created_at: str

    @classmethod
    def from_suppression(cls, suppression: Suppression) -> Self:
        return cls(
            email=suppression.email,
            reason=suppression.reason,
            source=suppression.source,
            created_at=clock.iso(suppression.created_at),
        )


class SuppressionEnvelope(ApiModel):
    suppression: SuppressionOut


class SuppressionListOut(ApiModel):
    suppressions: list[SuppressionOut]
    next_token: str | None


class QuotaOut(ApiModel):
    daily_limit: int
    used_today: int
    remaining_today: int
    resets_at: str

    @classmethod
    def from_quota(cls, quota: Quota, resets_at: datetime) -> Self:
        return cls(
            daily_limit=quota.daily_limit,
            used_today=quota.used_today,
            remaining_today=max(0, quota.daily_limit - quota.used_today),
            resets_at=clock.iso(resets_at),
        )


class QuotaEnvelope(ApiModel):
    quota: QuotaOut


# --- campaign events and rule runs -------------------------------------------------------


class ConversionIn(ApiInput):
    lead_id: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{1,64}$")]


class CampaignEventAccepted(ApiModel):
    event_id: str
    lead_id: str
    type: CampaignEventType

    @classmethod
    def from_event(cls, event: CampaignEvent) -> Self:
        return cls(event_id=event.event_id, lead_id=event.lead.lead_id, type=event.type)


class RuleRunOut(ApiModel):
    event_id: str
    outcome: RuleRunOutcome
    rule_version: int
    message_id: str | None
    reason: str | None
    at: str

    @classmethod
    def from_run(cls, run: RuleRun) -> Self:
        return cls(
            event_id=run.event_id,
            outcome=run.outcome,
            rule_version=run.rule_version,
            message_id=run.message_id,
            reason=run.reason,
            at=clock.iso(run.at),
        )


class RuleRunListOut(ApiModel):
    runs: list[RuleRunOut]
    next_token: str | None
