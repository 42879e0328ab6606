"""EventBridge Scheduler's delivery, which moto leaves out: moto stores schedules but never
fires them. This fires the group's one-time `at(...)` schedules once they are due by the
service's clock (tenx_email.clock), which the local stack can move forward."""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from botocore.exceptions import ClientError

from tenx_email import clock

if TYPE_CHECKING:
    from mypy_boto3_scheduler import EventBridgeSchedulerClient
    from mypy_boto3_scheduler.type_defs import GetScheduleOutputTypeDef
    from mypy_boto3_sqs import SQSClient

TICK_SECONDS = 1.0
_AT = re.compile(r"at\((\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})\)")
# Scheduler delivers a notification of its own when a target has no Input; locally an empty
# JSON object stands in for it.
_NO_INPUT = "{}"

_log = logging.getLogger(__name__)


def due_at(expression: str, timezone: str | None) -> datetime | None:
    """When a one-time schedule is due; None for rate() and cron() expressions."""
    found = _AT.fullmatch(expression.strip())
    if found is None:
        return None
    return datetime.fromisoformat(found.group(1)).replace(tzinfo=ZoneInfo(timezone or "UTC"))


class SchedulerEmulator:
    def __init__(
        self,
        scheduler: EventBridgeSchedulerClient,
        sqs: SQSClient,
        group_name: str,
        now: Callable[[], datetime] = clock.now,
    ) -> None:
        self._scheduler = scheduler
        self._sqs = sqs
        self._group = group_name
        self._now = now
        self._lock = threading.Lock()
        # Every fired schedule, by ARN and last modification: one kept after completion
        # (ActionAfterCompletion NONE) fires once, and again only if it is updated.
        self._fired: set[tuple[str, datetime]] = set()

    def fire_due(self) -> list[str]:
        """Fire every enabled schedule of the group that is due; return their names."""
        with self._lock:
            return self._fire_due()

    def advance(self, delta: timedelta) -> tuple[datetime, list[str]]:
        """Move the service's clock forward and fire what became due, as one step, so the
        schedules it fires are the ones reported to the caller."""
        with self._lock:
            moment = clock.advance(delta)
            return moment, self._fire_due()

    def run_until(self, stop: threading.Event) -> None:
        while not stop.wait(TICK_SECONDS):
            try:
                self.fire_due()
            except Exception:
                _log.exception("the scheduler emulator could not fire due schedules")

    def _fire_due(self) -> list[str]:
        now = self._now()
        fired = []
        pages = self._scheduler.get_paginator("list_schedules").paginate(
            GroupName=self._group, State="ENABLED"
        )
        for summary in (summary for page in pages for summary in page["Schedules"]):
            if (summary["Arn"], summary["LastModificationDate"]) in self._fired:
                continue
            try:
                if self._fire_if_due(summary["Name"], now):
                    fired.append(summary["Name"])
            except ClientError:
                # Scheduler retries a failed delivery; here the next tick does.
                _log.exception("could not fire schedule %s", summary["Name"])
        return fired

    def _fire_if_due(self, name: str, now: datetime) -> bool:
        schedule = self._scheduler.get_schedule(Name=name, GroupName=self._group)
        due = due_at(schedule["ScheduleExpression"], schedule.get("ScheduleExpressionTimezone"))
        if due is None or due > now:
            return False
        self._deliver(schedule)
        self._fired.add((schedule["Arn"], schedule["LastModificationDate"]))
        if schedule.get("ActionAfterCompletion") == "DELETE":
            self._scheduler.delete_schedule(Name=name, GroupName=self._group)
        return True

    def _deliver(self, schedule: GetScheduleOutputTypeDef) -> None:
        target = schedule["Target"]
        # arn:aws:sqs:<region>:<account>:<queue name>
        service, _region, account, queue_name = target["Arn"].split(":")[2:6]
        if service != "sqs":
            # The service only ever targets its trigger-jobs queue; anything else is dropped,
            # as Scheduler drops an event it cannot deliver.
            _log.error("schedule %s: only SQS targets run locally", schedule["Name"])
            return
        queue_url = self._sqs.get_queue_url(QueueName=queue_name, QueueOwnerAWSAccountId=account)[
            "QueueUrl"
        ]
        self._sqs.send_message(QueueUrl=queue_url, MessageBody=target.get("Input") or _NO_INPUT)
