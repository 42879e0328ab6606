"""From the in-process measurements to the cost model's inputs, and the model's JSON."""

from __future__ import annotations

import ast
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

from devstack.bench import cost, sequence_cost, traffic
from devstack.bench.results import ConsumerFigure, InProcessResult
from devstack.bench.sequence_cost import SequenceSteps

REPO = Path(__file__).resolve().parents[2]


def configured_memory_mb(constants: Path = REPO / "infra" / "constants.py") -> int:
    """`LAMBDA_MEMORY_MB` from infra/constants.py, read without importing the CDK."""
    for node in ast.parse(constants.read_text()).body:
        if (
            isinstance(node, ast.Assign)
            and any(isinstance(t, ast.Name) and t.id == "LAMBDA_MEMORY_MB" for t in node.targets)
            and isinstance(node.value, ast.Constant)
            and isinstance(node.value.value, int)
        ):
            return node.value.value
    raise ValueError(f"no literal LAMBDA_MEMORY_MB in {constants}")


def _batch_profile(figure: ConsumerFigure) -> tuple[cost.Profile, float]:
    """A consumer's average batch, and how many units (emails, events, messages) it handled."""
    units_per_batch = figure.units / figure.batches
    return (
        cost.Profile(
            function=figure.function,
            own_ms=figure.own_ms_per_batch,
            calls=cost.per_batch(figure.by_call_per_unit, units_per_batch),
            read_units=figure.read_units_per_unit * units_per_batch,
            write_units=figure.write_units_per_unit * units_per_batch,
            log_bytes=figure.log_bytes_per_batch,
            metric_log_bytes=figure.metric_log_bytes_per_batch,
            info_log_bytes=figure.info_log_bytes_per_batch,
        ),
        units_per_batch,
    )


def webhooks(result: InProcessResult) -> cost.Webhooks | None:
    """The fan-out's and sender's average batches; the sender's with the assumed wait for
    one answer per batch (its POSTs run at the same time)."""
    figure = result.webhooks
    if figure is None:
        return None
    fan_out, per_fan_out = _batch_profile(figure.fan_out)
    sender, per_sender = _batch_profile(figure.sender)
    return cost.Webhooks(
        fan_out_batch=fan_out,
        deliveries_per_fan_out_batch=per_fan_out,
        sender_batch=replace(sender, wait_ms=cost.WEBHOOK_POST_LATENCY_MS),
        deliveries_per_sender_batch=per_sender,
        deliveries_per_email=figure.deliveries_per_email,
        subscribed_types=tuple(figure.subscribed_types),
    )


def measured(result: InProcessResult, memory_mb: int) -> cost.Measured:
    send = next(r for r in result.routes if r.route_id == "send_message")
    delivery, emails = _batch_profile(result.delivery)
    feedback, events = _batch_profile(result.feedback)
    trigger, messages = _batch_profile(result.trigger)
    delayed, delayed_messages = _batch_profile(result.trigger_delayed)
    projection, projected = _batch_profile(result.projection)
    return cost.Measured(
        memory_mb=memory_mb,
        send=cost.Profile(
            function="send_message",
            own_ms=send.own_ms,
            calls={k: float(v) for k, v in send.by_call.items()},
            read_units=send.read_units,
            write_units=send.write_units,
            log_bytes=send.log_bytes,
            metric_log_bytes=send.metric_log_bytes,
            info_log_bytes=send.info_log_bytes,
        ),
        authorizer=cost.Profile(
            function="authorizer",
            own_ms=result.authorizer.own_ms,
            calls={},
            log_bytes=result.authorizer.log_bytes,
            metric_log_bytes=result.authorizer.metric_log_bytes,
            info_log_bytes=result.authorizer.info_log_bytes,
        ),
        delivery_batch=delivery,
        delivery_emails_per_batch=emails,
        feedback_batch=feedback,
        feedback_events_per_batch=events,
        trigger_batch=trigger,
        trigger_messages_per_batch=messages,
        delayed_trigger_batch=delayed,
        delayed_messages_per_batch=delayed_messages,
        projection_batch=projection,
        projected_events_per_batch=projected,
        webhooks=webhooks(result),
    )


def cost_document(inputs: cost.Measured, mix: cost.Mix) -> dict[str, Any]:
    scale = cost.cpu_scale(inputs.memory_mb)
    headline = cost.estimate(inputs, mix)
    measured_speed = cost.estimate(inputs, mix, scale=1.0)
    return {
        "value": headline.pct_of_ses,
        "usdPer1000Emails": headline.dollars,
        "webhooks": _webhooks_document(inputs, headline),
        "sesUsdPer1000Emails": cost.SES_PER_1000_EMAILS,
        "lines": cost.describe(headline.lines),
        "notInTarget": cost.describe(headline.extra),
        "pctOfSesWithLogs": headline.pct_of_ses_with_extra,
        "sensitivity": {
            "cpuScaleUsed": scale,
            "pctOfSesAtBenchCpuSpeed": measured_speed.pct_of_ses,
        },
        "lambdaBilledMsPerEmail": cost.lambda_ms_per_email(inputs, mix, scale),
        "dynamodbUnitsPerEmail": cost.dynamodb_units_per_email(inputs, mix),
        "inputs": {
            "prices": {
                "region": "us-east-1",
                "asOf": "2025 public list prices (DynamoDB on-demand after Nov 2024)",
                "sesPer1000Emails": cost.SES_PER_1000_EMAILS,
                "apiGatewayRestPerMillion": cost.API_GATEWAY_REST_PER_MILLION,
                "lambdaRequestsPerMillion": cost.LAMBDA_REQUESTS_PER_MILLION,
                "lambdaArm64PerGbSecond": cost.LAMBDA_ARM64_PER_GB_SECOND,
                "dynamodbReadUnitsPerMillion": cost.DYNAMODB_READ_UNITS_PER_MILLION,
                "dynamodbWriteUnitsPerMillion": cost.DYNAMODB_WRITE_UNITS_PER_MILLION,
                "sqsPerMillionRequests": cost.SQS_STANDARD_PER_MILLION_REQUESTS,
                "eventBridgeCustomEventsPerMillion": cost.EVENTBRIDGE_CUSTOM_EVENTS_PER_MILLION,
                "schedulerInvocationsPerMillion": cost.SCHEDULER_INVOCATIONS_PER_MILLION,
                "cloudWatchLogsIngestionPerGb": cost.CLOUDWATCH_LOGS_INGESTION_PER_GB,
                "kmsRequestsPerMillion": cost.KMS_REQUESTS_PER_MILLION,
            },
            "mix": asdict(mix),
            "memoryMb": inputs.memory_mb,
            "callLatencyMs": dict(cost.CALL_LATENCY_MS),
            "profiles": {
                name: {**asdict(profile), "billedMs": profile.billed_ms(scale)}
                for name, profile in (
                    ("send_message", inputs.send),
                    ("authorizer", inputs.authorizer),
                    ("deliverBatch", inputs.delivery_batch),
                    ("feedbackBatch", inputs.feedback_batch),
                    ("triggerBatch", inputs.trigger_batch),
                    ("delayedTriggerBatch", inputs.delayed_trigger_batch),
                    ("projectionBatch", inputs.projection_batch),
                )
            },
            "unitsPerBatch": {
                "emailsPerDeliverBatch": inputs.delivery_emails_per_batch,
                "eventsPerFeedbackBatch": inputs.feedback_events_per_batch,
                "messagesPerTriggerBatch": inputs.trigger_messages_per_batch,
                "messagesPerDelayedTriggerBatch": inputs.delayed_messages_per_batch,
                "eventsPerProjectionBatch": inputs.projected_events_per_batch,
            },
        },
    }


def _webhooks_document(inputs: cost.Measured, headline: cost.Estimate) -> dict[str, Any] | None:
    hooks = inputs.webhooks
    if hooks is None:
        return None
    scale = cost.cpu_scale(inputs.memory_mb)
    return {
        "pctOfSes": headline.webhook_pct_of_ses,
        "pctOfSesWithoutWebhooks": headline.pct_of_ses - headline.webhook_pct_of_ses,
        "lines": cost.describe(headline.webhooks),
        "subscribedTypes": list(hooks.subscribed_types),
        "deliveriesPerEmail": hooks.deliveries_per_email,
        "assumedPostLatencyMs": cost.WEBHOOK_POST_LATENCY_MS,
        "deliveriesPerFanOutBatch": hooks.deliveries_per_fan_out_batch,
        "deliveriesPerSenderBatch": hooks.deliveries_per_sender_batch,
        "profiles": {
            name: {**asdict(profile), "billedMs": profile.billed_ms(scale)}
            for name, profile in (
                ("fanOutBatch", hooks.fan_out_batch),
                ("senderBatch", hooks.sender_batch),
            )
        },
    }


def sequence_steps(result: InProcessResult) -> SequenceSteps | None:
    """The step jobs' average batch (first and later steps), and the enrolling pass's."""
    figure = result.sequence_steps
    if figure is None:
        return None
    steps, per_batch = _batch_profile(figure.steps)
    enrolling, enrolled = _batch_profile(figure.enrollment)
    return SequenceSteps(
        step_batch=steps,
        steps_per_batch=per_batch,
        enrollment_batch=enrolling,
        enrollments_per_batch=enrolled,
        email_steps_per_enrollment=figure.email_steps_per_enrollment,
    )


def sequence_cost_document(
    inputs: cost.Measured, steps: SequenceSteps, mix: cost.Mix
) -> dict[str, Any]:
    """Per 1,000 sequence emails: the sequence's own lines, then the email's as any email's."""
    scale = cost.cpu_scale(inputs.memory_mb)
    headline = sequence_cost.estimate(inputs, steps, mix)
    return {
        "value": headline.pct_of_ses,
        "usdPer1000Emails": headline.dollars,
        "ownPctOfSes": headline.own_pct_of_ses,
        "lines": cost.describe(headline.lines),
        "emailLines": cost.describe(headline.email_lines),
        "webhookLines": cost.describe(headline.webhooks),
        "notInTarget": cost.describe(headline.extra),
        "pctOfSesAtBenchCpuSpeed": sequence_cost.estimate(inputs, steps, mix, scale=1.0).pct_of_ses,
        "assumptions": {
            "emailStepsPerEnrollment": steps.email_steps_per_enrollment,
            "firedSchedulesPerEmail": steps.fired_schedules_per_email,
            "stepsPerBatch": steps.steps_per_batch,
            "enrollmentsPerBatch": steps.enrollments_per_batch,
            "sequenceStatsWriteUnitsPerEmail": sequence_cost.SEQUENCE_STATS_WRITE_UNITS,
            "recipientMessageWriteUnitsPerEmail": cost.RECIPIENT_MESSAGE_WRITE_UNITS,
            "sesEventsPerEmail": mix.ses_events_per_email,
            "cpuScaleUsed": scale,
        },
        "profiles": {
            name: {**asdict(profile), "billedMs": profile.billed_ms(scale)}
            for name, profile in (
                ("stepBatch", steps.step_batch),
                ("enrollmentBatch", steps.enrollment_batch),
            )
        },
    }


# Each lever the issue allows and the stack does not use yet, as a change to a scenario's
# inputs (its effect is the figure with it minus the figure without).
LEVERS: dict[str, dict[str, Any]] = {
    "logLevelWarning": {"log_level": "WARNING"},
    "sqsBatchingWindow20s": {"sqs_batching_window_seconds": 20.0},
}


def scenario_document(
    inputs: cost.Measured, scenario: traffic.Traffic, imports: dict[str, Any] | None
) -> dict[str, Any]:
    """One scenario's figure, its lines, every input it was computed from, and each lever's
    effect on it (alone, then all together)."""
    cpu = cost.cpu_scale(inputs.memory_mb)
    cold_ms, cold_basis = traffic.cold_start_ms(imports, cpu)
    result = traffic.estimate(inputs, scenario, cold_ms)
    mix, at_scale = result.mix, result.measured
    levers = {
        name: traffic.estimate(inputs, replace(scenario, **change), cold_ms).pct_of_ses
        for name, change in LEVERS.items()
    }
    every = {k: v for change in LEVERS.values() for k, v in change.items()}
    levers["all"] = traffic.estimate(inputs, replace(scenario, **every), cold_ms).pct_of_ses
    # The deployed tracing (the stage's sampling rule, consumers on PassThrough) undone: what
    # it saves against X-Ray's default sampling everywhere.
    default_tracing = replace(
        scenario, api_sampling=traffic.Sampling(), consumers_pass_through=False
    )
    levers["undoDeployedTracing"] = traffic.estimate(inputs, default_tracing, cold_ms).pct_of_ses
    rate = scenario.emails_per_second
    return {
        "value": result.pct_of_ses,
        "usdPer1000Emails": result.dollars,
        "lines": cost.describe(result.lines),
        "levers": {
            name: {"pctOfSes": v, "effect": v - result.pct_of_ses} for name, v in levers.items()
        },
        "inputs": {
            **asdict(scenario),
            "monthlyEmails": scenario.monthly_emails,
            "requestsPerSecond": rate * mix.direct_share / mix.recipients_per_send,
            "authorizerRunsPerRequest": mix.authorizer_runs_per_request,
            "sqsRecordsPerBatch": {
                "deliver": at_scale.delivery_emails_per_batch,
                "feedback": at_scale.feedback_events_per_batch,
                "trigger": at_scale.trigger_messages_per_batch,
                "webhookSender": None
                if at_scale.webhooks is None
                else at_scale.webhooks.deliveries_per_sender_batch,
            },
            "streamEventsPerProjectionBatch": at_scale.projected_events_per_batch,
            "invocationsPer1000Emails": 1000 * traffic.invocations_per_email(at_scale, mix),
            "tracesPer1000Emails": 1000 * traffic.traces_per_email(at_scale, mix, scenario),
            "lambdaSampling": "fixed by Lambda: 1 a second and 5 % per function",
            "coldStartMs": cold_ms,
            "coldStartBasis": cold_basis,
            "cpuScaleUsed": cpu,
            "lambdaDuration": "own time measured incl. botocore's CPU (moto's emulation out), "
            "x CPU scale, + assumed call latency",
            "prices": {
                "xrayTracesRecordedPerMillion": traffic.XRAY_TRACES_RECORDED_PER_MILLION,
                "xrayTracesRetrievedPerMillion": traffic.XRAY_TRACES_RETRIEVED_PER_MILLION,
                "metricStoragePerMonth": traffic.METRIC_STORAGE_PER_MONTH,
                "cloudWatchLogsIngestionPerGb": cost.CLOUDWATCH_LOGS_INGESTION_PER_GB,
            },
            "lambdaPlatformLogBytes": traffic.LAMBDA_PLATFORM_LOG_BYTES,
            "xrayReportLogBytes": traffic.XRAY_REPORT_LOG_BYTES,
            "notes": [
                "X-Ray: the free tier (100,000 traces a month) ignored; no traces retrieved",
                "SQS: the Lambda poller's receives (empty ones too) are not billed to the "
                "customer; each batch's ReceiveMessage and DeleteMessageBatch are counted",
                "batches other than 10 scale the measured batch's per-record work; calls made "
                "once a batch stay once a batch",
            ],
        },
    }
