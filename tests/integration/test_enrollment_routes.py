"""The enrollment and stats routes of a sequence, on moto through the real handlers: enrolling
a captured lead by hand (idempotent while its enrollment is ACTIVE), listing by status with
paging, stopping one, the stats, and each refusal with its code."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from tenx_email import clock
from tenx_email.roles import Role
from tests.events import invoke
from tests.integration.conftest import MEMBERS
from tests.integration.test_sequence_steps import (
    CAMPAIGN,
    LEAD,
    OPERATOR,
    capture,
    change,
    enrollment_of,
    fire,
    make_sequence,
    pending,
    run_all,
    steps_sent,
    trigger_queue,
)

__all__ = ["trigger_queue"]  # a fixture these tests share with test_triggers.py


def path_of(sequence_id: str, **more: str) -> dict[str, str]:
    return {**CAMPAIGN, "sequenceId": sequence_id, **more}


def enroll(sequence_id: str, lead_id: str, sub: str = OPERATOR) -> tuple[int, Any]:
    return invoke("enroll_lead", path_of(sequence_id), sub=sub, body={"leadId": lead_id})


def test_a_captured_lead_is_enrolled_by_hand_once_while_active(trigger_queue: str) -> None:
    sequence = make_sequence(trigger="CONVERSION")  # a capture enrolls no one in it
    lead_id = capture({**LEAD, "name": "Zoë Ångström, Jr."})["leadId"]
    run_all(trigger_queue)
    status, first = enroll(sequence.sequence_id, lead_id)
    assert status == 202, first
    assert first["enrolled"] is True
    assert (first["enrollment"]["leadId"], first["enrollment"]["status"]) == (lead_id, "ACTIVE")
    status, again = enroll(sequence.sequence_id, lead_id)
    assert (status, again["enrolled"]) == (202, False)
    assert again["enrollment"]["enrollmentId"] == first["enrollment"]["enrollmentId"]
    run_all(trigger_queue)
    assert steps_sent(sequence) == [0]


def test_an_enrollment_whose_first_step_never_left_gets_it_on_a_retry(
    trigger_queue: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tenx_email.adapters import queues

    sequence = make_sequence(trigger="CONVERSION")
    lead_id = capture()["leadId"]
    run_all(trigger_queue)

    def unavailable(*_: Any) -> None:
        raise queues.QueueUnavailable("down")

    with monkeypatch.context() as patched:
        patched.setattr(queues, "enqueue_job", unavailable)
        status, refused = enroll(sequence.sequence_id, lead_id)
    assert (status, refused["error"]) == (503, "campaign_event_queue_unavailable")
    status, retried = enroll(sequence.sequence_id, lead_id)
    assert (status, retried["enrolled"]) == (202, False)  # it stands; its first step now goes
    run_all(trigger_queue)
    assert steps_sent(sequence) == [0]


def test_enrolling_refuses_unknown_leads_sequences_and_archived_ones(trigger_queue: str) -> None:
    sequence = make_sequence()
    status, body = enroll(sequence.sequence_id, "lead_never_captured")
    assert (status, body["error"]) == (404, "lead_not_found")
    status, body = enroll("seq_00000000-0000-0000-0000-000000000000", "lead_x")
    assert (status, body["error"]) == (404, "sequence_not_found")
    status, body = invoke(
        "enroll_lead", path_of(sequence.sequence_id), sub=OPERATOR, body={"leadId": "a b"}
    )
    assert (status, body["error"]) == (400, "invalid_request")
    change(sequence, status="ARCHIVED")
    status, body = enroll(sequence.sequence_id, capture()["leadId"])
    assert (status, body["error"]) == (409, "sequence_archived")


def test_enrollments_are_listed_by_status_with_paging_and_stopped_by_hand(
    trigger_queue: str,
) -> None:
    sequence = make_sequence()
    for i in range(3):
        capture({**LEAD, "email": f"lead+{i}@example.com", "leadId": f"lead_{i}"})
    run_all(trigger_queue)
    path = path_of(sequence.sequence_id)
    status, page = invoke("list_enrollments", path, sub=OPERATOR, query={"limit": "2"})
    assert status == 200, page
    assert [e["leadId"] for e in page["enrollments"]] == ["lead_0", "lead_1"]
    assert page["enrollments"][0]["step"] == 2
    assert page["enrollments"][0]["nextStepAt"] is not None
    query = {"limit": "2", "nextToken": page["nextToken"]}
    _, rest = invoke("list_enrollments", path, sub=OPERATOR, query=query)
    assert [e["leadId"] for e in rest["enrollments"]] == ["lead_2"]

    stop = path_of(sequence.sequence_id, leadId="lead_1")
    assert invoke("stop_enrollment", stop, sub=OPERATOR)[0] == 204
    assert invoke("stop_enrollment", stop, sub=OPERATOR)[0] == 204  # repeatable
    stopped = enrollment_of(sequence, "lead_1")
    assert (stopped.status.value, stopped.exit_reason) == ("STOPPED", "stopped by an operator")
    _, only = invoke("list_enrollments", path, sub=OPERATOR, query={"status": "STOPPED"})
    assert [e["leadId"] for e in only["enrollments"]] == ["lead_1"]
    missing = path_of(sequence.sequence_id, leadId="lead_nobody")
    status, body = invoke("stop_enrollment", missing, sub=OPERATOR)
    assert (status, body["error"]) == (404, "enrollment_not_found")

    # Its pending schedule fires and does nothing
    clock.advance(timedelta(minutes=21))
    assert fire(trigger_queue, pending(enrollment_of(sequence, "lead_0"))) == {
        "batchItemFailures": []
    }
    assert sorted(steps_sent(sequence)) == [0, 0, 0, 2]


def test_enrollments_are_for_operators_and_stats_for_creators_too(
    trigger_queue: str, project_events: Callable[[], int]
) -> None:
    sequence = make_sequence()
    lead_id = capture()["leadId"]
    run_all(trigger_queue)
    project_events()
    creator = MEMBERS[Role.CREATOR]
    path = path_of(sequence.sequence_id)
    status, body = invoke("list_enrollments", path, sub=creator)
    assert (status, body["error"]) == (403, "insufficient_role")
    status, body = enroll(sequence.sequence_id, lead_id, sub=creator)
    assert (status, body["error"]) == (403, "insufficient_role")
    status, stats = invoke("get_sequence_stats", path, sub=creator)
    assert status == 200, stats
    assert stats["stats"] == {
        "sequenceId": sequence.sequence_id,
        "enrolled": 1,
        "active": 1,
        "completed": 0,
        "stopped": 0,
        "exited": {},
        "sentByStep": [{"step": 0, "sent": 1}, {"step": 2, "sent": 0}, {"step": 4, "sent": 0}],
    }
