"""API shapes of campaign email rules."""

from __future__ import annotations

from typing import Annotated, Self

from pydantic import ConfigDict, Field, StrictBool, StringConstraints
from pydantic.config import JsonDict, JsonValue

from tenx_email import clock
from tenx_email.api.base import (
    ApiInput,
    ApiModel,
    ShowsTestMode,
    VersionNumber,
    WholeNumber,
    checked_by_service,
)
from tenx_email.campaign_models import EmailRule, RuleTrigger
from tenx_email.ids import SENDER_ID, TEMPLATE_ID
from tenx_email.services.rules import (
    MAX_DELAY_MINUTES,
    MAX_VARIABLE_MAPPINGS,
    MIN_DELAY_MINUTES,
    SAFE_IDENTIFIER,
    RuleDraft,
)

# An id of the wrong form names nothing: the service answers 404 for it, as for an unknown one.
TemplateRef = Annotated[
    str,
    StringConstraints(min_length=1, max_length=80),
    checked_by_service(pattern=TEMPLATE_ID.pattern),
]
SenderRef = Annotated[
    str,
    StringConstraints(min_length=1, max_length=80),
    checked_by_service(pattern=SENDER_ID.pattern),
]
# Checked by the service (400 invalid_variable_mappings), as the contract orders it.
VariableMappings = Annotated[
    dict[str, str],
    checked_by_service(
        maxProperties=MAX_VARIABLE_MAPPINGS,
        propertyNames={"pattern": SAFE_IDENTIFIER.pattern},
        additionalProperties={"type": "string", "pattern": SAFE_IDENTIFIER.pattern},
    ),
]
_IMMEDIATE: list[JsonValue] = [
    trigger.value for trigger in RuleTrigger if trigger is not RuleTrigger.LEAD_CAPTURED_DELAYED
]
# delayMinutes is required with LEAD_CAPTURED_DELAYED and refused (null or absent) otherwise.
_DELAY_GOES_WITH_TRIGGER: JsonDict = {
    "anyOf": [
        {
            "properties": {
                "trigger": {"const": RuleTrigger.LEAD_CAPTURED_DELAYED.value},
                "delayMinutes": {"type": "integer"},
            },
            "required": ["trigger", "delayMinutes"],
        },
        {"properties": {"trigger": {"enum": _IMMEDIATE}, "delayMinutes": {"type": "null"}}},
    ]
}


class EmailRuleIn(ApiInput):
    # The service checks the trigger, the delay and the mappings, in the contract's order and
    # with its codes (a model constraint would answer invalid_request first); the document
    # states them. The trigger is a plain string so that an unknown one reaches it.
    model_config = ConfigDict(json_schema_extra=_DELAY_GOES_WITH_TRIGGER)

    trigger: Annotated[str, checked_by_service(enum=[trigger.value for trigger in RuleTrigger])]
    delay_minutes: (
        Annotated[
            WholeNumber,
            checked_by_service(minimum=MIN_DELAY_MINUTES, maximum=MAX_DELAY_MINUTES),
        ]
        | None
    ) = None
    template_id: TemplateRef
    sender_id: SenderRef
    variable_mappings: VariableMappings = Field(default_factory=dict)
    enabled: StrictBool = True
    # Its messages are test sends: to the SES mailbox simulator, outside the quota.
    test_mode: StrictBool = False

    def draft(self) -> RuleDraft:
        return RuleDraft(
            trigger=self.trigger,
            delay_minutes=self.delay_minutes,
            template_id=self.template_id,
            sender_id=self.sender_id,
            variable_mappings=self.variable_mappings,
            enabled=self.enabled,
            test_mode=self.test_mode,
        )


class EmailRuleUpdateIn(EmailRuleIn):
    """The whole rule again (what is left out takes its default), and optionally the version
    the client last read."""

    expected_version: VersionNumber | None = None


class EmailRuleOut(ShowsTestMode):
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
            test_mode=rule.test_mode or None,
            created_at=clock.iso(rule.created_at),
            updated_at=clock.iso(rule.updated_at),
        )


class EmailRuleEnvelope(ApiModel):
    rule: EmailRuleOut


class EmailRuleListOut(ApiModel):
    rules: list[EmailRuleOut]
