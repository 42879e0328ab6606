"""Campaign email rules: which template a campaign event sends, from which sender, when.

Checks, in this order, each with the contract's code. First what needs no read: the body's
shape (400 invalid_request, unknown fields included), the trigger (400 invalid_trigger), the
delay (400 delay_minutes_required_for_delayed_trigger, delay_minutes_below_minimum,
delay_minutes_above_maximum; delay_minutes_not_allowed on an immediate trigger) and the
variable mappings (400 invalid_variable_mappings). Then, after one read: the campaign (404
campaign_not_found); on update the rule (404 email_rule_not_found) and expectedVersion (409
version_conflict); the template exists (404 email_template_not_found) and is ACTIVE (409
email_template_not_active); the sender exists (404 sender_profile_not_found), is READY (409
sender_not_ready) and allows PRODUCT_NOTIFICATION (409
sender_missing_product_notification_purpose); on create the campaign has room (409
email_rule_limit_reached).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from tenx_email import clock, ids, keys
from tenx_email.campaign_models import EmailRule, RuleTrigger
from tenx_email.dal import campaign_counts
from tenx_email.dal import rules as store
from tenx_email.errors import (
    DelayMinutesAboveMaximum,
    DelayMinutesBelowMinimum,
    DelayMinutesNotAllowed,
    DelayMinutesRequiredForDelayedTrigger,
    EmailRuleLimitReached,
    EmailRuleNotFound,
    EmailTemplateNotActive,
    EmailTemplateNotFound,
    InvalidTrigger,
    InvalidVariableMappings,
    SenderMissingProductNotificationPurpose,
    SenderNotReady,
    SenderProfileNotFound,
)
from tenx_email.identity_models import Sender, SenderStatus
from tenx_email.ids import SENDER_ID, TEMPLATE_ID
from tenx_email.models import HandleAccess, Purpose
from tenx_email.services import versioned
from tenx_email.services.campaigns import (
    campaign_not_found,
    delete_counted,
    require_campaign,
    require_campaign_id,
)
from tenx_email.template_models import Template, TemplateStatus

MIN_DELAY_MINUTES = 15
MAX_DELAY_MINUTES = 43_200  # 30 days
MAX_RULES_PER_CAMPAIGN = 100
MAX_VARIABLE_MAPPINGS = 50
SAFE_IDENTIFIER = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")
RULE_ID = re.compile(r"^cer_[0-9a-f-]{36}$")


@dataclass(frozen=True)
class RuleDraft:
    """A rule as the client sends it (the same on create and update)."""

    trigger: str
    delay_minutes: int | None
    template_id: str
    sender_id: str
    variable_mappings: Mapping[str, str]
    enabled: bool
    test_mode: bool = False


def prefetch(
    handle_name: str,
    campaign_id: str,
    rule_id: str | None = None,
    body: Mapping[str, Any] | None = None,
) -> list[keys.Key]:
    """What the campaign routes read first (the campaign; the rule; a rule write's template
    and sender as its body names them), for the access check to read along. Nothing under a
    campaign id that cannot name one; any other id that cannot name its item is left out."""
    if not ids.is_valid(ids.CAMPAIGN_ID_PATTERN, campaign_id):
        return []
    wanted = [keys.campaign(handle_name, campaign_id)]
    if rule_id is not None and RULE_ID.fullmatch(rule_id):
        wanted.append(keys.rule(handle_name, campaign_id, rule_id))
    template_id, sender_id = (body or {}).get("templateId"), (body or {}).get("senderId")
    if isinstance(template_id, str) and TEMPLATE_ID.fullmatch(template_id):
        wanted.append(keys.template(handle_name, template_id))
    if isinstance(sender_id, str) and SENDER_ID.fullmatch(sender_id):
        wanted.append(keys.sender(handle_name, sender_id))
    return wanted


def _check_draft(draft: RuleDraft) -> RuleTrigger:
    try:
        trigger = RuleTrigger(draft.trigger)
    except ValueError:
        raise InvalidTrigger(f"trigger must be one of {', '.join(RuleTrigger)}") from None
    delay = draft.delay_minutes
    if trigger is RuleTrigger.LEAD_CAPTURED_DELAYED:
        if delay is None:
            raise DelayMinutesRequiredForDelayedTrigger(f"{trigger.value} needs delayMinutes")
        if delay < MIN_DELAY_MINUTES:
            raise DelayMinutesBelowMinimum(f"delayMinutes must be at least {MIN_DELAY_MINUTES}")
        if delay > MAX_DELAY_MINUTES:
            raise DelayMinutesAboveMaximum(f"delayMinutes must be at most {MAX_DELAY_MINUTES}")
    elif delay is not None:
        raise DelayMinutesNotAllowed(f"{trigger.value} sends immediately; omit delayMinutes")
    check_mappings(draft.variable_mappings)
    return trigger


def check_mappings(mappings: Mapping[str, str], field: str = "variableMappings") -> None:
    """The contract's variableMappings rules (400 invalid_variable_mappings); `field` names
    where they were sent (a sequence names its step)."""
    if len(mappings) > MAX_VARIABLE_MAPPINGS:
        raise InvalidVariableMappings(f"at most {MAX_VARIABLE_MAPPINGS} {field}")
    for key, value in mappings.items():
        # repr, cut short: the message names the key without echoing an arbitrary string.
        named = repr(key[:64])
        if not SAFE_IDENTIFIER.fullmatch(key):
            raise InvalidVariableMappings(
                f"{field} key {named} must be 1-64 letters, digits, _, . or -"
            )
        if not SAFE_IDENTIFIER.fullmatch(value):
            raise InvalidVariableMappings(
                f"{field} value of {named} must be 1-64 letters, digits, _, . or -"
            )


def _read(
    access: HandleAccess, campaign_id: str, draft: RuleDraft, rule_id: str | None
) -> store.RuleContext:
    """The one read of a write (campaign, template, sender, and the rule on update); an
    unknown campaign is refused here, before anything else that was read."""
    require_campaign_id(campaign_id)
    well_formed = rule_id if rule_id is not None and RULE_ID.fullmatch(rule_id) else None
    context = store.read_context(
        access.handle.handle, campaign_id, draft.template_id, draft.sender_id, well_formed
    )
    if context.campaign is None:
        raise campaign_not_found(campaign_id)
    return context


def check_references(
    template_id: str,
    template: Template | None,
    sender_id: str,
    sender: Sender | None,
    where: str = "",
) -> None:
    """What a campaign email needs of its template and sender, as read, in the contract's
    order and with its codes; `where` begins each message (a sequence names its step)."""
    if template is None:
        raise EmailTemplateNotFound(f"{where}template {template_id} does not exist")
    if template.status is not TemplateStatus.ACTIVE:
        raise EmailTemplateNotActive(f"{where}template {template.template_id} is paused")
    if sender is None:
        raise SenderProfileNotFound(f"{where}sender profile {sender_id} does not exist")
    if sender.status is not SenderStatus.READY:
        raise SenderNotReady(
            f"{where}sender profile {sender.sender_id} is disabled or its domain is not READY"
        )
    if Purpose.PRODUCT_NOTIFICATION not in sender.purposes:
        raise SenderMissingProductNotificationPurpose(
            f"{where}sender profile {sender.sender_id} does not allow PRODUCT_NOTIFICATION"
        )


def _check_references(context: store.RuleContext, draft: RuleDraft) -> None:
    check_references(draft.template_id, context.template, draft.sender_id, context.sender)


def _rule_not_found(rule_id: str, campaign_id: str) -> EmailRuleNotFound:
    return EmailRuleNotFound(f"rule {rule_id[:80]!r} does not exist in campaign {campaign_id}")


def require_rule(handle_name: str, campaign_id: str, rule_id: str) -> EmailRule:
    """A rule of this campaign that exists (deleted ones included: their runs stay visible)."""
    require_campaign(handle_name, campaign_id)
    rule = store.get(handle_name, campaign_id, rule_id) if RULE_ID.fullmatch(rule_id) else None
    if rule is None:
        raise _rule_not_found(rule_id, campaign_id)
    return rule


def _fields(trigger: RuleTrigger, draft: RuleDraft) -> dict[str, Any]:
    """What a client sets: the same on create and update (an update replaces them all)."""
    return {
        "trigger": trigger,
        "delay_minutes": draft.delay_minutes,
        "template_id": draft.template_id,
        "sender_id": draft.sender_id,
        "variable_mappings": dict(draft.variable_mappings),
        "enabled": draft.enabled,
        "test_mode": draft.test_mode,
    }


def create_rule(access: HandleAccess, campaign_id: str, draft: RuleDraft) -> EmailRule:
    trigger = _check_draft(draft)
    context = _read(access, campaign_id, draft, None)
    _check_references(context, draft)
    now = clock.now()
    rule = EmailRule(
        handle=access.handle.handle,
        campaign_id=campaign_id,
        rule_id=f"cer_{uuid.uuid4()}",
        version=1,
        created_at=now,
        updated_at=now,
        **_fields(trigger, draft),
    )
    try:
        store.create(rule, MAX_RULES_PER_CAMPAIGN)
    except campaign_counts.LimitReached as error:
        raise EmailRuleLimitReached(
            f"campaign {campaign_id} already has {MAX_RULES_PER_CAMPAIGN} rules; delete one first"
        ) from error
    return rule


def update_rule(
    access: HandleAccess,
    campaign_id: str,
    rule_id: str,
    draft: RuleDraft,
    expected_version: int | None,
) -> EmailRule:
    """Replace a rule's fields; each update adds 1 to its version. With expected_version the
    rule must still be at that version; without it the last write wins (a lost race with
    another update is retried on the fresh rule)."""
    trigger = _check_draft(draft)

    def read() -> tuple[store.RuleContext, EmailRule]:
        context = _read(access, campaign_id, draft, rule_id)
        if context.rule is None or context.rule.deleted:
            raise _rule_not_found(rule_id, campaign_id)
        return context, context.rule

    def write(seen: tuple[store.RuleContext, EmailRule]) -> EmailRule:
        context, current = seen
        _check_references(context, draft)
        changed = current.model_copy(
            update={
                **_fields(trigger, draft),
                "version": current.version + 1,
                "updated_at": clock.now(),
            }
        )
        store.replace(changed, seen_version=current.version)
        return changed

    return versioned.replace_at_version(
        read=read,
        version_of=lambda seen: seen[1].version,
        expected_version=expected_version,
        stale=lambda version: (
            f"rule {rule_id} is at version {version}, not {expected_version}; re-read it and retry"
        ),
        write=write,
        lost_race=store.ConcurrentChange,
        kept_changing=f"rule {rule_id} kept changing; re-read it and retry",
    )


def delete_rule(access: HandleAccess, campaign_id: str, rule_id: str) -> None:
    """Soft-delete a rule: it is no longer listed and never fires. Repeating it is fine."""
    well_formed = rule_id if RULE_ID.fullmatch(rule_id) else None
    delete_counted(
        access.handle.handle,
        campaign_id,
        well_formed,
        store.mark_deleted,
        _rule_not_found(rule_id, campaign_id),
    )


def list_rules(access: HandleAccess, campaign_id: str) -> list[EmailRule]:
    """A campaign's live rules, oldest first."""
    require_campaign(access.handle.handle, campaign_id)
    found = store.list_rules(access.handle.handle, campaign_id)
    return sorted(found, key=lambda rule: (rule.created_at, rule.rule_id))
