"""API shapes of campaign sequences. A step is an email or a wait, told apart by `type`."""

from __future__ import annotations

from typing import Annotated, Literal, Self

from pydantic import AfterValidator, Field, StrictBool, StringConstraints

from tenx_email import clock
from tenx_email.api.base import (
    ApiInput,
    ApiModel,
    ShowsTestMode,
    VersionNumber,
    WholeNumber,
    checked_by_service,
)
from tenx_email.api.rules import SenderRef, TemplateRef, VariableMappings
from tenx_email.campaign_models import (
    Sequence,
    SequenceExit,
    SequenceStatus,
    SequenceStep,
    SequenceTrigger,
    StepType,
)
from tenx_email.rendering import HEADER_BREAKER_CHARS
from tenx_email.services.sequence_checks import (
    MAX_SEQUENCE_MINUTES,
    MAX_STEPS,
    MAX_WAIT_MINUTES,
    MIN_WAIT_MINUTES,
)
from tenx_email.services.sequences import SequenceDraft

MAX_NAME_CHARS = 120

# For people only (never in a header), but one line: no line breaks or control characters.
SequenceName = Annotated[
    str, StringConstraints(max_length=MAX_NAME_CHARS, pattern=f"^[^{HEADER_BREAKER_CHARS}]*$")
]


def _each_once(exits: list[SequenceExit]) -> list[SequenceExit]:
    twice = sorted({exit_ for exit_ in exits if exits.count(exit_) > 1})
    if twice:
        raise ValueError(f"{', '.join(twice)} listed more than once")
    return exits


ExitConditions = Annotated[
    list[SequenceExit], AfterValidator(_each_once), Field(json_schema_extra={"uniqueItems": True})
]
_AN_EMAIL_STEP = {"type": "object", "properties": {"type": {"const": StepType.EMAIL.value}}}


class EmailStepIn(ApiInput):
    type: Literal["email"]
    template_id: TemplateRef
    sender_id: SenderRef
    variable_mappings: VariableMappings = Field(default_factory=dict)

    def step(self) -> SequenceStep:
        return SequenceStep(
            type=StepType.EMAIL,
            template_id=self.template_id,
            sender_id=self.sender_id,
            variable_mappings=self.variable_mappings,
        )


class WaitStepIn(ApiInput):
    # The service checks the bounds (the rule delay codes, naming the step).
    type: Literal["wait"]
    minutes: Annotated[
        WholeNumber, checked_by_service(minimum=MIN_WAIT_MINUTES, maximum=MAX_WAIT_MINUTES)
    ]

    def step(self) -> SequenceStep:
        return SequenceStep(type=StepType.WAIT, minutes=self.minutes)


StepIn = Annotated[EmailStepIn | WaitStepIn, Field(discriminator="type")]


class SequenceIn(ApiInput):
    # The trigger is a plain string and the step count unbounded here so that the service
    # answers them with their own codes (invalid_trigger, invalid_sequence_steps); the
    # document states them.
    name: SequenceName = ""
    trigger: Annotated[str, checked_by_service(enum=[trigger.value for trigger in SequenceTrigger])]
    steps: Annotated[
        list[StepIn],
        checked_by_service(
            minItems=1,
            maxItems=MAX_STEPS,
            contains=_AN_EMAIL_STEP,
            description=f"In order, with at least one email; the waits together at most "
            f"{MAX_SEQUENCE_MINUTES} minutes (90 days), else 400 sequence_too_long.",
        ),
    ]
    exit_on: ExitConditions = Field(default_factory=list)
    enabled: StrictBool = True
    status: SequenceStatus = SequenceStatus.ACTIVE
    # Its messages are to be test sends (to the SES mailbox simulator, outside the quota).
    test_mode: StrictBool = False

    def draft(self) -> SequenceDraft:
        return SequenceDraft(
            name=self.name,
            trigger=self.trigger,
            steps=tuple(step.step() for step in self.steps),
            exit_on=tuple(self.exit_on),
            enabled=self.enabled,
            status=self.status,
            test_mode=self.test_mode,
        )


class SequenceUpdateIn(SequenceIn):
    """The whole sequence again (what is left out takes its default), and optionally the
    version the client last read."""

    expected_version: VersionNumber | None = None


class EmailStepOut(ApiModel):
    type: Literal["email"]
    template_id: str
    sender_id: str
    variable_mappings: dict[str, str]


class WaitStepOut(ApiModel):
    type: Literal["wait"]
    minutes: int


StepOut = Annotated[EmailStepOut | WaitStepOut, Field(discriminator="type")]


def _step_out(step: SequenceStep) -> EmailStepOut | WaitStepOut:
    if step.type is StepType.WAIT:
        return WaitStepOut(type="wait", minutes=step.minutes or 0)
    return EmailStepOut(
        type="email",
        template_id=step.template_id or "",
        sender_id=step.sender_id or "",
        variable_mappings=step.variable_mappings,
    )


class SequenceOut(ShowsTestMode):
    sequence_id: str
    campaign_id: str
    name: str
    trigger: SequenceTrigger
    steps: list[StepOut]
    exit_on: list[SequenceExit]
    enabled: bool
    status: SequenceStatus
    version: int
    created_at: str
    updated_at: str

    @classmethod
    def from_sequence(cls, sequence: Sequence) -> Self:
        return cls(
            sequence_id=sequence.sequence_id,
            campaign_id=sequence.campaign_id,
            name=sequence.name,
            trigger=sequence.trigger,
            steps=[_step_out(step) for step in sequence.steps],
            exit_on=list(sequence.exit_on),
            enabled=sequence.enabled,
            status=sequence.status,
            version=sequence.version,
            test_mode=sequence.test_mode or None,
            created_at=clock.iso(sequence.created_at),
            updated_at=clock.iso(sequence.updated_at),
        )


class SequenceEnvelope(ApiModel):
    sequence: SequenceOut


class SequenceListOut(ApiModel):
    sequences: list[SequenceOut]
