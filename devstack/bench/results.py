"""What the in-process bench produces: one measured invocation (`Sample`), and the figures
per route, per consumer (amortized over its batches: `consumer_figure`) and for the authorizer
that the report prints and the cost model reads."""

from __future__ import annotations

import statistics
from dataclasses import asdict, dataclass, field
from typing import Any

from devstack.bench.burst import BurstFigure
from devstack.bench.first_invoke import FirstInvoke
from devstack.bench.heat import HeatFigure


@dataclass
class Sample:
    """One measured invocation."""

    calls: dict[str, int]
    total_calls: int
    read_units: float
    write_units: float
    index_write_units: float
    write_units_by_call: dict[str, float]
    item_sizes: list[int]
    duration_ms: float
    aws_ms: float  # of duration_ms, the time inside AWS calls (botocore's and moto's, here)
    log_bytes: int
    status: int = 0
    # Of aws_ms, the time moto (and the bench's own hooks) spent emulating AWS; None: unknown,
    # and the whole of aws_ms is taken out.
    emulated_ms: float | None = None
    metric_log_bytes: int = 0  # of log_bytes, EMF documents
    info_log_bytes: int = 0  # of log_bytes, log lines at INFO or DEBUG

    @property
    def botocore_ms(self) -> float:
        """Botocore's own CPU in the calls: validation, signing, parsing (not moto's)."""
        return 0.0 if self.emulated_ms is None else max(0.0, self.aws_ms - self.emulated_ms)

    @property
    def own_ms(self) -> float:
        """The function's time as Lambda would bill its CPU: the handler's and botocore's
        (moto's emulation taken out)."""
        taken_out = self.aws_ms if self.emulated_ms is None else self.emulated_ms
        return max(0.0, self.duration_ms - taken_out)


@dataclass
class RouteFigure:
    route_id: str
    read_only: bool
    calls: int
    calls_min: int
    calls_max: int
    by_call: dict[str, int]
    duration_ms: float
    own_ms: float
    read_units: float
    write_units: float
    index_write_units: float
    write_units_by_call: dict[str, float]
    max_item_bytes: int
    log_bytes: int
    metric_log_bytes: int = 0
    info_log_bytes: int = 0
    botocore_ms: float = 0.0  # of own_ms, botocore's (median)


@dataclass
class ConsumerFigure:
    """A consumer Lambda over batches of ten records; per-unit figures are amortized."""

    function: str
    unit: str  # what one unit is: an email sent, a rule message made, an SES event handled
    units: int
    batches: int
    calls_per_unit: float
    by_call_per_unit: dict[str, float]
    duration_ms_per_batch: float
    own_ms_per_batch: float
    records_per_batch: float
    units_per_record: float
    read_units_per_unit: float
    write_units_per_unit: float
    index_write_units_per_unit: float
    write_units_by_call_per_unit: dict[str, float]
    sqs_calls_per_unit: float
    scheduler_calls_per_unit: float
    max_item_bytes: int
    log_bytes_per_batch: float
    metric_log_bytes_per_batch: float = 0.0
    info_log_bytes_per_batch: float = 0.0
    botocore_ms_per_batch: float = 0.0  # of own_ms_per_batch, botocore's (median)


@dataclass
class AuthorizerFigure:
    cold_calls: int
    cold_jwks_fetches: int
    warm_calls: int
    warm_jwks_fetches: int
    warm_rounds: int
    duration_ms: float
    own_ms: float
    log_bytes: int
    metric_log_bytes: int = 0
    info_log_bytes: int = 0
    botocore_ms: float = 0.0


@dataclass
class WebhookFigure:
    """The webhook fan-out over the stream records of `emails` emails (one endpoint subscribed
    to `subscribed_types`), and the sender over the deliveries it queued; per delivery."""

    subscribed_types: list[str]
    emails: int
    deliveries: int
    fan_out: ConsumerFigure
    sender: ConsumerFigure

    @property
    def deliveries_per_email(self) -> float:
        return self.deliveries / self.emails

    @property
    def calls_per_email(self) -> float:
        per_delivery = self.fan_out.calls_per_unit + self.sender.calls_per_unit
        return per_delivery * self.deliveries_per_email


@dataclass
class SequenceStepFigure:
    """The step jobs of one sequence: the first steps (queued by the enrollments) and the
    later ones (queued by the schedules the first made), per step; and the enrolling pass, per
    enrollment, with the email steps an enrollment runs (what the cost model spreads it over)."""

    steps: ConsumerFigure  # both batches
    first: ConsumerFigure
    later: ConsumerFigure
    enrollment: ConsumerFigure
    email_steps_per_enrollment: int

    @property
    def calls_per_invocation(self) -> float:
        return self.steps.calls_per_unit * self.steps.units / self.steps.batches


@dataclass
class InProcessResult:
    routes: list[RouteFigure]
    authorizer: AuthorizerFigure
    delivery: ConsumerFigure
    trigger: ConsumerFigure
    trigger_delayed: ConsumerFigure
    feedback: ConsumerFigure
    projection: ConsumerFigure
    ses_events_per_email: float
    heat: HeatFigure
    burst: BurstFigure
    webhooks: WebhookFigure | None = None
    sequence_steps: SequenceStepFigure | None = None
    first_invokes: list[FirstInvoke] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def median(values: list[float]) -> float:
    return float(statistics.median(values)) if values else 0.0


def consumer_figure(
    function: str, unit: str, samples: list[Sample], records: list[int], units: list[int]
) -> ConsumerFigure:
    total_units = sum(units)
    if total_units <= 0:
        raise RuntimeError(f"bench: the {function} batches produced no {unit}")
    by_call: dict[str, float] = {}
    for sample in samples:
        for name, count in sample.calls.items():
            by_call[name] = by_call.get(name, 0.0) + count
    total_calls = sum(sample.total_calls for sample in samples)
    writes: dict[str, float] = {}
    for sample in samples:
        for name, wru in sample.write_units_by_call.items():
            writes[name] = writes.get(name, 0.0) + wru

    def service_calls(service: str) -> float:
        return sum(v for k, v in by_call.items() if k.startswith(f"{service}:"))

    return ConsumerFigure(
        function=function,
        unit=unit,
        units=total_units,
        batches=len(samples),
        calls_per_unit=total_calls / total_units,
        by_call_per_unit={k: v / total_units for k, v in sorted(by_call.items())},
        duration_ms_per_batch=median([s.duration_ms for s in samples]),
        own_ms_per_batch=median([s.own_ms for s in samples]),
        records_per_batch=sum(records) / len(samples),
        units_per_record=total_units / sum(records),
        read_units_per_unit=sum(s.read_units for s in samples) / total_units,
        write_units_per_unit=sum(s.write_units for s in samples) / total_units,
        index_write_units_per_unit=sum(s.index_write_units for s in samples) / total_units,
        write_units_by_call_per_unit={k: v / total_units for k, v in sorted(writes.items())},
        sqs_calls_per_unit=service_calls("sqs") / total_units,
        scheduler_calls_per_unit=service_calls("scheduler") / total_units,
        max_item_bytes=max((size for s in samples for size in s.item_sizes), default=0),
        log_bytes_per_batch=sum(s.log_bytes for s in samples) / len(samples),
        metric_log_bytes_per_batch=sum(s.metric_log_bytes for s in samples) / len(samples),
        info_log_bytes_per_batch=sum(s.info_log_bytes for s in samples) / len(samples),
        botocore_ms_per_batch=median([s.botocore_ms for s in samples]),
    )
