"""The traffic scenarios' arithmetic (traffic.py), on inputs small enough to check by hand."""

from __future__ import annotations

from dataclasses import replace

import pytest

from devstack.bench import cost, traffic
from devstack.bench.cost import Measured, Mix, Profile
from devstack.bench.traffic import Sampling, Traffic
from tenx_email.resources import API_TRACE_SAMPLING


def _profile(name: str, **changes: object) -> Profile:
    return Profile(function=name, own_ms=0.0, calls={}, **changes)  # type: ignore[arg-type]


def _measured(**changes: object) -> Measured:
    fields: dict[str, object] = {
        "memory_mb": 1024,
        "send": _profile("send"),
        "authorizer": _profile("authorizer"),
        "delivery_batch": _profile("deliver"),
        "delivery_emails_per_batch": 10.0,
        "feedback_batch": _profile("feedback"),
        "feedback_events_per_batch": 10.0,
        "trigger_batch": _profile("trigger"),
        "trigger_messages_per_batch": 10.0,
        "delayed_trigger_batch": _profile("trigger (delayed)"),
        "delayed_messages_per_batch": 10.0,
        "projection_batch": _profile("project_events"),
        "projected_events_per_batch": 30.0,
    }
    fields.update(changes)
    return Measured(**fields)  # type: ignore[arg-type]


def _traffic(**changes: object) -> Traffic:
    fields: dict[str, object] = {
        "name": "t",
        "description": "test",
        "handles": 1,
        "emails_per_second": 100.0,
        "records_per_sqs_batch": 10.0,
        "cold_start_share": 0.0,
        "custom_metrics": 0,
        "authorizer_runs_per_request": 0.0,
        # X-Ray's default everywhere (the scenarios have the deployed rule: below).
        "api_sampling": Sampling(),
        "consumers_pass_through": False,
    }
    fields.update(changes)
    return Traffic(**fields)  # type: ignore[arg-type]


def test_default_sampling_records_the_reservoir_then_five_percent() -> None:
    rule = Sampling()
    assert rule.recorded_share(0.5) == 1.0  # below a request a second: every one
    assert rule.recorded_share(21.0) == pytest.approx((1 + 0.05 * 20) / 21)
    assert Sampling(0.0, 0.01).recorded_share(3.0) == pytest.approx(0.01)
    assert rule.recorded_share(0.0) == 0.0


def test_the_scenarios_trace_as_the_stack_is_deployed() -> None:
    for scenario in (traffic.HIGH_VOLUME, traffic.LOW_TRAFFIC):
        assert scenario.consumers_pass_through
        assert scenario.api_sampling == Sampling(
            API_TRACE_SAMPLING.reservoir_per_second, API_TRACE_SAMPLING.fixed_rate
        )


def test_traces_start_at_the_api_and_at_each_consumer_invocation() -> None:
    # 1 email/s, all direct: 1 API request/s (recorded whole, the authorizer and the send
    # joining its trace); deliver 0.1 invocations per email at 0.1/s: all recorded.
    mix = Mix(direct_share=1.0, ses_events_per_email=0.0, outcome_events_per_email=0.0)
    measured = _measured(projected_events_per_batch=1.0)
    low = _traffic(emails_per_second=1.0)
    # API 1 + deliver 0.1 + projection 1 (one event per email, batches of 1)
    assert traffic.traces_per_email(measured, mix, low) == pytest.approx(1 + 0.1 + 1)
    # At 100 emails/s the API records (1 + 0.05 * 99) / 100 of its requests, deliver
    # (1 + 0.05 * 9) / 10 of its 10 invocations a second.
    high = _traffic(emails_per_second=100.0)
    api = (1 + 0.05 * 99) / 100
    deliver = 0.1 * (1 + 0.05 * 9) / 10
    projection = 1 * (1 + 0.05 * 99) / 100
    assert traffic.traces_per_email(measured, mix, high) == pytest.approx(
        api + deliver + projection
    )
    # PassThrough consumers record as often as the API's requests did.
    passing = replace(high, consumers_pass_through=True)
    assert traffic.traces_per_email(measured, mix, passing) == pytest.approx(api * (1 + 0.1 + 1))


def test_log_bytes_become_gigabytes_with_lambda_lines_and_a_warning_level() -> None:
    assert traffic.gigabytes(2.5e9) == 2.5
    mix = Mix(direct_share=1.0, ses_events_per_email=0.0, outcome_events_per_email=0.0)
    send = _profile("send", log_bytes=1000.0, metric_log_bytes=400.0, info_log_bytes=500.0)
    measured = _measured(send=send, projected_events_per_batch=1.0)
    at = _traffic(emails_per_second=1000.0, api_sampling=Sampling(0.0, 0.0))
    lines, metrics = traffic.log_bytes_per_email(measured, mix, at)
    platform = traffic.LAMBDA_PLATFORM_LOG_BYTES
    # send: 600 B of lines + platform; the authorizer (0.1 a request), deliver (0.1 an email)
    # and projection (1): platform only; traced invocations add the REPORT line's X-Ray fields.
    traced = traffic.traces_per_email(measured, mix, at)
    assert lines == pytest.approx(600 + platform * 2.2 + traced * traffic.XRAY_REPORT_LOG_BYTES)
    assert metrics == pytest.approx(400.0)
    quiet, _ = traffic.log_bytes_per_email(measured, mix, replace(at, log_level="WARNING"))
    assert lines - quiet == pytest.approx(500.0)


def test_smaller_batches_mean_more_invocations_and_once_a_batch_calls_stay() -> None:
    deliver = Profile(
        function="deliver",
        own_ms=20.0,
        calls={"dynamodb:BatchGetItem": 1.0, "sesv2:SendEmail": 10.0},
        log_bytes=1100.0,
        metric_log_bytes=100.0,
    )
    measured = _measured(delivery_batch=deliver)
    mix = Mix()
    small = traffic.rebatched(measured, _traffic(records_per_sqs_batch=2.0), mix)
    assert small.delivery_emails_per_batch == pytest.approx(2.0)
    assert small.delivery_batch.calls == {"dynamodb:BatchGetItem": 1.0, "sesv2:SendEmail": 2.0}
    assert small.delivery_batch.own_ms == pytest.approx(4.0)
    assert small.delivery_batch.log_bytes == pytest.approx(200.0 + 100.0)
    full = {s.profile.function: s.invocations for s in cost.shares(measured, mix)}
    halves = {s.profile.function: s.invocations for s in cost.shares(small, mix)}
    assert halves["deliver"] == pytest.approx(5 * full["deliver"]) == pytest.approx(0.5)


def test_a_batching_window_gathers_records_up_to_the_batch_size() -> None:
    windowed = _traffic(records_per_sqs_batch=2.0, sqs_batching_window_seconds=20.0)
    assert traffic.records_per_batch(windowed, 0.25) == pytest.approx(5.0)
    assert traffic.records_per_batch(windowed, 0.01) == pytest.approx(2.0)
    assert traffic.records_per_batch(windowed, 5.0) == pytest.approx(10.0)
    assert traffic.stream_batch(30.0, 0.1, 5.0) == 1.0
    assert traffic.stream_batch(30.0, 2.0, 5.0) == pytest.approx(10.0)


def test_metric_storage_is_amortized_over_the_month() -> None:
    at = _traffic(emails_per_second=1.0, custom_metrics=5)
    monthly = traffic.SECONDS_PER_MONTH
    assert at.monthly_emails == monthly
    assert traffic.metric_storage_per_1000(at) == pytest.approx(5 * 0.30 / monthly * 1000)
    line = next(
        line
        for line in traffic.observability_lines(_measured(), Mix(), at, 0.0)
        if line.component == "CloudWatch metric storage"
    )
    assert line.dollars == pytest.approx(traffic.metric_storage_per_1000(at))


def test_the_authorizer_runs_once_per_cache_window_of_a_handle() -> None:
    # One handle, 1 direct request every 100 s, TTL 300 s: each run covers 3 more requests.
    at = _traffic(
        handles=1,
        emails_per_second=0.02,
        authorizer_runs_per_request=None,
        authorizer_cache_ttl_seconds=300.0,
    )
    assert at.authorizer_runs(0.5) == pytest.approx(1 / (1 + 0.01 * 300))
    assert _traffic(authorizer_runs_per_request=0.1).authorizer_runs(0.5) == 0.1


def test_cold_starts_bill_their_init_at_the_stated_share() -> None:
    at = _traffic(cold_start_share=0.1)
    mix = Mix(direct_share=1.0, ses_events_per_email=0.0, outcome_events_per_email=0.0)
    measured = _measured(projected_events_per_batch=1.0)
    line = next(
        line
        for line in traffic.observability_lines(measured, mix, at, 500.0)
        if line.component.startswith("Lambda cold starts")
    )
    invocations = traffic.invocations_per_email(measured, mix)
    assert line.quantity == pytest.approx(1000 * invocations * 0.1 * 0.5)
    assert traffic.cold_start_ms(None, 6.0)[0] == traffic.DEFAULT_COLD_START_MS
    modules = {"modules": {"a": {"cpuMs": 100.0}, "b": {"cpuMs": 200.0}}}
    assert traffic.cold_start_ms(modules, 2.0)[0] == pytest.approx(300.0)


def test_a_scenario_adds_its_observability_lines_to_the_estimate() -> None:
    scenario = traffic.estimate(_measured(), _traffic(custom_metrics=3), 0.0)
    assert scenario.dollars == pytest.approx(
        scenario.estimate.dollars + sum(line.dollars for line in scenario.observability)
    )
    assert scenario.pct_of_ses == pytest.approx(100 * scenario.dollars / 0.10)
