"""Sequence stats, counted by the event projection from enrollments' changes and steps'
messages (the stream), once per stream batch however often it is retried."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from tenx_email import clock
from tenx_email.dal import sequence_stats as stats_store
from tenx_email.services import sequence_stats
from tests.events import invoke
from tests.integration.sequence_support import WELCOME_DRIP
from tests.integration.test_sequence_steps import (
    CAMPAIGN,
    LEAD,
    OPERATOR,
    capture,
    enrollment_of,
    fire,
    make_sequence,
    pending,
    run_all,
    trigger_queue,
)

__all__ = ["trigger_queue"]  # a fixture these tests share with test_triggers.py


def test_stats_count_enrollments_their_ends_and_each_steps_messages(
    trigger_queue: str, project_events: Callable[[], int]
) -> None:
    sequence = make_sequence(steps=WELCOME_DRIP[:3], exitOn=["CONVERSION"])
    leads = [
        capture({**LEAD, "email": f"lead{i}@example.com", "leadId": f"lead_{i}"}) for i in range(3)
    ]
    run_all(trigger_queue)
    project_events()
    assert stats_store.read("acme", sequence.sequence_id) == {
        "enrolled": 3,
        "active": 3,
        "sent_0": 3,
    }

    invoke("record_conversion", CAMPAIGN, sub=OPERATOR, body={"leadId": leads[0]["leadId"]})
    run_all(trigger_queue)
    clock.advance(timedelta(minutes=21))
    for lead in leads[1:]:
        fire(trigger_queue, pending(enrollment_of(sequence, lead["leadId"])))
    project_events()
    assert stats_store.read("acme", sequence.sequence_id) == {
        "enrolled": 3,
        "active": 0,
        "completed": 2,
        "exited_CONVERSION": 1,
        "sent_0": 3,
        "sent_2": 2,
    }


def test_a_retried_stream_batch_counts_once(
    trigger_queue: str, project_events: Callable[[], int], monkeypatch: pytest.MonkeyPatch
) -> None:
    sequence = make_sequence()
    capture()
    run_all(trigger_queue)
    real_add = stats_store.add
    died: list[bool] = []

    def add_then_die(*args: Any, **kwargs: Any) -> bool:
        added = real_add(*args, **kwargs)
        if not died:
            died.append(added)
            raise RuntimeError("killed after counting")
        return added

    monkeypatch.setattr(sequence_stats.store, "add", add_then_die)
    project_events()  # dies after counting: the event source runs the same batch again
    project_events()
    assert died == [True]
    assert stats_store.read("acme", sequence.sequence_id) == {
        "enrolled": 1,
        "active": 1,
        "sent_0": 1,
    }
