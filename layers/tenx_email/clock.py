"""The service's clock. The local stack moves it forward (POST /_local/clock/advance) to fire
delayed schedules without waiting; in AWS the offset stays zero."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

_offset = timedelta()


def now() -> datetime:
    return datetime.now(UTC) + _offset


def advance(delta: timedelta) -> datetime:
    global _offset
    if delta < timedelta():
        raise ValueError("the clock only moves forward")
    _offset += delta
    return now()


def iso(moment: datetime) -> str:
    """ISO 8601 with milliseconds and a Z, as the contract shows (2026-06-12T08:00:00.000Z)."""
    return (
        moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
    )
