"""What AWS charges per 1,000 sequence emails besides SES, as a share of SES's own price
(issue 17: inside the cost target, like any email).

Pure arithmetic, in cost.py's terms and prices: the sequence's own work as the bench measured
it (the step jobs' batches: two BatchGetItems a batch, a 2-item TransactWriteItems and, but
for the last step, a CreateSchedule a step, a SendMessageBatch a batch; and the enrolling
pass, spread over the enrollment's email steps), what brings the steps' jobs (the campaign
event that enrolls, the schedules that fire), and then what any email costs once queued for
delivery: its delivery, SES's events and their feedback, the projection of its timeline and
of the enrollment's changes, and webhooks.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from devstack.bench import cost
from devstack.bench.cost import Line, Measured, Mix, Profile, Share

# The sequence's stats (services/sequence_stats.py) are one write per stream batch and
# sequence; charged as one write unit per sequence email, the most they can be.
SEQUENCE_STATS_WRITE_UNITS = 1.0


@dataclass(frozen=True)
class SequenceSteps:
    """The sequence as the bench measured it: its step jobs per batch (first and later steps
    together) and its enrolling pass per batch of campaign events."""

    step_batch: Profile
    steps_per_batch: float
    enrollment_batch: Profile
    enrollments_per_batch: float
    email_steps_per_enrollment: float

    @property
    def enrollments_per_email(self) -> float:
        return 1 / self.email_steps_per_enrollment

    @property
    def fired_schedules_per_email(self) -> float:
        """Every email step after the first is queued by a schedule firing."""
        return 1 - self.enrollments_per_email


@dataclass(frozen=True)
class SequenceEstimate:
    lines: list[Line]  # the sequence's own work
    email_lines: list[Line]  # what the email then costs, like any email
    webhooks: list[Line]
    extra: list[Line]  # outside the target figure

    @property
    def dollars(self) -> float:
        return sum(line.dollars for line in self.lines + self.email_lines + self.webhooks)

    @property
    def pct_of_ses(self) -> float:
        return 100 * self.dollars / cost.SES_PER_1000_EMAILS

    @property
    def own_pct_of_ses(self) -> float:
        return 100 * sum(line.dollars for line in self.lines) / cost.SES_PER_1000_EMAILS


def sequence_shares(steps: SequenceSteps) -> list[Share]:
    """The sequence's own invocations per email: a share of a step batch, and of an
    enrolling batch spread over the enrollment's email steps."""
    return [
        Share(steps.step_batch, 1 / steps.steps_per_batch),
        Share(steps.enrollment_batch, steps.enrollments_per_email / steps.enrollments_per_batch),
    ]


def email_shares(measured: Measured, steps: SequenceSteps, mix: Mix) -> list[Share]:
    """What the email then makes run, as any email: a share of a delivery batch, of the
    feedback batches for its SES events, and of the projection's batches for its timeline's
    events and its enrollment's changes (one a step, and the enrollment's creation)."""
    timeline_events = 1 + mix.outcome_events_per_email + mix.ses_events_per_email
    enrollment_changes = 1 + steps.enrollments_per_email
    return [
        Share(measured.delivery_batch, 1 / measured.delivery_emails_per_batch),
        Share(
            measured.feedback_batch,
            mix.ses_events_per_email / measured.feedback_events_per_batch,
        ),
        Share(
            measured.projection_batch,
            (timeline_events + enrollment_changes) / measured.projected_events_per_batch,
        ),
    ]


def function_lines(
    label: str, shares: Sequence[Share], memory_mb: int, cpu: float, extra_write_units: float
) -> list[Line]:
    """Lambda requests and duration and DynamoDB request units per 1,000 emails of
    `shares` (invocations per email); `extra_write_units` per email are added to the writes."""
    emails = 1000.0
    invocations = sum(s.invocations for s in shares) * emails
    billed_ms = sum(s.invocations * s.profile.billed_ms(cpu) for s in shares)
    read_units = sum(s.invocations * s.profile.read_units for s in shares) * emails
    write_units = sum(s.invocations * s.profile.write_units for s in shares) + extra_write_units
    return [
        Line(
            f"{label}: Lambda requests",
            invocations,
            "invocation",
            cost.LAMBDA_REQUESTS_PER_MILLION / 1e6,
        ),
        Line(
            f"{label}: Lambda duration",
            billed_ms * (memory_mb / 1024) / 1000 * emails,
            "GB-s",
            cost.LAMBDA_ARM64_PER_GB_SECOND,
            f"{memory_mb} MB; own time x{cpu:.2f} + assumed call latency",
        ),
        Line(
            f"{label}: DynamoDB reads",
            read_units,
            "RRU",
            cost.DYNAMODB_READ_UNITS_PER_MILLION / 1e6,
        ),
        Line(
            f"{label}: DynamoDB writes",
            write_units * emails,
            "WRU",
            cost.DYNAMODB_WRITE_UNITS_PER_MILLION / 1e6,
        ),
    ]


def sequence_sqs_requests(steps: SequenceSteps, mix: Mix) -> float:
    """SQS requests per email for the sequence's own work: the functions' (the steps'
    SendMessageBatch to delivery, the enrolling pass's of the first steps), the trigger-jobs
    mapping's receive and delete per batch of step jobs and of enrolling events, EventBridge's
    SendMessage of the enrolling event and the Scheduler's of each fired schedule's job."""
    functions = sum(s.invocations * s.profile.sqs_requests() for s in sequence_shares(steps))
    records = 1 + steps.enrollments_per_email  # a step job, and a share of an enrolling event
    delivered_by_aws = steps.enrollments_per_email + steps.fired_schedules_per_email
    return functions + records * 2 / mix.batch_size + delivered_by_aws


def email_sqs_requests(measured: Measured, steps: SequenceSteps, mix: Mix) -> float:
    """SQS requests per email once it is queued: the functions' own, the delivery and
    feedback mappings' receive and delete per batch, EventBridge's SendMessage per SES event."""
    functions = sum(
        s.invocations * s.profile.sqs_requests() for s in email_shares(measured, steps, mix)
    )
    records = 1 + mix.ses_events_per_email
    return functions + records * 2 / mix.batch_size + mix.ses_events_per_email


def own_lines(measured: Measured, steps: SequenceSteps, mix: Mix, cpu: float) -> list[Line]:
    emails = 1000.0
    lines = function_lines("sequence", sequence_shares(steps), measured.memory_mb, cpu, 0.0)
    lines[0] = _noted(
        lines[0],
        f"step batches of {steps.steps_per_batch:g}; an enrolling pass per "
        f"{steps.email_steps_per_enrollment:g} email steps, in batches of "
        f"{steps.enrollments_per_batch:g}",
    )
    lines[2] = _noted(lines[2], "two BatchGetItems a step batch, amortised")
    lines[3] = _noted(
        lines[3],
        "a step's 2-item TransactWriteItems (message, enrollment) at 2 WRU per KB per item;"
        " the enrollment's PutItem",
    )
    return [
        *lines,
        Line(
            "sequence: SQS requests",
            sequence_sqs_requests(steps, mix) * emails,
            "request",
            cost.SQS_STANDARD_PER_MILLION_REQUESTS / 1e6,
            "step jobs queued, received, deleted; the enrolling event's record",
        ),
        Line(
            "sequence: EventBridge events",
            steps.enrollments_per_email * emails,
            "event",
            cost.EVENTBRIDGE_CUSTOM_EVENTS_PER_MILLION / 1e6,
            "the lead's capture, charged to its enrollment",
        ),
        Line(
            "sequence: Scheduler",
            steps.fired_schedules_per_email * emails,
            "invocation",
            cost.SCHEDULER_INVOCATIONS_PER_MILLION / 1e6,
            "each later step's schedule fires once; CreateSchedule itself is free",
        ),
    ]


def email_lines(measured: Measured, steps: SequenceSteps, mix: Mix, cpu: float) -> list[Line]:
    emails = 1000.0
    extra_writes = cost.RECIPIENT_MESSAGE_WRITE_UNITS + SEQUENCE_STATS_WRITE_UNITS
    lines = function_lines(
        "email", email_shares(measured, steps, mix), measured.memory_mb, cpu, extra_writes
    )
    lines[0] = _noted(lines[0], "delivery, feedback, projection (timeline and enrollment)")
    lines[3] = _noted(
        lines[3],
        f"incl. {extra_writes:g} per email naming it under its recipient and counting the"
        " sequence's stats",
    )
    return [
        *lines,
        Line(
            "email: SQS requests",
            email_sqs_requests(measured, steps, mix) * emails,
            "request",
            cost.SQS_STANDARD_PER_MILLION_REQUESTS / 1e6,
            "delivery's records, SES's events",
        ),
    ]


def _noted(line: Line, note: str) -> Line:
    return replace(line, note=note)


def estimate(
    measured: Measured, steps: SequenceSteps, mix: Mix, *, scale: float | None = None
) -> SequenceEstimate:
    """Dollars per 1,000 sequence emails, line by line (`scale` as in cost.estimate)."""
    cpu = cost.cpu_scale(measured.memory_mb) if scale is None else scale
    invoked = sequence_shares(steps) + email_shares(measured, steps, mix)
    log_gb = sum(s.invocations * s.profile.log_bytes for s in invoked) * 1000 / 1e9
    return SequenceEstimate(
        lines=own_lines(measured, steps, mix, cpu),
        email_lines=email_lines(measured, steps, mix, cpu),
        webhooks=cost.webhook_lines(measured, mix, cpu),
        extra=[
            Line(
                "CloudWatch Logs ingestion",
                log_gb,
                "GB",
                cost.CLOUDWATCH_LOGS_INGESTION_PER_GB,
                "measured log and metric output; not in the target figure",
            )
        ],
    )
