"""A campaign's settings applied to its rule messages, through the real routes and trigger
Lambda on moto: a message due inside the lead's cooldown, over its daily cap or outside the
send window is deferred (its run SCHEDULED with the reason, a one-time schedule at the first
minute it may go), never dropped; when the schedule fires it goes, once."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tenx_email import clock
from tenx_email.dal import triggers as store
from tests.events import invoke
from tests.integration.test_triggers import (
    CAMPAIGN,
    IMMEDIATE,
    LEAD,
    OPERATOR,
    calls_made,
    capture,
    create_rule,
    drain,
    fire,
    rule_messages,
    run_trigger,
    runs_of,
    schedules,
    trigger_queue,
)

__all__ = ["trigger_queue"]  # a fixture these tests share with test_triggers.py

# A Saturday, late morning in London and early morning in New York.
SATURDAY = datetime(2027, 1, 9, 10, 30, tzinfo=UTC)
LONDON_OFFICE_HOURS = {
    "timezone": "Europe/London",
    "startTime": "09:00",
    "endTime": "17:00",
    "workingDays": [0, 1, 2, 3, 4],
}


@pytest.fixture
def now_is(monkeypatch: pytest.MonkeyPatch) -> Callable[[datetime], None]:
    """Sets the service's clock to a moment (it then runs on from there)."""

    def set_to(moment: datetime) -> None:
        monkeypatch.setattr(clock, "_offset", moment - datetime.now(UTC))

    return set_to


def put_settings(body: dict[str, Any]) -> None:
    status, answer = invoke("put_campaign_settings", CAMPAIGN, sub=OPERATOR, body=body)
    assert status == 200, answer


def fires_at(schedule: dict[str, Any]) -> datetime:
    moment = schedule["ScheduleExpression"].removeprefix("at(").removesuffix(")")
    return datetime.fromisoformat(moment).replace(tzinfo=UTC)


def test_a_second_rule_within_the_cooldown_waits_for_it_then_sends_once(
    trigger_queue: str, project_events: Callable[[], int]
) -> None:
    put_settings({"contactCooldownMinutes": 60})
    first = create_rule(IMMEDIATE)
    second = create_rule({**IMMEDIATE, "variableMappings": {}})
    capture()
    started = clock.now()
    assert run_trigger(trigger_queue, drain(trigger_queue)) == {"batchItemFailures": []}

    (sent,) = rule_messages()
    assert sent.rule_id == first["ruleId"]
    (deferred,) = schedules()
    assert abs(fires_at(deferred) - (started + timedelta(minutes=60))) < timedelta(seconds=30)
    (run,) = runs_of(second["ruleId"])
    assert run["outcome"] == "SCHEDULED"
    assert run["reason"].startswith("COOLDOWN: deferred until ")

    # Fired early (a clock behind, a copy): still inside the cooldown, so deferred again, not sent
    assert fire(trigger_queue, deferred) == {"batchItemFailures": []}
    assert len(rule_messages()) == 1

    clock.advance(timedelta(minutes=61))
    assert fire(trigger_queue, deferred) == {"batchItemFailures": []}
    assert fire(trigger_queue, deferred) == {"batchItemFailures": []}  # fired twice: sent once
    assert sorted(m.rule_id for m in rule_messages()) == sorted([first["ruleId"], second["ruleId"]])
    project_events()
    assert [r["outcome"] for r in runs_of(second["ruleId"])] == ["MESSAGE_CREATED"]


def test_a_repeated_job_is_not_deferred_by_its_own_message(trigger_queue: str) -> None:
    put_settings({"contactCooldownMinutes": 60, "contactDailyCap": 1})
    rule = create_rule(IMMEDIATE)
    capture()
    jobs = drain(trigger_queue)
    run_trigger(trigger_queue, jobs)
    run_trigger(trigger_queue, jobs)  # SQS delivered it again: its message was counted already
    assert len(rule_messages()) == 1
    assert schedules() == []
    assert [r["outcome"] for r in runs_of(rule["ruleId"])] == []  # MESSAGE_CREATED comes later


def test_over_the_daily_cap_waits_for_the_next_day_in_utc_without_a_window(
    trigger_queue: str, now_is: Callable[[datetime], None]
) -> None:
    now_is(datetime(2027, 1, 12, 22, 0, tzinfo=UTC))
    put_settings({"contactDailyCap": 1})
    create_rule(IMMEDIATE)
    capped = create_rule({**IMMEDIATE, "variableMappings": {}})
    capture()
    run_trigger(trigger_queue, drain(trigger_queue))

    assert len(rule_messages()) == 1
    (deferred,) = schedules()
    assert fires_at(deferred) == datetime(2027, 1, 13, tzinfo=UTC)
    (run,) = runs_of(capped["ruleId"])
    assert run["reason"] == "DAILY_CAP: deferred until 2027-01-13T00:00:00.000Z"


@pytest.mark.parametrize(
    ("lead_zone", "opens"),
    [
        (None, datetime(2027, 1, 11, 9, 0, tzinfo=UTC)),  # Monday 09:00 in London (GMT)
        ("America/New_York", datetime(2027, 1, 11, 14, 0, tzinfo=UTC)),  # 09:00 EST
        ("Not/AZone", datetime(2027, 1, 11, 9, 0, tzinfo=UTC)),  # unknown: the window's zone
    ],
)
def test_a_message_outside_the_window_goes_at_its_opening_on_the_leads_clock(
    trigger_queue: str,
    now_is: Callable[[datetime], None],
    lead_zone: str | None,
    opens: datetime,
) -> None:
    now_is(SATURDAY)
    put_settings({"sendWindow": LONDON_OFFICE_HOURS})
    rule = create_rule(IMMEDIATE)
    capture({**LEAD, "timezone": lead_zone} if lead_zone else LEAD)
    run_trigger(trigger_queue, drain(trigger_queue))

    assert rule_messages() == []
    (deferred,) = schedules()
    assert fires_at(deferred) == opens
    (run,) = runs_of(rule["ruleId"])
    assert (run["outcome"], run["reason"]) == (
        "SCHEDULED",
        f"OUTSIDE_SEND_WINDOW: deferred until {clock.iso(opens)}",
    )

    now_is(opens + timedelta(seconds=5))
    assert fire(trigger_queue, deferred) == {"batchItemFailures": []}
    (message,) = rule_messages()
    assert message.rule_id == rule["ruleId"]


def test_a_delayed_rule_that_fires_outside_the_window_is_deferred_again(
    trigger_queue: str, now_is: Callable[[datetime], None]
) -> None:
    now_is(datetime(2027, 1, 8, 16, 50, tzinfo=UTC))  # a Friday, ten minutes before closing
    put_settings({"sendWindow": LONDON_OFFICE_HOURS})
    rule = create_rule({**IMMEDIATE, "trigger": "LEAD_CAPTURED_DELAYED", "delayMinutes": 15})
    capture()
    run_trigger(trigger_queue, drain(trigger_queue))
    (delay,) = schedules()

    now_is(datetime(2027, 1, 8, 17, 6, tzinfo=UTC))  # the delay ran out after closing
    fire(trigger_queue, delay)
    assert rule_messages() == []
    later = [s for s in schedules() if s["Name"] != delay["Name"]]
    assert [fires_at(s) for s in later] == [datetime(2027, 1, 11, 9, 0, tzinfo=UTC)]
    (run,) = runs_of(rule["ruleId"])
    assert run["reason"] == "OUTSIDE_SEND_WINDOW: deferred until 2027-01-11T09:00:00.000Z"

    now_is(datetime(2027, 1, 11, 9, 0, 1, tzinfo=UTC))
    fire(trigger_queue, later[0])
    assert len(rule_messages()) == 1


def test_settings_changed_before_a_deferral_fires_are_the_ones_that_apply(
    trigger_queue: str, now_is: Callable[[datetime], None]
) -> None:
    now_is(SATURDAY)
    put_settings({"sendWindow": LONDON_OFFICE_HOURS})
    create_rule(IMMEDIATE)
    capture()
    run_trigger(trigger_queue, drain(trigger_queue))
    (deferred,) = schedules()
    put_settings({})  # the window removed: nothing keeps the message any more
    fire(trigger_queue, deferred)
    assert len(rule_messages()) == 1


def test_a_campaign_without_caps_makes_no_extra_calls(trigger_queue: str) -> None:
    put_settings({"sendWindow": {**LONDON_OFFICE_HOURS, "workingDays": list(range(7))}})
    put_settings({"sendWindow": None})
    create_rule(IMMEDIATE)
    capture()
    with calls_made() as calls:
        run_trigger(trigger_queue, drain(trigger_queue))
    assert len(rule_messages()) == 1
    assert calls["dynamodb:BatchGetItem"] == 1
    assert calls["dynamodb:PutItem"] == 1  # the message


def test_a_cooldown_costs_one_read_and_one_write_per_batch_lead(trigger_queue: str) -> None:
    put_settings({"contactCooldownMinutes": 30})
    create_rule(IMMEDIATE)
    capture()
    with calls_made() as calls:
        run_trigger(trigger_queue, drain(trigger_queue))
    assert len(rule_messages()) == 1
    assert calls["dynamodb:BatchGetItem"] == 2  # the batch's reads, then the leads' records
    assert calls["dynamodb:PutItem"] == 2  # the lead's record, then the message


def test_a_record_changed_by_another_batch_fails_the_job_which_then_defers(
    trigger_queue: str,
) -> None:
    put_settings({"contactCooldownMinutes": 60})
    rule = create_rule(IMMEDIATE)
    accepted = capture()
    jobs = drain(trigger_queue)

    from tenx_email.dal.table import table

    rivals: list[dict[str, Any]] = []

    def another_batch_counts_first(params: dict[str, Any], **_: Any) -> None:
        # Just before our record is written, another batch writes the lead's record first.
        if params["Item"]["SK"].startswith("PACING#") and not rivals:
            rivals.append({**params["Item"], "booked": ["msg_rival"]})
            table().put_item(Item=rivals[0])

    events = table().meta.client.meta.events
    events.register("provide-client-params.dynamodb.PutItem", another_batch_counts_first)
    try:
        outcome = run_trigger(trigger_queue, jobs)
    finally:
        events.unregister("provide-client-params.dynamodb.PutItem", another_batch_counts_first)
    assert len(outcome["batchItemFailures"]) == 1
    assert rule_messages() == []

    run_trigger(trigger_queue, jobs)  # SQS delivers it again: the rival's email is counted
    assert rule_messages() == []
    (run,) = runs_of(rule["ruleId"])
    assert run["reason"].startswith("COOLDOWN")
    assert store.get_lead("acme", CAMPAIGN["campaignId"], accepted["leadId"]) is not None


def test_direct_sends_are_never_held_by_a_campaigns_settings(
    trigger_queue: str, delivery_queue: str, now_is: Callable[[datetime], None]
) -> None:
    now_is(SATURDAY)
    put_settings(
        {"contactCooldownMinutes": 600, "contactDailyCap": 1, "sendWindow": LONDON_OFFICE_HOURS}
    )
    body = {
        "senderId": "sender_notifications",
        "to": [LEAD["email"]],
        "purpose": "PRODUCT_NOTIFICATION",
        "consentAttestation": True,
        "templateId": "tmpl_lead_followup",
        "variables": {"firstName": "Asha", "service": "setup"},
    }
    for _ in range(2):
        status, sent = invoke("send_message", {"handle": "acme"}, sub=OPERATOR, body=body)
        assert status == 202, sent
    assert len(drain(delivery_queue, wait_seconds=2)) == 2  # both queued for delivery now
    assert schedules() == []
