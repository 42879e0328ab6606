"""Stored items of sequences: the sequence as it is now (SEQ#<campaignId>#<sequenceId>) and each
of its versions, written once (SEQVER#<sequenceId>#<version>). Both hold the whole definition:
the head answers reads and lists, a version is what an enrollment started on."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel

from tenx_email import keys
from tenx_email.campaign_models import (
    Sequence,
    SequenceExit,
    SequenceStatus,
    SequenceStep,
    SequenceTrigger,
    StepType,
)
from tenx_email.dal.items import StoredItem


class StepItem(BaseModel):
    """A step as stored inside its sequence (camelCase, like every attribute)."""

    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=True, extra="ignore", defer_build=True
    )
    type: StepType
    template_id: str | None = None
    sender_id: str | None = None
    variable_mappings: dict[str, str] = {}
    minutes: int | None = None

    @classmethod
    def from_domain(cls, step: SequenceStep) -> StepItem:
        return cls(**step.model_dump())

    def to_domain(self) -> SequenceStep:
        return SequenceStep(**self.model_dump())


class _SequenceFields(StoredItem):
    handle: str
    campaign_id: str
    sequence_id: str
    name: str = ""
    trigger: SequenceTrigger
    steps: tuple[StepItem, ...]
    exit_on: tuple[SequenceExit, ...] = ()
    enabled: bool
    status: SequenceStatus
    version: int
    test_mode: bool = False
    deleted: bool = False
    created_at: datetime
    updated_at: datetime

    def to_domain(self) -> Sequence:
        return Sequence(
            **self.model_dump(exclude={"pk", "sk", "steps"}),
            steps=tuple(step.to_domain() for step in self.steps),
        )


def _fields(sequence: Sequence) -> dict[str, object]:
    return {
        **sequence.model_dump(exclude={"steps"}),
        "steps": tuple(StepItem.from_domain(step) for step in sequence.steps),
    }


class SequenceItem(_SequenceFields):
    entity_type = "SEQUENCE"

    @classmethod
    def from_domain(cls, sequence: Sequence) -> SequenceItem:
        return cls(
            **keys.sequence(sequence.handle, sequence.campaign_id, sequence.sequence_id),
            **_fields(sequence),
        )


class SequenceVersionItem(_SequenceFields):
    entity_type = "SEQUENCE_VERSION"

    @classmethod
    def from_domain(cls, sequence: Sequence) -> SequenceVersionItem:
        return cls(
            **keys.sequence_version(sequence.handle, sequence.sequence_id, sequence.version),
            **_fields(sequence),
        )
