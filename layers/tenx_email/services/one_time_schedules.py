"""The one-time EventBridge Scheduler schedules that bring trigger jobs back later (a delayed
rule's delay, a deferred campaign email, a sequence's next step): each sends its job to the
trigger-jobs queue once, with Scheduler's retries and the queue's DLQ, then deletes itself."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from tenx_email import clock
from tenx_email.adapters import scheduler
from tenx_email.settings import trigger_settings

# A schedule must lie in the future: a job due now (or past) fires a minute from now.
MINIMUM_LEAD_TIME = timedelta(minutes=1)


def _target() -> scheduler.ScheduleTarget:
    settings = trigger_settings()
    if not (
        settings.schedule_group_name
        and settings.trigger_jobs_queue_arn
        and settings.trigger_jobs_dlq_arn
        and settings.scheduler_role_arn
    ):
        raise RuntimeError("schedules need the schedule group, queue, DLQ and role settings")
    return scheduler.ScheduleTarget(
        group=settings.schedule_group_name,
        queue_arn=settings.trigger_jobs_queue_arn,
        dead_letter_arn=settings.trigger_jobs_dlq_arn,
        role_arn=settings.scheduler_role_arn,
    )


def create(name: str, due: datetime, job: dict[str, Any]) -> bool:
    """Schedule `job` for `due` (or a minute from now, if that is later) under a name derived
    from what it is for; False when a schedule of that name stands already."""
    return scheduler.create_one_time(
        _target(), name, max(due, clock.now() + MINIMUM_LEAD_TIME), job
    )


def remove(name: str) -> None:
    """Remove a pending schedule (one that fired or was removed already is fine)."""
    scheduler.delete(_target().group, name)
