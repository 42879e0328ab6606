"""What AWS charges per 1,000 emails besides SES, as a share of SES's own price.

Pure arithmetic over explicit inputs: prices (constants below), an assumed traffic mix, and
profiles of each function's invocations as the bench measured them (own compute time, AWS calls,
DynamoDB request units, log bytes). Nothing here calls AWS or measures anything.

Lambda duration per invocation: the function's own CPU time as measured (its wall time minus
the time moto spends answering, which emulates AWS at its own speed: moto copies the whole
table on every transaction; botocore's own work, validation, serialization, signing and
parsing, stays in: counter.py times moto between a first and a last `before-send` handler,
and the bench's own hooks apart) scaled to the configured memory's CPU share, plus an assumed
in-region latency for each AWS call it makes. The headline's scenarios (traffic.py) add logs,
traces and metrics to these lines.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

# --- prices: us-east-1 public list prices (on-demand, first tier, no free tier), as of 2025;
# DynamoDB on-demand after its November 2024 price reduction. ---------------------------------
SES_PER_1000_EMAILS = 0.10  # SES outbound email
API_GATEWAY_REST_PER_MILLION = 3.50  # REST API requests, first 333 million a month
LAMBDA_REQUESTS_PER_MILLION = 0.20
LAMBDA_ARM64_PER_GB_SECOND = 0.0000133334  # arm64, first 7.5 billion GB-s a month
DYNAMODB_READ_UNITS_PER_MILLION = 0.125  # on-demand read request units
DYNAMODB_WRITE_UNITS_PER_MILLION = 0.625  # on-demand write request units
SQS_STANDARD_PER_MILLION_REQUESTS = 0.40  # each 64 KB chunk of a payload is one request
SQS_REQUEST_CHUNK_BYTES = 64 * 1024
EVENTBRIDGE_CUSTOM_EVENTS_PER_MILLION = 1.00  # PutEvents on the campaign bus (SES's own events
# reach the default bus and its rules' SQS targets at no EventBridge charge)
SCHEDULER_INVOCATIONS_PER_MILLION = 1.00  # EventBridge Scheduler, beyond 14 million free
CLOUDWATCH_LOGS_INGESTION_PER_GB = 0.50  # standard log class
KMS_REQUESTS_PER_MILLION = 3.00  # $0.03 per 10,000 symmetric requests (the key's $1 a month
# is per stage, not per email)

# Webhooks (docs/webhooks.md): the event types the bench's endpoint subscribes to, and the
# assumed time a customer's receiver takes to answer one signed POST (DNS, TCP and TLS to an
# endpoint on the internet, then its answer; the bench's own receiver is on loopback). The
# sender POSTs a batch's deliveries at the same time, so its Lambda bills this wait once per
# batch.
WEBHOOK_SUBSCRIBED_TYPES = ("SENT", "DELIVERED")
WEBHOOK_POST_LATENCY_MS = 150.0

# The event projection names each new message under each of its recipients, and records each
# rule message's MESSAGE_CREATED run: items of ~100-300 bytes, one write unit each. The
# measured profile leaves both out (the bench's own mix of messages is not the model's), and
# `estimate` charges them per email and per rule message.
RECIPIENT_MESSAGE_WRITE_UNITS = 1.0
RULE_RUN_WRITE_UNITS = 1.0

# Lambda gives a function CPU in proportion to its memory: one vCPU at 1,769 MB (Lambda
# developer guide, "Memory and computing power").
LAMBDA_MB_PER_VCPU = 1769

# Assumed in-region latency of one AWS call from Lambda, in milliseconds (typical p50).
CALL_LATENCY_MS: Mapping[str, float] = {
    "dynamodb": 5.0,
    "dynamodb:TransactWriteItems": 12.0,
    "dynamodb:BatchGetItem": 6.0,
    "dynamodb:Query": 6.0,
    "sqs": 8.0,
    "sesv2": 30.0,
    "ses": 30.0,
    "scheduler": 30.0,
}
DEFAULT_CALL_LATENCY_MS = 20.0


def call_latency_ms(call: str) -> float:
    """Assumed latency of `service:Operation` (the operation's own figure, else the
    service's, else a default)."""
    if call in CALL_LATENCY_MS:
        return CALL_LATENCY_MS[call]
    return CALL_LATENCY_MS.get(call.split(":", 1)[0], DEFAULT_CALL_LATENCY_MS)


def cpu_scale(memory_mb: int) -> float:
    """How much slower CPU-bound code runs at `memory_mb` than on one full vCPU."""
    return max(1.0, LAMBDA_MB_PER_VCPU / memory_mb)


@dataclass(frozen=True)
class Profile:
    """One invocation of a function, as measured."""

    function: str
    own_ms: float  # the handler's own time, outside AWS calls, on the bench's machine
    calls: Mapping[str, float]  # "service:Operation" -> calls per invocation
    read_units: float = 0.0
    write_units: float = 0.0
    log_bytes: float = 0.0
    metric_log_bytes: float = 0.0  # of log_bytes, EMF documents
    info_log_bytes: float = 0.0  # of log_bytes, lines at INFO (a WARNING level drops them)
    # SQS payload bytes per SendMessage (one request per 64 KB chunk).
    sqs_payload_bytes: int = 1024
    # Time waiting on something other than AWS (the webhook sender's POSTs), assumed.
    wait_ms: float = 0.0

    def billed_ms(self, scale: float) -> int:
        """Lambda bills each invocation's duration rounded up to the millisecond."""
        waiting = self.wait_ms
        waiting += sum(call_latency_ms(call) * count for call, count in self.calls.items())
        return max(1, math.ceil(self.own_ms * scale + waiting))

    def sqs_requests(self) -> float:
        chunks = max(1, math.ceil(self.sqs_payload_bytes / SQS_REQUEST_CHUNK_BYTES))
        return sum(count * chunks for call, count in self.calls.items() if call.startswith("sqs:"))


@dataclass(frozen=True)
class Share:
    """`invocations` of `profile` per email."""

    profile: Profile
    invocations: float


@dataclass(frozen=True)
class Mix:
    """The traffic the model assumes."""

    direct_share: float = 0.5  # emails from direct sends; the rest from campaign rules
    delayed_share_of_rules: float = 0.5  # rule emails from delayed (scheduled) rules
    recipients_per_send: float = 1.0  # direct sends name one recipient each
    # API Gateway caches the authorizer's answer per token for 300 s: one authorizer run per
    # ten requests is a client sending two requests a minute per token.
    authorizer_runs_per_request: float = 0.1
    rule_messages_per_campaign_event: float = 1.0
    ses_events_per_email: float = 1.0  # Delivery (bounces and complaints are rare; no Send)
    # Events on an email's timeline, each projected to the handle's feed: QUEUED, the send's
    # outcome (SENT) and each SES event.
    outcome_events_per_email: float = 1.0
    batch_size: int = 10  # every event source mapping's batch
    # The webhook sender's SQS batch (resources.WEBHOOK_QUEUE; the fan-out's stream batch
    # is 50 records, resources.WEBHOOK_FANOUT, and is measured as the bench's poller gives it).
    webhook_batch_size: int = 10


@dataclass(frozen=True)
class Webhooks:
    """The webhook functions as the bench measured them, for one endpoint subscribed to
    `subscribed_types`: the fan-out per batch of stream records (`deliveries_per_fan_out_batch`
    deliveries stored and queued) and the sender per SQS batch (`deliveries_per_sender_batch`
    signed POSTs); `deliveries_per_email` is what the bench's emails made."""

    fan_out_batch: Profile
    deliveries_per_fan_out_batch: float
    sender_batch: Profile
    deliveries_per_sender_batch: float
    deliveries_per_email: float
    subscribed_types: tuple[str, ...] = WEBHOOK_SUBSCRIBED_TYPES


@dataclass(frozen=True)
class Measured:
    """The profiles the bench measured. Consumer profiles are per batch of `Mix.batch_size`
    records; `*_units_per_batch` says how many emails, messages or events a batch handled."""

    memory_mb: int
    send: Profile
    authorizer: Profile
    delivery_batch: Profile
    delivery_emails_per_batch: float
    feedback_batch: Profile
    feedback_events_per_batch: float
    trigger_batch: Profile
    trigger_messages_per_batch: float
    # Both passes of a delayed rule (the event, then the schedule's job), per batch.
    delayed_trigger_batch: Profile
    delayed_messages_per_batch: float
    # The event projection (table stream -> feed), per batch of stream records.
    projection_batch: Profile
    projected_events_per_batch: float
    # The webhook fan-out and sender, when measured (None: the model leaves webhooks out).
    webhooks: Webhooks | None = None


@dataclass(frozen=True)
class Line:
    component: str
    quantity: float  # per 1,000 emails
    unit: str
    unit_price: float  # dollars per unit
    note: str = ""

    @property
    def dollars(self) -> float:
        return self.quantity * self.unit_price

    @property
    def pct_of_ses(self) -> float:
        return 100 * self.dollars / SES_PER_1000_EMAILS


@dataclass(frozen=True)
class Estimate:
    lines: list[Line]
    extra: list[Line] = field(default_factory=list)  # outside the target figure
    # What webhooks add (inside the target figure): their own lines, so they can be shown apart.
    webhooks: list[Line] = field(default_factory=list)

    @property
    def dollars(self) -> float:
        return sum(line.dollars for line in self.lines + self.webhooks)

    @property
    def webhook_pct_of_ses(self) -> float:
        return 100 * sum(line.dollars for line in self.webhooks) / SES_PER_1000_EMAILS

    @property
    def pct_of_ses(self) -> float:
        return 100 * self.dollars / SES_PER_1000_EMAILS

    @property
    def pct_of_ses_with_extra(self) -> float:
        extra = sum(line.dollars for line in self.extra)
        return 100 * (self.dollars + extra) / SES_PER_1000_EMAILS


def shares(measured: Measured, mix: Mix) -> list[Share]:
    """Every function invocation one average email causes."""
    direct = mix.direct_share
    rules = 1 - direct
    immediate, delayed = (
        rules * (1 - mix.delayed_share_of_rules),
        rules * mix.delayed_share_of_rules,
    )
    requests = direct / mix.recipients_per_send
    timeline_events = 1 + mix.outcome_events_per_email + mix.ses_events_per_email
    return [
        Share(measured.send, requests),
        Share(measured.authorizer, requests * mix.authorizer_runs_per_request),
        Share(measured.trigger_batch, immediate / measured.trigger_messages_per_batch),
        Share(measured.delayed_trigger_batch, delayed / measured.delayed_messages_per_batch),
        Share(measured.delivery_batch, 1 / measured.delivery_emails_per_batch),
        Share(
            measured.feedback_batch,
            mix.ses_events_per_email / measured.feedback_events_per_batch,
        ),
        Share(measured.projection_batch, timeline_events / measured.projected_events_per_batch),
    ]


def webhook_shares(measured: Measured) -> list[Share]:
    """The webhook functions' invocations per email (none when webhooks were not measured)."""
    hooks = measured.webhooks
    if hooks is None:
        return []
    return [
        Share(hooks.fan_out_batch, hooks.deliveries_per_email / hooks.deliveries_per_fan_out_batch),
        Share(hooks.sender_batch, hooks.deliveries_per_email / hooks.deliveries_per_sender_batch),
    ]


def webhook_lines(measured: Measured, mix: Mix, cpu: float) -> list[Line]:
    """Dollars per 1,000 emails the webhook functions add: their invocations and duration
    (the sender's includes the assumed POST wait), the delivery items' request units, the
    queue's requests (the fan-out's SendMessageBatch, and the sender's event source mapping's
    ReceiveMessage and DeleteMessageBatch per batch) and KMS Decrypt at the measured rate."""
    hooks = measured.webhooks
    if hooks is None:
        return []
    emails = 1000.0
    both = webhook_shares(measured)
    invocations = sum(s.invocations for s in both) * emails
    gb_seconds = (
        sum(s.invocations * s.profile.billed_ms(cpu) for s in both)
        * (measured.memory_mb / 1024)
        / 1000
        * emails
    )
    read_units = sum(s.invocations * s.profile.read_units for s in both) * emails
    write_units = sum(s.invocations * s.profile.write_units for s in both) * emails
    sender_batches = hooks.deliveries_per_email / mix.webhook_batch_size
    sqs = (
        sum(s.invocations * s.profile.sqs_requests() for s in both) + 2 * sender_batches
    ) * emails
    kms = sum(
        s.invocations * count
        for s in both
        for call, count in s.profile.calls.items()
        if call.startswith("kms:")
    )
    types = " + ".join(hooks.subscribed_types)
    return [
        Line(
            "webhooks: Lambda requests",
            invocations,
            "invocation",
            LAMBDA_REQUESTS_PER_MILLION / 1e6,
            f"{hooks.deliveries_per_email:g} deliveries per email ({types}); sender batches of "
            f"{mix.webhook_batch_size}",
        ),
        Line(
            "webhooks: Lambda duration",
            gb_seconds,
            "GB-s",
            LAMBDA_ARM64_PER_GB_SECOND,
            f"incl. an assumed {WEBHOOK_POST_LATENCY_MS:g} ms per batch's POSTs (at once)",
        ),
        Line("webhooks: DynamoDB reads", read_units, "RRU", DYNAMODB_READ_UNITS_PER_MILLION / 1e6),
        Line(
            "webhooks: DynamoDB writes",
            write_units,
            "WRU",
            DYNAMODB_WRITE_UNITS_PER_MILLION / 1e6,
            "each delivery stored once, with its attempt",
        ),
        Line("webhooks: SQS requests", sqs, "request", SQS_STANDARD_PER_MILLION_REQUESTS / 1e6),
        Line(
            "webhooks: KMS requests",
            kms * emails,
            "request",
            KMS_REQUESTS_PER_MILLION / 1e6,
            "Decrypt, cached per warm container: the measured rate",
        ),
    ]


def projected_write_units(mix: Mix) -> float:
    """Write units per email of the projection's items that follow from a new message: its
    recipient's item, and a rule message's run."""
    return RECIPIENT_MESSAGE_WRITE_UNITS + (1 - mix.direct_share) * RULE_RUN_WRITE_UNITS


def estimate(measured: Measured, mix: Mix, *, scale: float | None = None) -> Estimate:
    """Dollars per 1,000 emails, line by line. `scale` overrides the CPU scale (1.0 bills the
    handlers' own time as measured on the bench's machine)."""
    emails = 1000.0
    cpu = cpu_scale(measured.memory_mb) if scale is None else scale
    memory_gb = measured.memory_mb / 1024
    invocation_shares = shares(measured, mix)

    invocations = sum(s.invocations for s in invocation_shares) * emails
    gb_seconds = (
        sum(s.invocations * s.profile.billed_ms(cpu) for s in invocation_shares)
        * memory_gb
        / 1000
        * emails
    )
    read_units = sum(s.invocations * s.profile.read_units for s in invocation_shares) * emails
    write_units = (
        sum(s.invocations * s.profile.write_units for s in invocation_shares)
        + projected_write_units(mix)
    ) * emails
    log_gb = sum(s.invocations * s.profile.log_bytes for s in invocation_shares) * emails / 1e9

    rules = 1 - mix.direct_share
    delayed = rules * mix.delayed_share_of_rules
    campaign_events = rules / mix.rule_messages_per_campaign_event
    # SQS requests the functions make (counted), plus those of the event source mappings (one
    # ReceiveMessage and one DeleteMessageBatch per batch), EventBridge (one SendMessage per
    # campaign event and per SES event) and the Scheduler (one per delayed job).
    functions_sqs = sum(s.invocations * s.profile.sqs_requests() for s in invocation_shares)
    records = 1 + campaign_events + delayed + mix.ses_events_per_email
    mapping_sqs = records * 2 / mix.batch_size
    delivered_by_aws = campaign_events + delayed + mix.ses_events_per_email
    sqs_requests = (functions_sqs + mapping_sqs + delivered_by_aws) * emails

    lines = [
        Line(
            "API Gateway REST requests",
            mix.direct_share / mix.recipients_per_send * emails,
            "request",
            API_GATEWAY_REST_PER_MILLION / 1e6,
            "direct sends only; campaign events arrive on the bus",
        ),
        Line("Lambda requests", invocations, "invocation", LAMBDA_REQUESTS_PER_MILLION / 1e6),
        Line(
            "Lambda duration (arm64)",
            gb_seconds,
            "GB-s",
            LAMBDA_ARM64_PER_GB_SECOND,
            f"{measured.memory_mb} MB; own time x{cpu:.2f} + assumed call latency",
        ),
        Line("DynamoDB reads", read_units, "RRU", DYNAMODB_READ_UNITS_PER_MILLION / 1e6),
        Line(
            "DynamoDB writes",
            write_units,
            "WRU",
            DYNAMODB_WRITE_UNITS_PER_MILLION / 1e6,
            f"incl. {projected_write_units(mix):g} per email naming it under its recipient"
            " and recording rule runs",
        ),
        Line("SQS requests", sqs_requests, "request", SQS_STANDARD_PER_MILLION_REQUESTS / 1e6),
        Line(
            "EventBridge campaign events",
            campaign_events * emails,
            "event",
            EVENTBRIDGE_CUSTOM_EVENTS_PER_MILLION / 1e6,
        ),
        Line(
            "EventBridge Scheduler",
            delayed * emails,
            "invocation",
            SCHEDULER_INVOCATIONS_PER_MILLION / 1e6,
            f"delayed rules: {delayed:.0%} of emails",
        ),
    ]
    extra = [
        Line(
            "CloudWatch Logs ingestion",
            log_gb,
            "GB",
            CLOUDWATCH_LOGS_INGESTION_PER_GB,
            "measured log and metric output; not in the target figure",
        )
    ]
    return Estimate(lines=lines, extra=extra, webhooks=webhook_lines(measured, mix, cpu))


def lambda_ms_per_email(measured: Measured, mix: Mix, scale: float) -> dict[str, float]:
    """Billed Lambda milliseconds per email, by function (to show where duration goes)."""
    by_function: dict[str, float] = {}
    for share in shares(measured, mix) + webhook_shares(measured):
        name = share.profile.function
        by_function[name] = by_function.get(
            name, 0.0
        ) + share.invocations * share.profile.billed_ms(scale)
    return by_function


def dynamodb_units_per_email(measured: Measured, mix: Mix) -> dict[str, dict[str, float]]:
    """Read and write request units per email, by function (to show where they go)."""
    by_function: dict[str, dict[str, float]] = {}
    for share in shares(measured, mix) + webhook_shares(measured):
        units = by_function.setdefault(share.profile.function, {"read": 0.0, "write": 0.0})
        units["read"] += share.invocations * share.profile.read_units
        units["write"] += share.invocations * share.profile.write_units
    projection = by_function.setdefault(
        measured.projection_batch.function, {"read": 0.0, "write": 0.0}
    )
    projection["write"] += projected_write_units(mix)
    return by_function


def per_batch(profile_calls: Mapping[str, float], units_per_batch: float) -> dict[str, float]:
    """Per-unit call counts -> per-batch call counts."""
    return {call: count * units_per_batch for call, count in profile_calls.items()}


def describe(lines: Sequence[Line]) -> list[dict[str, object]]:
    return [
        {
            "component": line.component,
            "quantityPer1000Emails": line.quantity,
            "unit": line.unit,
            "unitPriceUsd": line.unit_price,
            "usd": line.dollars,
            "pctOfSes": line.pct_of_ses,
            "note": line.note,
        }
        for line in lines
    ]
