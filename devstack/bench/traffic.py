"""The cost headline's two traffic scenarios, and the observability lines both pay.

`HIGH_VOLUME`: full batches of ten from one busy handle (the bench's own traffic).
`LOW_TRAFFIC`: many handles, each sending a little all day: SQS batches of one to three
(mean two), the authorizer's cached answer expired on most requests, more cold starts, and
X-Ray's reservoir recording nearly every invocation.

Both pay, in the headline: CloudWatch Logs ingestion (the measured log and EMF bytes of each
invocation, Lambda's own START/END/REPORT lines and the REPORT line's X-Ray fields), X-Ray
traces recorded (tracing is active on every function and on the API stage), CloudWatch
custom metric storage (EMF metrics are free to emit beyond their log bytes; each metric
costs a month's storage, amortized over the scenario's monthly emails), and the cold starts'
init duration (Lambda bills INIT since August 2025).

Pure arithmetic like cost.py: `observability_lines` and `estimate` read measured profiles
(cost.Measured) and the scenario's stated inputs; `rebatched` turns the bench's batches of
ten into the scenario's.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from devstack.bench import cost
from devstack.bench.cost import Line, Measured, Mix, Profile
from tenx_email.resources import API_TRACE_SAMPLING

# --- prices (us-east-1 list) --------------------------------------------------------------
XRAY_TRACES_RECORDED_PER_MILLION = 5.00  # first 100,000 a month free: ignored
XRAY_TRACES_RETRIEVED_PER_MILLION = 0.50  # assumed: none retrieved (no one reads the traces)
METRIC_STORAGE_PER_MONTH = 0.30  # per custom metric, first 10,000 metrics a month

# Lambda's own lines per invocation (START, END, REPORT), and what active tracing adds to the
# REPORT line of a traced invocation (XRAY TraceId, SegmentId, Sampled).
LAMBDA_PLATFORM_LOG_BYTES = 300
XRAY_REPORT_LOG_BYTES = 110
# Init duration of a cold start when the document has no cold import figure (256 MB, the
# layer's boto3 and Powertools and one handler module).
DEFAULT_COLD_START_MS = 700.0
# The bench measures consumers on batches of this many records (harness.BATCH_SIZE).
MEASURED_RECORDS_PER_BATCH = 10
SECONDS_PER_MONTH = 30 * 86400


@dataclass(frozen=True)
class Sampling:
    """An X-Ray sampling rule: the first `reservoir_per_second` requests each second, then
    `fixed_rate` of the rest (the default rule: 1 a second and 5 %)."""

    reservoir_per_second: float = 1.0
    fixed_rate: float = 0.05

    def recorded_share(self, requests_per_second: float) -> float:
        """The share of a service's requests that are recorded at a steady rate."""
        if requests_per_second <= 0:
            return 0.0
        kept = min(requests_per_second, self.reservoir_per_second)
        kept += self.fixed_rate * max(0.0, requests_per_second - self.reservoir_per_second)
        return kept / requests_per_second


DEPLOYED_API_SAMPLING = Sampling(
    float(API_TRACE_SAMPLING.reservoir_per_second), API_TRACE_SAMPLING.fixed_rate
)


@dataclass(frozen=True)
class Traffic:
    """One scenario's stated inputs (every one is printed)."""

    name: str
    description: str
    handles: int
    emails_per_second: float  # the whole service's, steady
    records_per_sqs_batch: float  # mean, every SQS event source
    cold_start_share: float  # of invocations
    custom_metrics: int  # metrics emitted in every hour of the month (billed in full)
    authorizer_cache_ttl_seconds: float = 300.0
    # None: the authorizer's runs per request come from each handle's request rate and the
    # cache's TTL; else this share (the high-volume figure keeps the old 0.1).
    authorizer_runs_per_request: float | None = None
    # Tracing as deployed (tenx_email.resources.API_TRACE_SAMPLING): the API stage's sampling
    # rule (Lambda's own sampling is fixed at the default), consumers traced only when their
    # upstream was (PassThrough). Levers: dropping INFO lines, batching windows.
    api_sampling: Sampling = field(default_factory=lambda: DEPLOYED_API_SAMPLING)
    consumers_pass_through: bool = True
    log_level: str = "INFO"
    sqs_batching_window_seconds: float = 0.0
    # The table stream's event sources gather this long (resources.StreamConsumerSpec).
    stream_batching_window_seconds: float = 5.0

    @property
    def monthly_emails(self) -> float:
        return self.emails_per_second * SECONDS_PER_MONTH

    def authorizer_runs(self, direct_share: float) -> float:
        """Runs per request: a token's requests at rate r each find the cached answer unless
        the last run was over a TTL ago; a run opens a window of r*TTL cached requests on
        average, so 1 / (1 + r*TTL) of requests run the authorizer."""
        if self.authorizer_runs_per_request is not None:
            return self.authorizer_runs_per_request
        per_handle = self.emails_per_second * direct_share / self.handles
        return 1 / (1 + per_handle * self.authorizer_cache_ttl_seconds)

    def mix(self, base: Mix) -> Mix:
        batch = round(self.records_per_sqs_batch)
        return replace(
            base,
            batch_size=max(1, batch),
            webhook_batch_size=max(1, batch),
            authorizer_runs_per_request=self.authorizer_runs(base.direct_share),
        )


HIGH_VOLUME = Traffic(
    name="highVolume",
    description="one busy handle: full batches of 10 from one handle, sender and template",
    handles=1,
    emails_per_second=50.0,
    records_per_sqs_batch=10.0,
    cold_start_share=0.001,
    custom_metrics=20,
    authorizer_runs_per_request=0.1,
)
LOW_TRAFFIC = Traffic(
    name="lowTraffic",
    description="200 handles each sending ~50 emails a day, spread out",
    handles=200,
    emails_per_second=200 * 50 / 86400,
    records_per_sqs_batch=2.0,
    cold_start_share=0.02,
    custom_metrics=5,
)


def _rescaled(profile: Profile, factor: float) -> Profile:
    """A batch `factor` times the measured one: its per-record work scales, its once-a-batch
    calls (at most one per measured batch) and its EMF document (one per invocation) do not."""
    calls = {c: n if n <= 1 else n * factor for c, n in profile.calls.items()}
    lines = profile.log_bytes - profile.metric_log_bytes
    return replace(
        profile,
        own_ms=profile.own_ms * factor,
        calls=calls,
        read_units=profile.read_units * factor,
        write_units=profile.write_units * factor,
        log_bytes=lines * factor + profile.metric_log_bytes,
        info_log_bytes=profile.info_log_bytes * factor,
    )


def records_per_batch(traffic: Traffic, records_per_second: float) -> float:
    """An SQS event source's mean batch: the scenario's, or what a batching window gathers."""
    gathered = records_per_second * traffic.sqs_batching_window_seconds
    return min(10.0, max(traffic.records_per_sqs_batch, gathered))


def stream_batch(measured_units: float, units_per_second: float, window_seconds: float) -> float:
    """A stream event source's mean batch: what its batching window gathers, at most what the
    bench measured (its batches were as full as the mapping allows)."""
    return max(1.0, min(measured_units, units_per_second * window_seconds))


def rebatched(measured: Measured, traffic: Traffic, mix: Mix) -> Measured:
    """The measured profiles at the scenario's batch sizes."""
    rate = traffic.emails_per_second

    def sqs(profile: Profile, units: float, per_email: float) -> tuple[Profile, float]:
        records = records_per_batch(traffic, per_email * rate)
        factor = records / MEASURED_RECORDS_PER_BATCH
        return _rescaled(profile, factor), units * factor

    rules = 1 - mix.direct_share
    delivery, emails = sqs(measured.delivery_batch, measured.delivery_emails_per_batch, 1.0)
    feedback, events = sqs(
        measured.feedback_batch, measured.feedback_events_per_batch, mix.ses_events_per_email
    )
    trigger, messages = sqs(measured.trigger_batch, measured.trigger_messages_per_batch, rules)
    delayed, delayed_messages = sqs(
        measured.delayed_trigger_batch,
        measured.delayed_messages_per_batch,
        rules * mix.delayed_share_of_rules,
    )
    timeline = 1 + mix.outcome_events_per_email + mix.ses_events_per_email
    projected = stream_batch(
        measured.projected_events_per_batch, timeline * rate, traffic.stream_batching_window_seconds
    )
    projection = _rescaled(
        measured.projection_batch, projected / measured.projected_events_per_batch
    )
    hooks = measured.webhooks
    if hooks is not None:
        fanned = stream_batch(
            hooks.deliveries_per_fan_out_batch,
            hooks.deliveries_per_email * rate,
            traffic.stream_batching_window_seconds,
        )
        sent = records_per_batch(traffic, hooks.deliveries_per_email * rate)
        hooks = replace(
            hooks,
            fan_out_batch=_rescaled(
                hooks.fan_out_batch, fanned / hooks.deliveries_per_fan_out_batch
            ),
            deliveries_per_fan_out_batch=fanned,
            sender_batch=replace(
                _rescaled(hooks.sender_batch, sent / hooks.deliveries_per_sender_batch),
                wait_ms=hooks.sender_batch.wait_ms,
            ),
            deliveries_per_sender_batch=sent,
        )
    return replace(
        measured,
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
        webhooks=hooks,
    )


def traces_per_email(measured: Measured, mix: Mix, traffic: Traffic) -> float:
    """Traces recorded per email. A request's trace starts at the API stage (its sampling
    rule decides; the authorizer and the send function join that trace); every consumer
    invocation starts its own, sampled by Lambda's fixed rule at its own rate, or, under
    PassThrough, recorded only as often as the API's requests were."""
    rate = traffic.emails_per_second
    requests = mix.direct_share / mix.recipients_per_send
    api_share = traffic.api_sampling.recorded_share(requests * rate)
    traces = requests * api_share
    api_functions = {measured.send.function, measured.authorizer.function}
    by_function: dict[str, float] = {}
    for share in cost.shares(measured, mix) + cost.webhook_shares(measured):
        if share.profile.function not in api_functions:
            name = share.profile.function
            by_function[name] = by_function.get(name, 0.0) + share.invocations
    for invocations in by_function.values():
        if traffic.consumers_pass_through:
            traces += invocations * api_share
        else:
            traces += invocations * Sampling().recorded_share(invocations * rate)
    return traces


def invocations_per_email(measured: Measured, mix: Mix) -> float:
    return sum(s.invocations for s in cost.shares(measured, mix) + cost.webhook_shares(measured))


def log_bytes_per_email(measured: Measured, mix: Mix, traffic: Traffic) -> tuple[float, float]:
    """(log lines, EMF documents) bytes per email: the functions' measured output (without
    its INFO lines at a WARNING level), and Lambda's own lines."""
    lines = metrics = 0.0
    for share in cost.shares(measured, mix) + cost.webhook_shares(measured):
        profile = share.profile
        own = profile.log_bytes - profile.metric_log_bytes
        if traffic.log_level != "INFO":
            own -= profile.info_log_bytes
        lines += share.invocations * (own + LAMBDA_PLATFORM_LOG_BYTES)
        metrics += share.invocations * profile.metric_log_bytes
    traced = traces_per_email(measured, mix, traffic)
    return lines + traced * XRAY_REPORT_LOG_BYTES, metrics


def gigabytes(byte_count: float) -> float:
    """CloudWatch bills ingestion per GB (10^9 bytes here: the higher count of the two)."""
    return byte_count / 1e9


def metric_storage_per_1000(traffic: Traffic) -> float:
    """Dollars per 1,000 emails of the custom metrics' monthly storage."""
    return traffic.custom_metrics * METRIC_STORAGE_PER_MONTH / traffic.monthly_emails * 1000


def observability_lines(
    measured: Measured, mix: Mix, traffic: Traffic, cold_start_ms: float
) -> list[Line]:
    emails = 1000.0
    lines_bytes, metric_bytes = log_bytes_per_email(measured, mix, traffic)
    invocations = invocations_per_email(measured, mix)
    cold_gb_s = invocations * traffic.cold_start_share * cold_start_ms / 1000
    cold_gb_s *= measured.memory_mb / 1024
    level = "" if traffic.log_level == "INFO" else f", {traffic.log_level} level"
    return [
        Line(
            "CloudWatch Logs: log lines",
            gigabytes(lines_bytes * emails),
            "GB",
            cost.CLOUDWATCH_LOGS_INGESTION_PER_GB,
            f"measured + {LAMBDA_PLATFORM_LOG_BYTES} B START/END/REPORT per invocation{level}",
        ),
        Line(
            "CloudWatch Logs: EMF metrics",
            gigabytes(metric_bytes * emails),
            "GB",
            cost.CLOUDWATCH_LOGS_INGESTION_PER_GB,
            "measured EMF documents, one per invocation that adds a metric",
        ),
        Line(
            "CloudWatch metric storage",
            traffic.custom_metrics / traffic.monthly_emails * emails,
            "metric-month",
            METRIC_STORAGE_PER_MONTH,
            f"{traffic.custom_metrics} metrics over {traffic.monthly_emails:,.0f} emails a month",
        ),
        Line(
            "X-Ray traces recorded",
            traces_per_email(measured, mix, traffic) * emails,
            "trace",
            XRAY_TRACES_RECORDED_PER_MILLION / 1e6,
            "no free tier; none retrieved",
        ),
        Line(
            "Lambda cold starts (init)",
            cold_gb_s * emails,
            "GB-s",
            cost.LAMBDA_ARM64_PER_GB_SECOND,
            f"{traffic.cold_start_share:.1%} of invocations x {cold_start_ms:.0f} ms",
        ),
    ]


@dataclass(frozen=True)
class Scenario:
    traffic: Traffic
    mix: Mix
    measured: Measured  # rebatched
    estimate: cost.Estimate
    observability: list[Line]

    @property
    def lines(self) -> list[Line]:
        return self.estimate.lines + self.estimate.webhooks + self.observability

    @property
    def dollars(self) -> float:
        return sum(line.dollars for line in self.lines)

    @property
    def pct_of_ses(self) -> float:
        return 100 * self.dollars / cost.SES_PER_1000_EMAILS


def estimate(
    measured: Measured, traffic: Traffic, cold_start_ms: float, base: Mix | None = None
) -> Scenario:
    mix = traffic.mix(base or Mix())
    at_scale = rebatched(measured, traffic, mix)
    return Scenario(
        traffic=traffic,
        mix=mix,
        measured=at_scale,
        estimate=cost.estimate(at_scale, mix),
        observability=observability_lines(at_scale, mix, traffic, cold_start_ms),
    )


def cold_start_ms(imports: dict[str, object] | None, cpu: float) -> tuple[float, str]:
    """The cold import figures' mean CPU ms at Lambda's CPU share, else the stated default."""
    modules = (imports or {}).get("modules")
    if not isinstance(modules, dict) or not modules:
        return DEFAULT_COLD_START_MS, "stated (no cold import figures in this run)"
    mean = sum(float(m["cpuMs"]) for m in modules.values()) / len(modules)
    return mean * cpu, f"the cold import figures' mean CPU time x{cpu:.2f}"
