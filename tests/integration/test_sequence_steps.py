"""Sequences through the real trigger Lambda on moto, with the Scheduler's schedules fired as
the local scheduler fires them: enrollment by a campaign event, each step's message, waits,
exits, a schedule that fires twice, a deleted, archived, paused and resumed sequence."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from tenx_email import clock
from tenx_email.campaign_models import (
    Enrollment,
    EnrollmentStatus,
    Sequence,
)
from tenx_email.dal import enrollments
from tenx_email.dal.table import table
from tenx_email.services import quotas, sequence_cascades, sequence_events
from tests.events import invoke
from tests.integration.sequence_support import WELCOME_DRIP, create_sequence, sequence_body
from tests.integration.test_campaign_pacing import put_settings
from tests.integration.test_triggers import (
    CAMPAIGN,
    LEAD,
    OPERATOR,
    calls_made,
    capture,
    drain,
    fire,
    lead,
    rule_messages,
    run_trigger,
    schedules,
    trigger_queue,
)

__all__ = ["trigger_queue"]  # a fixture these tests share with test_triggers.py


def as_operator(route: str, path: dict[str, str], body: Any = None) -> tuple[int, Any]:
    return invoke(route, path, sub=OPERATOR, body=body)


def make_sequence(steps: list[dict[str, Any]] = WELCOME_DRIP, **fields: Any) -> Sequence:
    return create_sequence(as_operator, CAMPAIGN, sequence_body(steps, **fields))


def change(sequence: Sequence, **fields: Any) -> None:
    """PUT the sequence again with `fields` changed (a DELETE for `deleted`)."""
    path = {**CAMPAIGN, "sequenceId": sequence.sequence_id}
    if fields.pop("deleted", False):
        assert as_operator("delete_sequence", path)[0] == 204
        return
    status, answer = as_operator("update_sequence", path, sequence_body(**fields))
    assert status == 200, answer


def run_all(queue: str) -> dict[str, Any]:
    """Run everything waiting on the trigger-jobs queue (first steps queued by enrollments
    included) until it is empty; the last batch's answer."""
    answer: dict[str, Any] = {"batchItemFailures": []}
    while jobs := drain(queue):
        answer = run_trigger(queue, jobs)
        assert answer == {"batchItemFailures": []}
    return answer


def enrollment_of(sequence: Sequence, lead_id: str) -> Enrollment:
    found = enrollments.get("acme", sequence.sequence_id, lead_id)
    assert found is not None
    return found


def steps_sent(sequence: Sequence) -> list[int | None]:
    return sorted(m.sequence_step for m in rule_messages() if m.sequence_id == sequence.sequence_id)


def pending(enrollment: Enrollment) -> dict[str, Any]:
    (schedule,) = [s for s in schedules() if s["Name"] == enrollment.pending_schedule]
    return schedule


def test_a_drip_sends_each_step_after_its_wait_and_nothing_after_a_conversion(
    trigger_queue: str,
) -> None:
    sequence = make_sequence(exitOn=["CONVERSION"])
    lead_id = capture()["leadId"]
    run_all(trigger_queue)

    (first,) = rule_messages()
    assert (first.sequence_id, first.sequence_version, first.sequence_step) == (
        sequence.sequence_id,
        1,
        0,
    )
    assert first.subject == "Thanks for reaching out, Asha"
    _, shown = invoke(
        "get_message", {"handle": "acme", "messageId": first.message_id}, sub=OPERATOR
    )
    assert shown["message"]["sequence"] == {
        "sequenceId": sequence.sequence_id,
        "version": 1,
        "step": 0,
    }
    assert first.purpose.value == "PRODUCT_NOTIFICATION"
    assert first.list_unsubscribe
    enrollment = enrollment_of(sequence, lead_id)
    assert (enrollment.status.value, enrollment.step) == ("ACTIVE", 2)
    assert enrollment.next_step_at is not None
    assert abs(enrollment.next_step_at - (clock.now() + timedelta(minutes=20))) < timedelta(
        seconds=30
    )

    clock.advance(timedelta(minutes=20))
    assert fire(trigger_queue, pending(enrollment)) == {"batchItemFailures": []}
    assert steps_sent(sequence) == [0, 2]
    enrollment = enrollment_of(sequence, lead_id)
    last_step = pending(enrollment)

    status, _ = invoke("record_conversion", CAMPAIGN, sub=OPERATOR, body={"leadId": lead_id})
    assert status == 202
    run_all(trigger_queue)
    exited = enrollment_of(sequence, lead_id)
    assert (exited.status.value, exited.exit_reason) == ("EXITED", "CONVERSION")
    assert exited.pending_schedule is None
    assert last_step["Name"] not in {s["Name"] for s in schedules()}  # removed at once

    clock.advance(timedelta(days=2))
    assert fire(trigger_queue, last_step) == {"batchItemFailures": []}  # a late copy anyway
    assert steps_sent(sequence) == [0, 2]


def test_the_last_step_completes_the_enrollment_and_a_schedule_fired_twice_sends_once(
    trigger_queue: str,
) -> None:
    sequence = make_sequence(steps=WELCOME_DRIP[:3])
    lead_id = capture()["leadId"]
    run_all(trigger_queue)
    schedule = pending(enrollment_of(sequence, lead_id))
    clock.advance(timedelta(minutes=21))
    assert fire(trigger_queue, schedule) == {"batchItemFailures": []}
    assert fire(trigger_queue, schedule) == {"batchItemFailures": []}
    assert steps_sent(sequence) == [0, 2]
    done = enrollment_of(sequence, lead_id)
    assert (done.status.value, done.step, done.pending_schedule) == ("COMPLETED", 3, None)


def test_a_lead_is_enrolled_once_while_its_enrollment_is_active(trigger_queue: str) -> None:
    sequence = make_sequence()
    capture({**LEAD, "leadId": "lead_asha"})
    run_all(trigger_queue)
    first = enrollment_of(sequence, "lead_asha")
    capture({**LEAD, "leadId": "lead_asha"})  # captured again: a new event, same lead
    run_all(trigger_queue)
    assert enrollment_of(sequence, "lead_asha").enrollment_id == first.enrollment_id
    assert steps_sent(sequence) == [0]


def test_an_event_delivered_twice_enrolls_once_and_sends_the_first_step_once(
    trigger_queue: str,
) -> None:
    sequence = make_sequence()
    capture()
    jobs = drain(trigger_queue)
    run_trigger(trigger_queue, jobs)
    run_trigger(trigger_queue, jobs)
    run_all(trigger_queue)
    assert steps_sent(sequence) == [0]


@pytest.mark.parametrize(
    ("how", "reason"),
    [
        ({"deleted": True}, "the sequence was deleted"),
        ({"status": "ARCHIVED"}, "the sequence was archived"),
    ],
)
def test_a_step_of_a_deleted_or_archived_sequence_stops_its_enrollment(
    trigger_queue: str, how: dict[str, Any], reason: str
) -> None:
    sequence = make_sequence()
    lead_id = capture()["leadId"]
    run_all(trigger_queue)
    schedule = pending(enrollment_of(sequence, lead_id))
    change(sequence, **how)
    clock.advance(timedelta(minutes=21))
    fire(trigger_queue, schedule)
    stopped = enrollment_of(sequence, lead_id)
    assert (stopped.status.value, stopped.exit_reason) == ("STOPPED", reason)
    assert steps_sent(sequence) == [0]


@pytest.mark.parametrize("how", [{"status": "ARCHIVED"}, {"deleted": True}])
def test_archiving_or_deleting_stops_every_enrollment_and_removes_its_schedule(
    trigger_queue: str,
    project_events: Callable[[], int],
    monkeypatch: pytest.MonkeyPatch,
    how: dict[str, Any],
) -> None:
    sequence = make_sequence()
    for i in range(3):
        capture({**lead(i), "leadId": f"lead_{i}"})
    run_all(trigger_queue)
    assert len(schedules()) == 3
    change(sequence, **how)
    monkeypatch.setattr(sequence_cascades, "PAGE_SIZE", 2)
    project_events()  # the projection sees the change and starts the cascade
    run_all(trigger_queue)  # two pages: the second queued by the first
    assert {enrollment_of(sequence, f"lead_{i}").status.value for i in range(3)} == {"STOPPED"}
    assert schedules() == []


def test_a_paused_sequence_holds_its_enrollments_and_resuming_sends_the_late_step_at_once(
    trigger_queue: str, project_events: Callable[[], int]
) -> None:
    sequence = make_sequence()
    lead_id = capture()["leadId"]
    run_all(trigger_queue)
    schedule = pending(enrollment_of(sequence, lead_id))
    change(sequence, status="PAUSED")
    project_events()  # a pause starts nothing: the steps hold themselves when they come
    assert drain(trigger_queue) == []
    clock.advance(timedelta(minutes=21))
    fire(trigger_queue, schedule)
    held = enrollment_of(sequence, lead_id)
    assert held.held
    assert held.status.value == "ACTIVE"
    assert steps_sent(sequence) == [0]

    change(sequence, status="ACTIVE")
    project_events()
    run_all(trigger_queue)
    assert steps_sent(sequence) == [0, 2]
    assert not enrollment_of(sequence, lead_id).held


def test_a_lead_suppressed_before_a_step_exits_with_the_reason(trigger_queue: str) -> None:
    sequence = make_sequence()
    lead_id = capture()["leadId"]
    run_all(trigger_queue)
    schedule = pending(enrollment_of(sequence, lead_id))
    status, _ = invoke(
        "put_suppression",
        {"handle": "acme", "email": "asha@example.com"},
        sub=OPERATOR,
        body={"reason": "asked by phone"},
    )
    assert status in (200, 201), status
    clock.advance(timedelta(minutes=21))
    fire(trigger_queue, schedule)
    exited = enrollment_of(sequence, lead_id)
    assert (exited.status.value, exited.exit_reason) == ("EXITED", "SUPPRESSED")
    assert steps_sent(sequence) == [0]


def test_the_campaigns_cooldown_defers_a_step_with_the_reason(trigger_queue: str) -> None:
    put_settings({"contactCooldownMinutes": 60})
    sequence = make_sequence()
    lead_id = capture()["leadId"]
    run_all(trigger_queue)
    clock.advance(timedelta(minutes=21))
    fire(trigger_queue, pending(enrollment_of(sequence, lead_id)))
    waiting = enrollment_of(sequence, lead_id)
    assert waiting.step == 2
    assert waiting.note is not None
    assert waiting.note.startswith("COOLDOWN: deferred until ")
    clock.advance(timedelta(minutes=40))
    fire(trigger_queue, pending(waiting))
    assert steps_sent(sequence) == [0, 2]


def test_a_step_the_days_quota_has_no_room_for_waits_for_the_next_utc_day(
    trigger_queue: str,
) -> None:
    quotas.set_daily_limit("acme", 1)
    sequence = make_sequence()
    first, second = capture(lead(1))["leadId"], capture(lead(2))["leadId"]
    run_all(trigger_queue)
    assert steps_sent(sequence) == [0]  # one recipient of room: the other step waits
    held = [
        e for e in (enrollment_of(sequence, first), enrollment_of(sequence, second)) if e.step == 0
    ]
    assert len(held) == 1
    tomorrow = (clock.now() + timedelta(days=1)).strftime("%Y-%m-%dT00:00:00")
    assert held[0].note == f"DAILY_QUOTA: deferred until {tomorrow}.000Z"
    clock.advance(timedelta(days=1))
    fire(trigger_queue, pending(held[0]))
    assert steps_sent(sequence) == [0, 0]


def test_a_batch_of_steps_makes_at_most_three_aws_calls_a_step(
    trigger_queue: str, project_events: Callable[[], int]
) -> None:
    sequence = make_sequence()
    for i in range(10):
        capture({**lead(i), "leadId": f"lead_{i}"})
    run_trigger(trigger_queue, drain(trigger_queue))  # the captures: enrollments
    first_steps = drain(trigger_queue)
    assert len(first_steps) == 10
    with calls_made() as calls:
        assert run_trigger(trigger_queue, first_steps) == {"batchItemFailures": []}
    assert steps_sent(sequence) == [0] * 10
    # Two reads and one SendMessageBatch for the batch; a schedule and a transaction a step
    assert calls == {
        "dynamodb:BatchGetItem": 2,
        "sqs:SendMessageBatch": 1,
        "scheduler:CreateSchedule": 10,
        "dynamodb:TransactWriteItems": 10,
    }
    assert sum(calls.values()) / 10 <= 3
    assert json.loads(first_steps[0]["Body"])["kind"] == "sequence-step"


def test_a_conversion_landing_while_a_step_is_being_sent_keeps_its_message_out(
    trigger_queue: str,
) -> None:
    sequence = make_sequence(exitOn=["CONVERSION"])
    lead_id = capture()["leadId"]
    run_all(trigger_queue)
    schedule = pending(enrollment_of(sequence, lead_id))
    clock.advance(timedelta(minutes=21))

    exits: list[Enrollment] = []

    def conversion_lands_first(**_: Any) -> None:
        # After the step job read the enrollment ACTIVE, before it stores its message.
        if not exits:
            exits.append(enrollment_of(sequence, lead_id))
            sequence_events.stop(exits[0], EnrollmentStatus.EXITED, "CONVERSION", clock.now())

    events = table().meta.client.meta.events
    events.register("provide-client-params.dynamodb.TransactWriteItems", conversion_lands_first)
    try:
        outcome = fire(trigger_queue, schedule)
    finally:
        events.unregister(
            "provide-client-params.dynamodb.TransactWriteItems", conversion_lands_first
        )
    assert len(outcome["batchItemFailures"]) == 1  # the job fails; run again, it does nothing
    assert fire(trigger_queue, schedule) == {"batchItemFailures": []}
    assert steps_sent(sequence) == [0]
    assert enrollment_of(sequence, lead_id).status.value == "EXITED"


def test_a_lead_captured_and_converted_in_one_batch_is_enrolled_then_exits(
    trigger_queue: str,
) -> None:
    sequence = make_sequence(exitOn=["CONVERSION"])
    lead_id = capture()["leadId"]
    status, _ = invoke("record_conversion", CAMPAIGN, sub=OPERATOR, body={"leadId": lead_id})
    assert status == 202
    both = drain(trigger_queue)
    assert len(both) == 2
    assert run_trigger(trigger_queue, both) == {"batchItemFailures": []}
    run_all(trigger_queue)  # its first step's job finds it ended
    exited = enrollment_of(sequence, lead_id)
    assert (exited.status.value, exited.exit_reason) == ("EXITED", "CONVERSION")
    assert steps_sent(sequence) == []


def test_an_edit_leaves_running_enrollments_on_their_version_and_enrolls_new_leads_on_its_own(
    trigger_queue: str,
) -> None:
    sequence = make_sequence(steps=WELCOME_DRIP[:3])
    first_lead = capture({**LEAD, "leadId": "lead_before"})["leadId"]
    run_all(trigger_queue)
    # The edit: a longer sequence whose second email renders another variable
    change(
        sequence,
        steps=[*WELCOME_DRIP[:2], {**WELCOME_DRIP[2], "variableMappings": {}}, *WELCOME_DRIP[3:]],
    )
    second_lead = capture({**LEAD, "email": "ravi@example.com", "leadId": "lead_after"})["leadId"]
    run_all(trigger_queue)
    clock.advance(timedelta(minutes=21))
    fire(trigger_queue, pending(enrollment_of(sequence, first_lead)))
    fire(trigger_queue, pending(enrollment_of(sequence, second_lead)))

    before, after = enrollment_of(sequence, first_lead), enrollment_of(sequence, second_lead)
    assert (before.version, before.status.value, before.step) == (1, "COMPLETED", 3)
    assert (after.version, after.status.value, after.step) == (2, "ACTIVE", 4)
    versions = {
        (m.campaign_event_id == before.event.event_id, m.sequence_version) for m in rule_messages()
    }
    assert versions == {(True, 1), (False, 2)}
