"""Shapes of the AWS resources, as plain data.

The CDK constructs and the local stack both build their table and queues from these
definitions, so the deployed stack and the laptop cannot drift apart.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True)
class IndexSpec:
    name: str
    partition_key: str
    sort_key: str


@dataclass(frozen=True)
class TableSpec:
    partition_key: str
    sort_key: str
    indexes: tuple[IndexSpec, ...]
    ttl_attribute: str
    # The table's change stream (DynamoDB Streams view type): what the event projection reads.
    stream_view_type: Literal["KEYS_ONLY", "NEW_IMAGE", "OLD_IMAGE", "NEW_AND_OLD_IMAGES"]


TABLE = TableSpec(
    partition_key="PK",
    sort_key="SK",
    indexes=(IndexSpec(name="GSI1", partition_key="GSI1PK", sort_key="GSI1SK"),),
    ttl_attribute="expiresAt",
    stream_view_type="NEW_AND_OLD_IMAGES",
)


@dataclass(frozen=True)
class StreamConsumerSpec:
    """A Lambda fed by the table's stream (an event source mapping), seeing only the changes
    of items whose sort key starts with one of `sort_key_prefixes` (a filter, so other items'
    changes cost no invocation). A failed batch is retried whole, as it was, up to `retry_attempts`
    times (no bisecting: the consumer's writes are keyed by the batch, so a retry rewrites
    the same items); then it goes to the consumer's dead-letter queue (the batch's place in
    the stream, for replay)."""

    module: str
    sort_key_prefixes: tuple[str, ...]
    timeout_seconds: int = 60
    batch_size: int = 100
    batching_window_seconds: int = 5
    retry_attempts: int = 10

    def passes(self, sort_key: str) -> bool:
        """Whether the consumer's filter lets an item's change through."""
        return sort_key.startswith(self.sort_key_prefixes)


# Messages' timelines -> the handle-wide event feed (services/projection.py); with
# enrollments' changes -> sequence stats (services/sequence_stats.py); sequences' changes ->
# their cascades (services/sequence_cascades.py).
EVENT_PROJECTION = StreamConsumerSpec(
    module="project_events", sort_key_prefixes=("MSG#", "ENROLL#", "SEQ#")
)
# Messages' timelines and rule runs -> one webhook delivery per subscribed endpoint
# (services/webhook_fanout.py).
WEBHOOK_FANOUT = StreamConsumerSpec(
    module="fan_out_webhooks", sort_key_prefixes=("MSG#", "RULERUN#"), batch_size=50
)
STREAM_CONSUMERS: tuple[StreamConsumerSpec, ...] = (EVENT_PROJECTION, WEBHOOK_FANOUT)


def stream_consumer_key(spec: StreamConsumerSpec) -> str:
    return spec.module.replace("_", "-")


def stream_dead_letter_queue_name(stage: str, spec: StreamConsumerSpec) -> str:
    """Where a stream consumer's event source puts the batches it gave up on (named like the
    work queues' DLQs, `queue_name`)."""
    return f"tenx-email-{stage}-{stream_consumer_key(spec)}-dlq"


@dataclass(frozen=True)
class QueueSpec:
    """A work queue and its dead-letter queue.

    The visibility timeout is six times the consumer's timeout (AWS's advice for Lambda
    event sources); the DLQ keeps messages longer than the source because a moved message
    keeps its original enqueue time.
    """

    key: str
    consumer_timeout_seconds: int
    batch_size: int
    max_receive_count: int = 5
    retention_seconds: int = 4 * 24 * 3600
    dlq_retention_seconds: int = 14 * 24 * 3600

    @property
    def visibility_timeout_seconds(self) -> int:
        return 6 * self.consumer_timeout_seconds


# Ten receives: a throttled send is retried with a growing delay (services/delivery.py,
# `retry_delay_seconds`), so nine retries span about 51 minutes of throttling before the DLQ.
DELIVERY_QUEUE = QueueSpec(
    key="delivery", consumer_timeout_seconds=60, batch_size=10, max_receive_count=10
)
TRIGGER_JOBS_QUEUE = QueueSpec(key="trigger-jobs", consumer_timeout_seconds=60, batch_size=10)
# SES sending events, routed from the default event bus by an EventBridge rule.
FEEDBACK_QUEUE = QueueSpec(key="feedback", consumer_timeout_seconds=30, batch_size=10)
# Webhook deliveries (services/webhook_sender.py): small batches, so a slow endpoint holds
# back few others; a failed attempt's record comes back after the retry schedule's delay
# (at most 10 hours: SQS allows 12), so receives allow the schedule's eight attempts and
# retries after throttling or a crash.
WEBHOOK_QUEUE = QueueSpec(
    key="webhooks", consumer_timeout_seconds=60, batch_size=10, max_receive_count=20
)
QUEUES: tuple[QueueSpec, ...] = (DELIVERY_QUEUE, TRIGGER_JOBS_QUEUE, FEEDBACK_QUEUE, WEBHOOK_QUEUE)


@dataclass(frozen=True)
class TraceSampling:
    """The X-Ray sampling rule of the API stage: the first `reservoir_per_second` requests
    each second, then `fixed_rate` of the rest. Consumers trace only what arrives sampled
    (Lambda's PassThrough): a sampled request is followed through its queues, and the rest of
    the traffic records no trace (X-Ray's default, one a second and 5 % of every function,
    was the largest cost line at low traffic: docs/decision_log.md, 2026-12-07)."""

    reservoir_per_second: int
    fixed_rate: float
    priority: int = 9000


API_TRACE_SAMPLING = TraceSampling(reservoir_per_second=0, fixed_rate=0.01)

SCHEDULE_GROUP_NAME_SUFFIX = "campaign-delays"
CAMPAIGN_EVENT_SOURCE = "tenx.campaigns"
CAMPAIGN_EVENT_DETAIL_TYPES = ("LeadCaptured", "ConversionRecorded")

# SES sending events as EventBridge carries them (source aws.ses): detail.eventType ->
# detail-type. The feedback rule matches these; the feedback service maps each eventType.
SES_EVENT_SOURCE = "aws.ses"
SES_EVENT_DETAIL_TYPES = {
    "Send": "Email Sent",
    "Delivery": "Email Delivered",
    "DeliveryDelay": "Email Delivery Delayed",
    "Bounce": "Email Bounced",
    "Complaint": "Email Complaint Received",
    "Reject": "Email Rejected",
    "Rendering Failure": "Email Rendering Failed",
}


def queue_name(stage: str, queue: QueueSpec, *, dead_letter: bool = False) -> str:
    return f"tenx-email-{stage}-{queue.key}{'-dlq' if dead_letter else ''}"


def table_name(stage: str) -> str:
    return f"tenx-email-{stage}"


def schedule_group_name(stage: str) -> str:
    return f"tenx-email-{stage}-{SCHEDULE_GROUP_NAME_SUFFIX}"


def configuration_set_name(stage: str) -> str:
    return f"tenx-email-{stage}"


# A handle's SES tenant: `tenx-<stage>_<handle>`. SES allows 64 of [A-Za-z0-9_-]; stages and
# handles hold no '_', so the prefix names this stage's tenants alone (the IAM grants use it).
# A longer name keeps its head and ends with a hash of the handle.
SES_TENANT_NAME_MAX = 64
_TENANT_HASH = 12


def ses_tenant_prefix(stage: str) -> str:
    return f"tenx-{stage}_"


def ses_tenant_name(stage: str, handle: str) -> str:
    name = ses_tenant_prefix(stage) + handle
    if len(name) <= SES_TENANT_NAME_MAX:
        return name
    digest = hashlib.sha256(handle.encode()).hexdigest()[:_TENANT_HASH]
    return f"{name[: SES_TENANT_NAME_MAX - _TENANT_HASH - 1]}-{digest}"


def event_bus_name(stage: str) -> str:
    return f"tenx-email-{stage}-campaign-events"


def token_keys_secret_name(stage: str) -> str:
    """The Secrets Manager secret holding the keys that seal client tokens."""
    return f"tenx-email-{stage}-token-keys"


# The metric the reputation guard emits when it pauses a handle (services/reputation.py):
# the stack alarms on it, since an operator must review the handle and resume it.
HANDLE_PAUSED_METRIC = "HandleSendingPaused"


def webhook_secrets_key_alias(stage: str) -> str:
    """The KMS key that encrypts webhook signing secrets (adapters/secret_box.py)."""
    return f"alias/tenx-email-{stage}-webhook-secrets"
