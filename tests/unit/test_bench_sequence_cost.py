"""The bench's sequence-step arithmetic (issue 17): calls per step and per invocation over the
measured batches, and the cost per 1,000 sequence emails, on inputs small enough to check by
hand (never a measured figure, never timing)."""

from __future__ import annotations

import pytest

from devstack.bench import model, sequence_cost, sequence_report
from devstack.bench.__main__ import calls_per_sequence_step
from devstack.bench.cost import Line, Mix, Profile
from devstack.bench.results import Sample, SequenceStepFigure, consumer_figure
from devstack.bench.sequence_cost import SequenceSteps
from tests.unit.test_bench_cost import _measured


def _sample(calls: dict[str, int], write_units: float = 0.0) -> Sample:
    return Sample(
        calls=calls,
        total_calls=sum(calls.values()),
        read_units=0.0,
        write_units=write_units,
        index_write_units=0.0,
        write_units_by_call={"dynamodb:TransactWriteItems": write_units},
        item_sizes=[],
        duration_ms=0.0,
        aws_ms=0.0,
        log_bytes=0,
    )


# As issue 17's test counts a batch of ten first steps; ten later (last) steps make no schedule.
FIRST = _sample(
    {
        "dynamodb:BatchGetItem": 2,
        "sqs:SendMessageBatch": 1,
        "scheduler:CreateSchedule": 10,
        "dynamodb:TransactWriteItems": 10,
    },
    write_units=40.0,
)
LATER = _sample(
    {"dynamodb:BatchGetItem": 2, "sqs:SendMessageBatch": 1, "dynamodb:TransactWriteItems": 10},
    write_units=40.0,
)
ENROLLING = _sample({"dynamodb:Query": 2, "dynamodb:PutItem": 10, "sqs:SendMessageBatch": 1})


def _figure() -> SequenceStepFigure:
    unit = "sequence step"
    return SequenceStepFigure(
        steps=consumer_figure("trigger", unit, [FIRST, LATER], [10, 10], [10, 10]),
        first=consumer_figure("trigger", unit, [FIRST], [10], [10]),
        later=consumer_figure("trigger", unit, [LATER], [10], [10]),
        enrollment=consumer_figure("trigger", "enrollment", [ENROLLING], [10], [10]),
        email_steps_per_enrollment=2,
    )


def test_calls_per_step_are_the_batches_calls_over_their_steps() -> None:
    figure = _figure()
    # 23 calls for the first ten steps, 13 for the later ten: 36 / 20.
    assert figure.steps.calls_per_unit == pytest.approx(1.8)
    assert figure.first.calls_per_unit == pytest.approx(2.3)
    assert figure.later.calls_per_unit == pytest.approx(1.3)
    assert figure.steps.by_call_per_unit["scheduler:CreateSchedule"] == pytest.approx(0.5)
    assert figure.steps.by_call_per_unit["dynamodb:BatchGetItem"] == pytest.approx(0.2)
    # Per invocation: a batch of ten steps makes 18 calls on average.
    assert figure.calls_per_invocation == pytest.approx(18.0)


def test_the_document_judges_each_batch_against_three_calls_a_step() -> None:
    document = calls_per_sequence_step(_figure())
    assert document is not None
    assert (document["value"], document["target"], document["verdict"]) == (
        pytest.approx(1.8),
        3.0,
        "PASS",
    )
    assert document["byCallPerInvocation"]["scheduler:CreateSchedule"] == pytest.approx(5.0)
    assert document["firstSteps"]["verdict"] == document["laterSteps"]["verdict"] == "PASS"
    assert document["enrollment"]["target"] is None
    assert calls_per_sequence_step(None) is None
    # 23 calls over 7 steps: 3.29 a step, over the target.
    slow = consumer_figure("trigger", "sequence step", [FIRST], [10], [7])
    missed = calls_per_sequence_step(SequenceStepFigure(slow, slow, slow, slow, 2))
    assert missed is not None
    assert missed["verdict"] == "MISS"


MEASURED = _measured()  # idle functions; a delivery batch of 10, a projection batch of 30
# A batch of ten steps: two reads, a transaction each, a schedule for half of them, one
# SendMessageBatch; an enrolling batch of ten events, spread over two email steps each.
STEPS = SequenceSteps(
    step_batch=Profile(
        function="trigger",
        own_ms=0.0,
        calls={
            "dynamodb:BatchGetItem": 2,
            "dynamodb:TransactWriteItems": 10,
            "scheduler:CreateSchedule": 5,
            "sqs:SendMessageBatch": 1,
        },
        read_units=12.0,
        write_units=40.0,  # 2 items of under 1 KB, at 2 WRU per KB each, per transaction
    ),
    steps_per_batch=10.0,
    enrollment_batch=Profile(
        function="trigger",
        own_ms=0.0,
        calls={
            "dynamodb:BatchGetItem": 1,
            "dynamodb:Query": 2,
            "dynamodb:PutItem": 10,
            "sqs:SendMessageBatch": 1,
        },
        read_units=3.0,
        write_units=10.0,
    ),
    enrollments_per_batch=10.0,
    email_steps_per_enrollment=2.0,
)


def _line(lines: list[Line], component: str) -> Line:
    return next(line for line in lines if line.component == component)


def test_the_sequences_own_lines_per_1000_sequence_emails() -> None:
    estimate = sequence_cost.estimate(MEASURED, STEPS, Mix(), scale=1.0)
    own = estimate.lines
    # Invocations per email: a tenth of a step batch, and half an enrollment over its batch of
    # ten: 0.1 + 0.05.
    assert _line(own, "sequence: Lambda requests").quantity == pytest.approx(150)
    # Reads: 0.1 x 12 + 0.05 x 3; writes 0.1 x 40 + 0.05 x 10.
    assert _line(own, "sequence: DynamoDB reads").quantity == pytest.approx(1350)
    assert _line(own, "sequence: DynamoDB writes").quantity == pytest.approx(4500)
    assert _line(own, "sequence: DynamoDB writes").dollars == pytest.approx(4500 * 0.625e-6)
    # SQS: the functions' SendMessageBatch (0.1 + 0.05), the mapping's receive and delete for
    # a step job and half an enrolling event (1.5 x 2 / 10), EventBridge's SendMessage of the
    # half event and the Scheduler's of the half fired schedule (0.5 + 0.5).
    assert _line(own, "sequence: SQS requests").quantity == pytest.approx(1000 * 1.45)
    assert _line(own, "sequence: EventBridge events").quantity == pytest.approx(500)
    # The second of two email steps comes from a schedule: $1.00 per million invocations.
    scheduler = _line(own, "sequence: Scheduler")
    assert scheduler.quantity == pytest.approx(500)
    assert scheduler.dollars == pytest.approx(500 * 1e-6)
    # Billed ms at 1.0: a step batch 2 x 6 + 10 x 12 + 5 x 30 + 8 = 290; an enrolling batch
    # 6 + 2 x 6 + 10 x 5 + 8 = 76. At 1 GB: (0.1 x 290 + 0.05 x 76) / 1000 s x 1,000 emails.
    duration = _line(own, "sequence: Lambda duration")
    assert duration.quantity == pytest.approx(0.1 * 290 + 0.05 * 76)


def test_a_sequence_email_then_costs_what_any_email_does() -> None:
    estimate = sequence_cost.estimate(MEASURED, STEPS, Mix(), scale=1.0)
    email = estimate.email_lines
    # Delivery 1 / 10, feedback 1 SES event / 10, the projection (3 timeline events, 1.5
    # enrollment changes) / 30.
    assert _line(email, "email: Lambda requests").quantity == pytest.approx(1000 * 0.35)
    # 1 WRU naming it under its recipient, 1 counting the sequence's stats.
    assert _line(email, "email: DynamoDB writes").quantity == pytest.approx(2000)
    # The delivery and feedback records' receive and delete (2 x 2 / 10), the SES event's
    # SendMessage from EventBridge (1).
    assert _line(email, "email: SQS requests").quantity == pytest.approx(1400)


def test_the_total_sums_every_line_as_a_share_of_ses() -> None:
    estimate = sequence_cost.estimate(MEASURED, STEPS, Mix())
    own = sum(line.dollars for line in estimate.lines)
    every = own + sum(line.dollars for line in estimate.email_lines)
    assert estimate.webhooks == []  # none measured here
    assert estimate.dollars == pytest.approx(every)
    assert estimate.pct_of_ses == pytest.approx(100 * every / 0.10)
    assert estimate.own_pct_of_ses == pytest.approx(100 * own / 0.10)
    assert _line(estimate.extra, "CloudWatch Logs ingestion").quantity == 0.0


def test_the_document_and_the_printed_rows() -> None:
    document = model.sequence_cost_document(MEASURED, STEPS, Mix())
    assert document["value"] == pytest.approx(
        sequence_cost.estimate(MEASURED, STEPS, Mix()).pct_of_ses
    )
    assert document["assumptions"]["firedSchedulesPerEmail"] == pytest.approx(0.5)
    printed = "\n".join(
        sequence_report.cost({**document, "target": 10.0, "verdict": "PASS"})
        + sequence_report.per_step(calls_per_sequence_step(_figure()))
    )
    assert "costPer1000SequenceEmailsPctOfSes" in printed
    assert "sequence: Scheduler" in printed
    assert "2 email steps an enrollment" in printed
    assert "trigger, per sequence step (first and later)" in printed
