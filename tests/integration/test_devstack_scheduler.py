"""The local Scheduler emulator on moto: due one-time schedules fire once into their queue."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import boto3
import pytest

from devstack.resources import QueueUrls, create_queue
from devstack.scheduler import SchedulerEmulator
from tenx_email import clock
from tenx_email.resources import TRIGGER_JOBS_QUEUE

if TYPE_CHECKING:
    from mypy_boto3_scheduler import EventBridgeSchedulerClient
    from mypy_boto3_sqs import SQSClient

GROUP = "tenx-email-test-campaign-delays"
START = datetime(2026, 6, 12, 8, 0, tzinfo=UTC)


class FakeClock:
    def __init__(self, moment: datetime) -> None:
        self.moment = moment

    def __call__(self) -> datetime:
        return self.moment


@pytest.fixture
def sqs(aws: None) -> SQSClient:
    return boto3.client("sqs", region_name="us-east-1")


@pytest.fixture
def scheduler(aws: None) -> EventBridgeSchedulerClient:
    client = boto3.client("scheduler", region_name="us-east-1")
    client.create_schedule_group(Name=GROUP)
    return client


@pytest.fixture
def queue(sqs: SQSClient) -> QueueUrls:
    return create_queue(sqs, "test", TRIGGER_JOBS_QUEUE)


@pytest.fixture
def now() -> FakeClock:
    return FakeClock(START)


@pytest.fixture
def emulator(
    scheduler: EventBridgeSchedulerClient, sqs: SQSClient, now: FakeClock
) -> SchedulerEmulator:
    return SchedulerEmulator(scheduler, sqs, GROUP, now=now)


def schedule_at(
    scheduler: EventBridgeSchedulerClient,
    sqs: SQSClient,
    queue: QueueUrls,
    name: str,
    at: str,
    *,
    after_completion: str = "DELETE",
    timezone: str = "UTC",
    state: str = "ENABLED",
) -> None:
    arn = sqs.get_queue_attributes(QueueUrl=queue.queue_url, AttributeNames=["QueueArn"])[
        "Attributes"
    ]["QueueArn"]
    scheduler.create_schedule(
        Name=name,
        GroupName=GROUP,
        ScheduleExpression=f"at({at})",
        ScheduleExpressionTimezone=timezone,
        FlexibleTimeWindow={"Mode": "OFF"},
        Target={
            "Arn": arn,
            "RoleArn": "arn:aws:iam::123456789012:role/scheduler",
            "Input": f'{{"job": "{name}"}}',
        },
        ActionAfterCompletion=after_completion,
        State=state,
    )


def jobs(sqs: SQSClient, queue: QueueUrls) -> list[str]:
    messages = sqs.receive_message(QueueUrl=queue.queue_url, MaxNumberOfMessages=10)
    return sorted(message["Body"] for message in messages.get("Messages", []))


def schedule_names(scheduler: EventBridgeSchedulerClient) -> list[str]:
    return [s["Name"] for s in scheduler.list_schedules(GroupName=GROUP)["Schedules"]]


def test_a_due_schedule_fires_once_and_is_deleted(
    emulator: SchedulerEmulator,
    scheduler: EventBridgeSchedulerClient,
    sqs: SQSClient,
    queue: QueueUrls,
) -> None:
    # Given a one-time schedule that came due a minute ago, to be deleted after completion
    schedule_at(scheduler, sqs, queue, "rule-1-lead-1", "2026-06-12T07:59:00")

    # When the emulator ticks twice
    first, second = emulator.fire_due(), emulator.fire_due()

    # Then it fired once, its input is in the queue, and the schedule is gone
    assert (first, second) == (["rule-1-lead-1"], [])
    assert jobs(sqs, queue) == ['{"job": "rule-1-lead-1"}']
    assert schedule_names(scheduler) == []


def test_a_future_schedule_waits_until_the_clock_passes_it(
    emulator: SchedulerEmulator,
    scheduler: EventBridgeSchedulerClient,
    sqs: SQSClient,
    queue: QueueUrls,
    now: FakeClock,
) -> None:
    # Given a schedule due in 30 minutes
    schedule_at(scheduler, sqs, queue, "later", "2026-06-12T08:30:00")

    # When the clock is still short of it
    now.moment = START + timedelta(minutes=29, seconds=59)
    early = emulator.fire_due()

    # Then nothing fires; and once the clock passes it, it does
    assert early == []
    assert jobs(sqs, queue) == []
    now.moment = START + timedelta(minutes=30)
    assert emulator.fire_due() == ["later"]
    assert jobs(sqs, queue) == ['{"job": "later"}']


def test_a_kept_schedule_fires_only_once(
    emulator: SchedulerEmulator,
    scheduler: EventBridgeSchedulerClient,
    sqs: SQSClient,
    queue: QueueUrls,
) -> None:
    # Given a due schedule that is kept after completion
    schedule_at(scheduler, sqs, queue, "kept", "2026-06-12T07:00:00", after_completion="NONE")

    # When the emulator ticks twice
    fired = [emulator.fire_due(), emulator.fire_due()]

    # Then it fired once and is still there
    assert fired == [["kept"], []]
    assert jobs(sqs, queue) == ['{"job": "kept"}']
    assert schedule_names(scheduler) == ["kept"]


def test_a_disabled_schedule_never_fires(
    emulator: SchedulerEmulator,
    scheduler: EventBridgeSchedulerClient,
    sqs: SQSClient,
    queue: QueueUrls,
) -> None:
    # Given a due schedule that was disabled
    schedule_at(scheduler, sqs, queue, "off", "2026-06-12T07:00:00", state="DISABLED")

    # When the emulator ticks
    fired = emulator.fire_due()

    # Then nothing is sent
    assert fired == []
    assert jobs(sqs, queue) == []


def test_a_recurring_schedule_is_left_alone(
    emulator: SchedulerEmulator,
    scheduler: EventBridgeSchedulerClient,
    sqs: SQSClient,
    queue: QueueUrls,
) -> None:
    # Given a rate() schedule (the service only creates one-time schedules)
    arn = sqs.get_queue_attributes(QueueUrl=queue.queue_url, AttributeNames=["QueueArn"])
    scheduler.create_schedule(
        Name="hourly",
        GroupName=GROUP,
        ScheduleExpression="rate(1 hour)",
        FlexibleTimeWindow={"Mode": "OFF"},
        Target={"Arn": arn["Attributes"]["QueueArn"], "RoleArn": "arn:aws:iam::1:role/r"},
    )

    # When the emulator ticks
    fired = emulator.fire_due()

    # Then nothing is sent
    assert fired == []
    assert jobs(sqs, queue) == []


def test_the_expression_is_read_in_the_schedules_time_zone(
    emulator: SchedulerEmulator,
    scheduler: EventBridgeSchedulerClient,
    sqs: SQSClient,
    queue: QueueUrls,
    now: FakeClock,
) -> None:
    # Given a schedule at 10:00 Berlin time (08:00 UTC in summer) and one at 10:00 UTC
    schedule_at(scheduler, sqs, queue, "berlin", "2026-06-12T10:00:00", timezone="Europe/Berlin")
    schedule_at(scheduler, sqs, queue, "utc", "2026-06-12T10:00:00")

    # When the clock reads 08:00 UTC
    fired = emulator.fire_due()

    # Then only the Berlin one is due
    assert fired == ["berlin"]


def test_advancing_the_clock_fires_what_came_due(
    scheduler: EventBridgeSchedulerClient,
    sqs: SQSClient,
    queue: QueueUrls,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Given the service clock, and a schedule due in two hours by it
    monkeypatch.setattr(clock, "_offset", timedelta())
    due = (clock.now() + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M:%S")
    schedule_at(scheduler, sqs, queue, "in-two-hours", due)
    emulator = SchedulerEmulator(scheduler, sqs, GROUP)

    # When the clock moves one hour, then two more
    _, after_one = emulator.advance(timedelta(hours=1))
    moment, after_three = emulator.advance(timedelta(hours=2))

    # Then the schedule fires with the second move, which reports it
    assert after_one == []
    assert after_three == ["in-two-hours"]
    assert moment - datetime.now(UTC) > timedelta(hours=2, minutes=59)
