"""Stored items of campaign automation: settings, email rules, leads, the campaign events of
idempotency keys, and rule runs (dal/items.py has the shared base)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from pydantic import field_validator

from tenx_email import keys
from tenx_email.campaign_models import (
    CampaignEvent,
    CampaignSettings,
    ContactPacing,
    EmailRule,
    Lead,
    RuleRun,
    RuleRunOutcome,
    RuleTrigger,
)
from tenx_email.dal.items import StoredItem
from tenx_email.send_windows import SendWindow


class CampaignSettingsItem(StoredItem):
    entity_type = "CAMPAIGN_SETTINGS"
    handle: str
    campaign_id: str
    contact_cooldown_minutes: int
    contact_daily_cap: int | None = None
    send_window: SendWindow | None = None
    version: int
    updated_at: datetime

    @field_validator("send_window", mode="before")
    @classmethod
    def _whole_days(cls, window: Any) -> Any:
        # DynamoDB gives numbers back as Decimal; the window's days are strict integers.
        if isinstance(window, dict) and isinstance(window.get("workingDays"), list):
            days = window["workingDays"]
            return {
                **window,
                "workingDays": [int(d) if isinstance(d, Decimal) else d for d in days],
            }
        return window

    @classmethod
    def from_domain(cls, settings: CampaignSettings) -> CampaignSettingsItem:
        return cls(
            **keys.campaign_settings(settings.handle, settings.campaign_id),
            **settings.model_dump(exclude={"send_window"}),
            send_window=settings.send_window,
        )

    def to_domain(self) -> CampaignSettings:
        return CampaignSettings(
            **self.model_dump(exclude={"pk", "sk", "send_window"}), send_window=self.send_window
        )


class EmailRuleItem(StoredItem):
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
    test_mode: bool = False
    deleted: bool = False
    created_at: datetime
    updated_at: datetime

    @classmethod
    def from_domain(cls, rule: EmailRule) -> EmailRuleItem:
        return cls(**keys.rule(rule.handle, rule.campaign_id, rule.rule_id), **rule.model_dump())

    def to_domain(self) -> EmailRule:
        return EmailRule(**self.model_dump(exclude={"pk", "sk"}))


class LeadItem(StoredItem):
    entity_type = "LEAD"
    handle: str
    campaign_id: str
    lead: Lead
    captured_at: datetime


class CampaignEventKeyItem(StoredItem):
    """The campaign event a lead capture or conversion made under an Idempotency-Key, with a
    hash of its request, so a retry gives the same event and another request reusing the key
    is recognised. Expires (TTL) after the retention."""

    entity_type = "CAMPAIGN_EVENT_KEY"
    event: CampaignEvent
    request_hash: str
    expires_at: int


class RuleRunItem(StoredItem):
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


class ContactPacingItem(StoredItem):
    entity_type = "CONTACT_PACING"
    handle: str
    campaign_id: str
    lead_id: str
    last_sent_at: datetime | None = None
    day_start: datetime | None = None
    sent_that_day: int = 0
    booked: tuple[str, ...] = ()
    version: int
    # Gone (TTL) once no cooldown or day it counts can matter: the longest cooldown is 30 days.
    expires_at: int

    @classmethod
    def from_domain(cls, pacing: ContactPacing, expires_at: int) -> ContactPacingItem:
        return cls(
            **keys.contact_pacing(pacing.handle, pacing.campaign_id, pacing.lead_id),
            **pacing.model_dump(),
            expires_at=expires_at,
        )

    def to_domain(self) -> ContactPacing:
        return ContactPacing(**self.model_dump(exclude={"pk", "sk", "expires_at"}))
