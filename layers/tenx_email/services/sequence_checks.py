"""What a sequence must be, checked in the documented order with the codes rules use where
one fits. First what needs no read: the trigger (400 invalid_trigger), the steps' number and
kinds (400 invalid_sequence_steps), each step in order (a wait's minutes: 400
delay_minutes_below_minimum / delay_minutes_above_maximum; an email's mappings: 400
invalid_variable_mappings), then the waits together (400 sequence_too_long). After the read,
each email step in order: its template and sender (the rule codes, the message naming the
step)."""

from __future__ import annotations

from collections.abc import Iterable

from tenx_email.campaign_models import SequenceStep, SequenceTrigger, StepType
from tenx_email.errors import (
    DelayMinutesAboveMaximum,
    DelayMinutesBelowMinimum,
    InvalidSequenceSteps,
    InvalidTrigger,
    SequenceTooLong,
)
from tenx_email.identity_models import Sender
from tenx_email.services.rules import (
    MAX_DELAY_MINUTES,
    MIN_DELAY_MINUTES,
    check_mappings,
    check_references,
)
from tenx_email.template_models import Template

MAX_STEPS = 20
# A wait is bounded as a rule's delay is: at least 15 minutes, at most 30 days.
MIN_WAIT_MINUTES, MAX_WAIT_MINUTES = MIN_DELAY_MINUTES, MAX_DELAY_MINUTES
# All the waits of one sequence together: 90 days from enrollment to its last step.
MAX_SEQUENCE_MINUTES = 129_600


def check_trigger(trigger: str) -> SequenceTrigger:
    try:
        return SequenceTrigger(trigger)
    except ValueError:
        raise InvalidTrigger(f"trigger must be one of {', '.join(SequenceTrigger)}") from None


def check_steps(steps: tuple[SequenceStep, ...]) -> None:
    if not 1 <= len(steps) <= MAX_STEPS:
        raise InvalidSequenceSteps(
            f"a sequence has 1 to {MAX_STEPS} steps; this one has {len(steps)}"
        )
    if not any(step.type is StepType.EMAIL for step in steps):
        raise InvalidSequenceSteps("a sequence needs at least one email step; it has only waits")
    for index, step in enumerate(steps):
        if step.type is StepType.WAIT:
            _check_wait(index, step.minutes or 0)
        else:
            check_mappings(step.variable_mappings, f"steps[{index}].variableMappings")
    total = sum(step.minutes or 0 for step in steps if step.type is StepType.WAIT)
    if total > MAX_SEQUENCE_MINUTES:
        raise SequenceTooLong(
            f"the waits add up to {total} minutes; a sequence spans at most "
            f"{MAX_SEQUENCE_MINUTES} (90 days)"
        )


def _check_wait(index: int, minutes: int) -> None:
    if minutes < MIN_WAIT_MINUTES:
        raise DelayMinutesBelowMinimum(
            f"steps[{index}].minutes must be at least {MIN_WAIT_MINUTES}"
        )
    if minutes > MAX_WAIT_MINUTES:
        raise DelayMinutesAboveMaximum(f"steps[{index}].minutes must be at most {MAX_WAIT_MINUTES}")


def email_steps(steps: Iterable[SequenceStep]) -> list[tuple[int, SequenceStep]]:
    """The email steps with their places in the sequence."""
    return [(index, step) for index, step in enumerate(steps) if step.type is StepType.EMAIL]


def check_step_references(
    steps: tuple[SequenceStep, ...],
    templates: dict[str, Template],
    senders: dict[str, Sender],
) -> None:
    """Each email step's template and sender as read, in step order."""
    for index, step in email_steps(steps):
        template_id, sender_id = step.template_id or "", step.sender_id or ""
        check_references(
            template_id,
            templates.get(template_id),
            sender_id,
            senders.get(sender_id),
            where=f"steps[{index}]: ",
        )
