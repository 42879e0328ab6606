"""The cost model's arithmetic, on inputs small enough to check by hand."""

from __future__ import annotations

import math

import pytest

from devstack.bench import cost
from devstack.bench.cost import Measured, Mix, Profile
from devstack.bench.load import count_duplicates, percentile
from devstack.bench.targets import MISS, NO_TARGET, PASS, route_target, verdict


def _idle(name: str) -> Profile:
    return Profile(function=name, own_ms=0.0, calls={})


def _measured(**changes: object) -> Measured:
    fields: dict[str, object] = {
        "memory_mb": 1024,
        "send": _idle("send"),
        "authorizer": _idle("authorizer"),
        "delivery_batch": _idle("deliver"),
        "delivery_emails_per_batch": 10.0,
        "feedback_batch": _idle("feedback"),
        "feedback_events_per_batch": 10.0,
        "trigger_batch": _idle("trigger"),
        "trigger_messages_per_batch": 10.0,
        "delayed_trigger_batch": _idle("trigger (delayed)"),
        "delayed_messages_per_batch": 5.0,
        "projection_batch": _idle("project_events"),
        "projected_events_per_batch": 30.0,
    }
    fields.update(changes)
    return Measured(**fields)  # type: ignore[arg-type]


def _line(estimate: cost.Estimate, component: str) -> cost.Line:
    return next(line for line in estimate.lines if line.component.startswith(component))


def test_billed_ms_scales_own_time_adds_call_latency_and_rounds_up() -> None:
    profile = Profile(
        function="f", own_ms=2.1, calls={"dynamodb:GetItem": 2, "dynamodb:TransactWriteItems": 1}
    )
    # 2.1 x 3 = 6.3, plus 2 x 5 + 12 = 22 -> 28.3 -> 29 ms.
    assert profile.billed_ms(3.0) == 29
    assert _idle("g").billed_ms(7.0) == 1  # never below one millisecond


def test_call_latency_falls_back_from_operation_to_service_to_default() -> None:
    assert cost.call_latency_ms("dynamodb:TransactWriteItems") == 12.0
    assert cost.call_latency_ms("dynamodb:GetItem") == 5.0
    assert cost.call_latency_ms("kinesis:PutRecord") == cost.DEFAULT_CALL_LATENCY_MS


def test_cpu_scale_follows_memory_up_to_one_vcpu() -> None:
    assert cost.cpu_scale(256) == pytest.approx(1769 / 256)
    assert cost.cpu_scale(1769) == 1.0
    assert cost.cpu_scale(4096) == 1.0


def test_sqs_requests_count_64_kb_chunks() -> None:
    small = Profile(function="f", own_ms=0, calls={"sqs:SendMessage": 2, "dynamodb:GetItem": 5})
    assert small.sqs_requests() == 2
    large = Profile(function="f", own_ms=0, calls={"sqs:SendMessage": 1}, sqs_payload_bytes=70_000)
    assert large.sqs_requests() == 2


def test_an_all_direct_idle_mix_costs_api_gateway_lambda_requests_and_sqs() -> None:
    mix = Mix(direct_share=1.0, authorizer_runs_per_request=0.0, ses_events_per_email=0.0)
    estimate = cost.estimate(_measured(), mix)

    # One REST request per email: 1,000 x $3.50 per million.
    assert _line(estimate, "API Gateway").dollars == pytest.approx(1000 * 3.5e-6)
    # Lambda: the send route once, delivery once per ten emails, the projection once per 30
    # timeline events (2 per email here: QUEUED and SENT).
    lambda_per_email = 1 + 0.1 + 2 / 30
    assert _line(estimate, "Lambda requests").quantity == pytest.approx(1000 * lambda_per_email)
    # Every idle invocation bills 1 ms at 1 GB.
    assert _line(estimate, "Lambda duration").quantity == pytest.approx(lambda_per_email)
    # SQS: the delivery queue's receive + delete per batch of ten (its sends are counted
    # calls of the send route, here none).
    assert _line(estimate, "SQS").quantity == pytest.approx(1000 * 0.2)
    assert _line(estimate, "EventBridge campaign").quantity == 0
    assert _line(estimate, "EventBridge Scheduler").quantity == 0


def test_dynamodb_units_follow_each_function_share() -> None:
    mix = Mix(direct_share=1.0, authorizer_runs_per_request=0.0, ses_events_per_email=2.0)
    measured = _measured(
        send=Profile(function="send", own_ms=0, calls={}, read_units=4, write_units=10),
        delivery_batch=Profile(function="deliver", own_ms=0, calls={}, write_units=150),
        feedback_batch=Profile(function="feedback", own_ms=0, calls={}, read_units=20),
        projection_batch=Profile(function="project_events", own_ms=0, calls={}, write_units=6),
    )
    estimate = cost.estimate(measured, mix)
    # Writes per email: 10 (send) + 150 / 10 (delivery) + 4 timeline events x 6 / 30 (feed)
    # + 1 (the email named under its recipient) = 26.8; reads: 4 + 2 events x 20 / 10 = 8.
    assert _line(estimate, "DynamoDB writes").quantity == pytest.approx(26_800)
    assert _line(estimate, "DynamoDB writes").dollars == pytest.approx(26_800 * 0.625e-6)
    assert _line(estimate, "DynamoDB reads").quantity == pytest.approx(8_000)
    by_function = cost.dynamodb_units_per_email(measured, mix)
    assert by_function["deliver"] == {"read": 0.0, "write": 15.0}
    assert by_function["project_events"] == {"read": 0.0, "write": pytest.approx(1.8)}


def test_rule_emails_bring_bus_events_scheduler_runs_and_their_queue_traffic() -> None:
    mix = Mix(
        direct_share=0.0,
        delayed_share_of_rules=0.5,
        authorizer_runs_per_request=0.0,
        ses_events_per_email=0.0,
    )
    estimate = cost.estimate(_measured(), mix)
    assert _line(estimate, "API Gateway").quantity == 0
    assert _line(estimate, "EventBridge campaign").quantity == pytest.approx(1000)
    assert _line(estimate, "EventBridge Scheduler").quantity == pytest.approx(500)
    # Records per email: 1 delivery + 1 campaign event + 0.5 fired job = 2.5 -> x 2 / 10 for
    # receive and delete; delivered to SQS by EventBridge (1) and the Scheduler (0.5).
    assert _line(estimate, "SQS").quantity == pytest.approx(1000 * (2.5 * 0.2 + 1.5))
    # Lambda: trigger 0.5 / 10, delayed trigger 0.5 / 5, delivery 1 / 10, projection 2 / 30.
    assert _line(estimate, "Lambda requests").quantity == pytest.approx(1000 * (0.25 + 2 / 30))


def test_the_total_is_a_share_of_ses_price() -> None:
    estimate = cost.Estimate(
        lines=[cost.Line("a", 1000, "x", 0.00002), cost.Line("b", 10, "y", 0.001)],
        extra=[cost.Line("logs", 0.01, "GB", 0.5)],
    )
    # $0.02 + $0.01 = $0.03 against SES's $0.10 per 1,000.
    assert estimate.dollars == pytest.approx(0.03)
    assert estimate.pct_of_ses == pytest.approx(30.0)
    assert estimate.pct_of_ses_with_extra == pytest.approx(35.0)
    assert estimate.lines[0].pct_of_ses == pytest.approx(20.0)


def test_the_cpu_scale_override_changes_only_duration() -> None:
    measured = _measured(
        memory_mb=256, send=Profile(function="send", own_ms=10, calls={}, write_units=1)
    )
    mix = Mix(direct_share=1.0, authorizer_runs_per_request=0.0, ses_events_per_email=0.0)
    scaled, raw = cost.estimate(measured, mix), cost.estimate(measured, mix, scale=1.0)
    send_ms = math.ceil(10 * 1769 / 256)
    idle_ms = 0.1 + 2 / 30  # delivery and projection invocations bill 1 ms each
    assert _line(scaled, "Lambda duration").quantity == pytest.approx(
        (send_ms + idle_ms) * 0.25 / 1000 * 1000
    )
    assert _line(raw, "Lambda duration").quantity == pytest.approx((10 + idle_ms) * 0.25)
    assert _line(scaled, "DynamoDB writes").quantity == _line(raw, "DynamoDB writes").quantity


def test_verdicts_are_ceilings_and_routes_get_theirs() -> None:
    assert verdict(3, 3) == PASS
    assert verdict(3.5, 3.5) == PASS
    assert verdict(4, 3) == MISS
    assert verdict(9, None) == NO_TARGET
    assert route_target("send_message", read_only=False) == 3
    assert route_target("get_quota", read_only=True) == 2
    assert route_target("put_sender", read_only=False) is None


def test_load_statistics() -> None:
    latencies = [float(v) for v in range(1, 101)]
    assert percentile(latencies, 50) == 50.0
    assert percentile(latencies, 99) == 99.0
    assert percentile([7.0], 99) == 7.0
    assert percentile([], 50) == 0.0
    mails = [("A@x.com", "s1"), ("a@x.com", "s1"), ("a@x.com", "s2"), ("b@x.com", "s1")]
    assert count_duplicates(mails) == 1
