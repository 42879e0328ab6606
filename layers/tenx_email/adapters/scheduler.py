"""EventBridge Scheduler: one-time schedules for delayed campaign rules, deferred campaign
email and sequence steps."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from typing import TYPE_CHECKING, Any

import boto3
from botocore.exceptions import ClientError

if TYPE_CHECKING:
    from mypy_boto3_scheduler import EventBridgeSchedulerClient

# Retries cover a day of target trouble; then the job goes to the trigger-jobs DLQ.
MAX_RETRY_ATTEMPTS = 185
MAX_EVENT_AGE_SECONDS = 24 * 3600


@dataclass(frozen=True)
class ScheduleTarget:
    group: str
    queue_arn: str
    dead_letter_arn: str
    role_arn: str


@cache
def _client() -> EventBridgeSchedulerClient:
    return boto3.client("scheduler")


def create_one_time(target: ScheduleTarget, name: str, at: datetime, job: dict[str, Any]) -> bool:
    """Create a schedule that sends `job` to the queue once at `at` and then deletes itself.
    Returns False when a schedule of that name already exists (a repeated trigger job)."""
    try:
        _client().create_schedule(
            Name=name,
            GroupName=target.group,
            ScheduleExpression=f"at({at.astimezone(UTC).strftime('%Y-%m-%dT%H:%M:%S')})",
            ScheduleExpressionTimezone="UTC",
            FlexibleTimeWindow={"Mode": "OFF"},
            ActionAfterCompletion="DELETE",
            Target={
                "Arn": target.queue_arn,
                "RoleArn": target.role_arn,
                "Input": json.dumps(job),
                "RetryPolicy": {
                    "MaximumRetryAttempts": MAX_RETRY_ATTEMPTS,
                    "MaximumEventAgeInSeconds": MAX_EVENT_AGE_SECONDS,
                },
                "DeadLetterConfig": {"Arn": target.dead_letter_arn},
            },
        )
    except ClientError as error:
        if error.response["Error"]["Code"] == "ConflictException":
            return False
        raise
    return True


def delete(group: str, name: str) -> None:
    """Remove a pending schedule; one already gone (it fired, or was removed) is fine."""
    try:
        _client().delete_schedule(Name=name, GroupName=group)
    except ClientError as error:
        if error.response["Error"]["Code"] != "ResourceNotFoundException":
            raise
