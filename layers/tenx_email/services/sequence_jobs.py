"""The trigger jobs of sequences: a step job (from an enrollment, or from the one-time schedule
that brings an enrollment's next step), and the cascades an operator's change starts (stop every
in-flight enrollment of an archived or deleted sequence; run the held ones of a resumed one)."""

from __future__ import annotations

import json
from datetime import datetime
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel

SEQUENCE_JOB_KINDS = ("sequence-step", "sequence-cascade")


class _Job(BaseModel):
    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=True, extra="forbid", defer_build=True
    )

    def body(self) -> str:
        return json.dumps(self.model_dump(mode="json", by_alias=True))


class SequenceStepJob(_Job):
    """Run an enrollment's step `step` (ids only: Scheduler inputs are small, and carry no
    address). A job for a step the enrollment has passed, or for an enrollment replaced since,
    does nothing."""

    kind: Literal["sequence-step"] = "sequence-step"
    handle: str
    campaign_id: str
    sequence_id: str
    lead_id: str
    enrollment_id: str
    version: int  # the sequence version the enrollment runs
    step: int
    due: datetime  # when the step was due (its message id's moment)


class Cascade(StrEnum):
    STOP = "STOP"  # the sequence was archived or deleted
    RESUME = "RESUME"  # the sequence is ACTIVE again: its held enrollments run now


class SequenceCascadeJob(_Job):
    kind: Literal["sequence-cascade"] = "sequence-cascade"
    handle: str
    campaign_id: str
    sequence_id: str
    action: Cascade
    reason: str
    next_token: str | None = None  # where the previous page of enrollments ended


def job_kind(body: str) -> str | None:
    """The `kind` a job body names, if it is a JSON object with one."""
    try:
        data = json.loads(body)
    except ValueError:
        return None
    kind = data.get("kind") if isinstance(data, dict) else None
    return kind if isinstance(kind, str) else None
