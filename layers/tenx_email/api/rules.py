"""API shapes of campaign email rules."""

from __future__ import annotations

from typing import Annotated, Self

from pydantic import Field, StrictBool, StrictInt, StringConstraints

from tenx_email import clock
from tenx_email.api.base import ApiInput, ApiModel
from tenx_email.models import EmailRule, RuleTrigger
from tenx_email.services.rules import RuleDraft

ReferenceId = Annotated[str, StringConstraints(min_length=1, max_length=80)]


class EmailRuleIn(ApiInput):
    # A plain string, so an unknown trigger answers the contract's invalid_trigger (checked
    # by the service) instead of invalid_request; likewise the delay's bounds and the
    # mappings' identifiers are the service's, with their own codes.
    trigger: str
    delay_minutes: StrictInt | None = None
    template_id: ReferenceId
    sender_id: ReferenceId
    variable_mappings: dict[str, str] = Field(default_factory=dict)
    enabled: StrictBool = True

    def draft(self) -> RuleDraft:
        return RuleDraft(
            trigger=self.trigger,
            delay_minutes=self.delay_minutes,
            template_id=self.template_id,
            sender_id=self.sender_id,
            variable_mappings=self.variable_mappings,
            enabled=self.enabled,
        )


class EmailRuleUpdateIn(EmailRuleIn):
    """The whole rule again (what is left out takes its default), and optionally the version
    the client last read."""

    expected_version: Annotated[StrictInt, Field(ge=1)] | None = None


class EmailRuleOut(ApiModel):
    rule_id: str
    campaign_id: str
    trigger: RuleTrigger
    delay_minutes: int | None
    template_id: str
    sender_id: str
    variable_mappings: dict[str, str]
    enabled: bool
    version: int
    created_at: str
    updated_at: str

    @classmethod
    def from_rule(cls, rule: EmailRule) -> Self:
        return cls(
            rule_id=rule.rule_id,
            campaign_id=rule.campaign_id,
            trigger=rule.trigger,
            delay_minutes=rule.delay_minutes,
            template_id=rule.template_id,
            sender_id=rule.sender_id,
            variable_mappings=rule.variable_mappings,
            enabled=rule.enabled,
            version=rule.version,
            created_at=clock.iso(rule.created_at),
            updated_at=clock.iso(rule.updated_at),
        )


class EmailRuleEnvelope(ApiModel):
    rule: EmailRuleOut


class EmailRuleListOut(ApiModel):
    rules: list[EmailRuleOut]
