"""Names and numbers the constructs share, kept in one place."""

from __future__ import annotations

from pathlib import Path

from aws_cdk import Duration
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs

REPO_ROOT = Path(__file__).resolve().parent.parent
FUNCTIONS_DIR = REPO_ROOT / "functions"
LAYERS_DIR = REPO_ROOT / "layers"
LAYER_PACKAGE = "tenx_email"

SERVICE_NAME = "tenx-email"
METRICS_NAMESPACE = "TenxEmail"
LOG_LEVEL = "INFO"
AUTHORIZER_MODULE = "authorizer"


def stack_name(stage: str) -> str:
    return f"{SERVICE_NAME}-{stage}"


# Lambda runtime target; the layer's wheels are built for the same version and architecture.
LAMBDA_RUNTIME = lambda_.Runtime.PYTHON_3_14
LAMBDA_ARCHITECTURE = lambda_.Architecture.ARM_64
LAMBDA_PYTHON_VERSION = LAMBDA_RUNTIME.name.removeprefix("python")  # "3.14"
LAMBDA_PIP_PLATFORM = "manylinux2014_aarch64"
LAMBDA_MEMORY_MB = 256
API_FUNCTION_TIMEOUT = Duration.seconds(10)
LOG_RETENTION = logs.RetentionDays.ONE_MONTH

# The authorizer's decision depends on the token alone, so a cached policy is safe to reuse.
AUTHORIZER_CACHE_TTL = Duration.seconds(300)
API_THROTTLE_RATE = 50
API_THROTTLE_BURST = 100

# One message in a dead-letter queue already means a send or a trigger was given up on.
DLQ_ALARM_THRESHOLD = 1
DLQ_ALARM_PERIOD = Duration.minutes(5)
# A stream consumer whose oldest record stays this old for this many periods (of
# DLQ_ALARM_PERIOD) is failing or falling behind: the projection retries a batch for minutes
# before giving up on it, and its feed and the days' usage lag as long.
ITERATOR_AGE_ALARM_MINUTES = 10
ITERATOR_AGE_ALARM_PERIODS = 3

# --- Queue consumers (infra/constructs/consumers.py) ---
DELIVERY_MODULE = "deliver"
FEEDBACK_MODULE = "feedback"
TRIGGER_MODULE = "trigger"
# Concurrent delivery invocations (the SQS event source's maximum concurrency), unless context
# `deliveryMaxConcurrency` says otherwise: each paces itself to this share of SES's send rate.
DELIVERY_MAX_CONCURRENCY = 5

# The webhook sender (infra/constructs/webhook_sender.py) reads deliveries and their endpoints
# together and updates the endpoints' health fields; it puts items only in the delivery logs'
# partitions (WEBHOOK_LOG_PUT, bound by a dynamodb:LeadingKeys condition); no deletes.
WEBHOOK_SENDER_MODULE = "send_webhooks"
WEBHOOK_SENDER_TABLE_ACTIONS = ("dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:UpdateItem")
WEBHOOK_LOG_PUT = "dynamodb:PutItem"

# --- Table stream consumers (infra/constructs/streams.py) ---
# The event projection appends what the stream shows (puts), charges the days' usage (a
# transaction of a PutItem naming the batch and an UpdateItem) and reads the last feed page
# of each handle it writes to (Query: where the batch's pages go); no deletes.
EVENT_PROJECTION_TABLE_ACTIONS = (
    "dynamodb:PutItem",
    "dynamodb:BatchWriteItem",
    "dynamodb:UpdateItem",
    "dynamodb:Query",
    "dynamodb:GetItem",  # the reputation counts, read back after a batch adds to them
)
# The webhook fan-out reads the handle's endpoints; it writes nothing to the table (its jobs
# carry each delivery to the sender).
WEBHOOK_FANOUT_TABLE_ACTIONS = ("dynamodb:Query",)
# A failed batch's place in the stream can be replayed only while the stream keeps it (24 hours),
# but still says which changes were not consumed for as long as the work queues' DLQs keep theirs.
STREAM_DLQ_RETENTION = Duration.days(14)
