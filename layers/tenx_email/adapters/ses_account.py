"""SES v2 GetAccount: the account's maximum send rate (SendQuota.MaxSendRate, emails a second).

The rate changes only when AWS raises the quota, so it is read once per execution environment
and again every REFRESH_SECONDS, never per message. A failed read must not stop delivery: it
answers FALLBACK_RATE (SES's lowest rate, a sandboxed account's) and tries again after
RETRY_SECONDS; SES's throttling answers stay the backstop either way.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING

import boto3
from botocore.config import Config

from tenx_email.observability import logger

if TYPE_CHECKING:
    from mypy_boto3_sesv2 import SESV2Client

REFRESH_SECONDS = 600.0
RETRY_SECONDS = 60.0
FALLBACK_RATE = 1.0
_CLIENT_CONFIG = Config(retries={"total_max_attempts": 2}, connect_timeout=2, read_timeout=3)


@dataclass
class _Reading:
    rate: float
    until: float  # time.monotonic() after which it is read again


_readings: dict[str, _Reading] = {}


@cache
def _client(region: str) -> SESV2Client:
    return boto3.client("sesv2", region_name=region, config=_CLIENT_CONFIG)


def max_send_rate(region: str) -> float:
    now = time.monotonic()
    reading = _readings.get(region)
    if reading is None or now >= reading.until:
        reading = _readings[region] = _read(region, now)
    return reading.rate


def _read(region: str, now: float) -> _Reading:
    try:
        rate = float(_client(region).get_account()["SendQuota"]["MaxSendRate"])
        if rate > 0:
            return _Reading(rate, now + REFRESH_SECONDS)
        logger.warning("SES reported no send rate; pacing at the fallback rate")
    # Any failure (no permission, SES unreachable, a malformed answer): pace conservatively.
    except Exception as error:
        logger.warning(
            "SES GetAccount failed; pacing at the fallback rate",
            extra={"error": type(error).__name__},
        )
    return _Reading(FALLBACK_RATE, now + RETRY_SECONDS)


def reset() -> None:
    """Forget the cached client and readings (tests switch between fake AWS accounts)."""
    _readings.clear()
    _client.cache_clear()
