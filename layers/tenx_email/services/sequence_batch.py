"""The sequence jobs of a trigger batch (services/sequence_jobs.py): step jobs run together
(services/sequence_steps.py), cascade pages one by one (services/sequence_cascades.py)."""

from __future__ import annotations

from collections.abc import Sequence

from tenx_email.services import sequence_cascades, sequence_steps
from tenx_email.services.sequence_jobs import SequenceCascadeJob, SequenceStepJob, job_kind
from tenx_email.services.trigger_jobs import InvalidJob


def run_jobs(bodies: Sequence[str]) -> dict[str, Exception | None]:
    """Each distinct body's error, or None when its job is done."""
    outcomes: dict[str, Exception | None] = {}
    steps: dict[str, SequenceStepJob] = {}
    for body in dict.fromkeys(bodies):
        try:
            if job_kind(body) == "sequence-cascade":
                cascade = SequenceCascadeJob.model_validate_json(body)
                outcomes[body] = None
                try:
                    sequence_cascades.run(cascade)
                except Exception as error:
                    outcomes[body] = error
            else:
                steps[body] = SequenceStepJob.model_validate_json(body)
        except ValueError as error:  # pydantic's ValidationError is a ValueError
            outcomes[body] = InvalidJob(f"unusable sequence job: {type(error).__name__}")
    try:
        errors = sequence_steps.run_steps(steps.values())
    except Exception as error:  # a step shared by the batch failed: every step runs again
        errors = [error] * len(steps)
    outcomes.update(zip(steps, errors, strict=True))
    return outcomes
