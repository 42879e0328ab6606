"""What an email rule makes of a campaign event: which rules the event meets, the variables
its lead gives the template, and the rule message (with its QUEUED event), or why the rule
skips the event; sequence steps make their messages the same way (`compose_campaign_message`).
Pure: reading and writing is the trigger batch's (services/triggers.py).

The message id is derived from (rule, event), so a repeated job makes the same message."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from tenx_email import ids
from tenx_email.campaign_models import (
    CampaignEvent,
    CampaignEventType,
    EmailRule,
    Lead,
    RuleTrigger,
)
from tenx_email.dal import message_size
from tenx_email.dal import messages as message_store
from tenx_email.dal.triggers import RuleMessage
from tenx_email.errors import RenderedSubjectUnsafe
from tenx_email.identity_models import Sender
from tenx_email.message_models import DeliveryEvent, EventType, Message, MessageStatus, Recipient
from tenx_email.models import Purpose
from tenx_email.rendering import render
from tenx_email.template_models import Template, TemplateStatus

_TRIGGERS_FOR = {
    CampaignEventType.LEAD_CAPTURED: {RuleTrigger.LEAD_CAPTURED, RuleTrigger.LEAD_CAPTURED_DELAYED},
    CampaignEventType.CONVERSION: {RuleTrigger.CONVERSION},
}


def lead_variables(lead: Lead, mappings: dict[str, str]) -> dict[str, str]:
    """The default variables from the lead snapshot, then the rule's mappings: a value
    `fields.x` reads custom field x, any other value a top-level lead field. Missing -> ""."""
    first_name = lead.first_name or ((lead.name or "").split() or [""])[0]
    values = {
        "leadId": lead.lead_id,
        "email": lead.email,
        "name": lead.name or "",
        "firstName": first_name,
        "phone": lead.phone or "",
        "company": lead.company or "",
        "service": lead.service or "",
        "message": lead.message or "",
        "source": lead.source or "",
    }
    for variable, source in mappings.items():
        if source.startswith("fields."):
            values[variable] = lead.fields.get(source.removeprefix("fields."), "")
        else:
            values[variable] = values.get(source, "")
    return values


def applicable_rules(
    rules: Iterable[EmailRule], kind: CampaignEventType, occurred_at: datetime
) -> list[EmailRule]:
    """The rules an event meets, oldest first (so when the campaign's cooldown or cap lets
    only some go now, the oldest rule's goes): live, enabled, of its trigger, and made before
    it (rules made after the event never apply to it: no retroactive sends)."""
    wanted = _TRIGGERS_FOR[kind]
    met = [
        rule
        for rule in rules
        if not rule.deleted
        and rule.enabled
        and rule.trigger in wanted
        and rule.created_at <= occurred_at
    ]
    return sorted(met, key=lambda rule: (rule.created_at, rule.rule_id))


def rule_message_id(rule_id: str, event: CampaignEvent, shards: int) -> str:
    """Deterministic per (rule, event): a repeated job finds the message it made. `shards`:
    the handle's shard count for the event's moment (Handle.shard_count_at), which no later
    change of the count alters."""
    seed = f"{rule_id}|{event.event_id}"
    return ids.message_id(
        event.occurred_at, shard=ids.seeded_shard(seed, shards) if shards > 1 else 0, seed=seed
    )


@dataclass(frozen=True)
class CampaignMail:
    """What a campaign email is made of (a rule's, or a sequence step's): its template, sender
    and variable mappings, its id, and the message fields naming what made it."""

    template_id: str
    sender_id: str
    variable_mappings: Mapping[str, str]
    test_mode: bool
    message_id: str
    made_by: str  # the QUEUED event's detail: "campaign rule cer_... v2"
    tags: Mapping[str, str | int]  # rule_id and rule_version, or the sequence's


def compose_rule_message(
    rule: EmailRule,
    event: CampaignEvent,
    sender: Sender | None,
    template: Template | None,
    now: datetime,
    *,
    shards: int,
) -> RuleMessage | str:
    """The (rule, event) message with its QUEUED event, or why the rule skips the event (the
    event projection records the MESSAGE_CREATED run once the message is stored)."""
    mail = CampaignMail(
        template_id=rule.template_id,
        sender_id=rule.sender_id,
        variable_mappings=rule.variable_mappings,
        test_mode=rule.test_mode,
        message_id=rule_message_id(rule.rule_id, event, shards),
        made_by=f"campaign rule {rule.rule_id} v{rule.version}",
        tags={"rule_id": rule.rule_id, "rule_version": rule.version},
    )
    return compose_campaign_message(mail, event, sender, template, now)


def compose_campaign_message(
    mail: CampaignMail,
    event: CampaignEvent,
    sender: Sender | None,
    template: Template | None,
    now: datetime,
) -> RuleMessage | str:
    """A campaign email to the event's lead with its QUEUED event, or why none is made. The
    sender and domain are checked again at delivery, so a sender disabled since the rule or
    sequence was made gives DENIED there."""
    if sender is None:
        return f"sender profile {mail.sender_id} does not exist"
    if template is None or template.status is not TemplateStatus.ACTIVE:
        return f"template {mail.template_id} is missing or paused"
    variables = lead_variables(event.lead, dict(mail.variable_mappings))
    try:
        subject = render(template.active_subject, None, None, variables).subject
    except RenderedSubjectUnsafe:
        return "the lead's data would break the subject line"
    message = Message(
        handle=event.handle,
        message_id=mail.message_id,
        status=MessageStatus.QUEUED,
        purpose=Purpose.PRODUCT_NOTIFICATION,
        sender_id=sender.sender_id,
        from_name=sender.display_name,
        from_address=sender.from_email,
        reply_to=sender.reply_to,
        recipients=(Recipient(email=event.lead.email),),
        subject=subject,
        template_id=template.template_id,
        template_version=template.active_version,
        variables=variables,
        # Campaign mail: what RFC 8058's one-click unsubscribe is for.
        list_unsubscribe=True,
        test_mode=mail.test_mode,
        campaign_id=event.campaign_id,
        campaign_event_id=event.event_id,
        created_at=now,
        updated_at=now,
        **mail.tags,
    )
    queued = DeliveryEvent(
        handle=event.handle,
        message_id=mail.message_id,
        event_id=ids.ulid(now),
        type=EventType.QUEUED,
        purpose=message.purpose,
        detail=mail.made_by,
        occurred_at=now,
    )
    # As a direct send would be refused (services/sending.py): the stored message, with room
    # for every event it can get, must fit an item.
    if message_store.stored_bound_bytes(message, queued) > message_size.ITEM_LIMIT_BYTES:
        return "the lead's data would make the message too large to store (message_too_large)"
    return RuleMessage(message=message, queued=queued)
