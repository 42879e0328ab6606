"""Local only: SES's maximum send rate, which moto neither reports nor enforces.

sesv2 GetAccount answers SendQuota.MaxSendRate = `max_send_rate`; SendEmail calls over that
rate (a token bucket over wall time, across every client, holding one second of sends as SES
counts them) are answered TooManyRequestsException, as SES answers, without reaching moto.
`throttled` counts those answers, for the tests and the bench.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from botocore.awsrequest import AWSResponse
from botocore.compat import HTTPHeaders

from devstack.environment import DEFAULT_MAX_SEND_RATE
from devstack.local_ses import Hooks, register, unregister


class SesSendRate:
    def __init__(
        self,
        max_send_rate: float = DEFAULT_MAX_SEND_RATE,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.max_send_rate = max_send_rate
        self.throttled = 0
        self.accepted = 0
        self._clock = clock
        self._tokens = max(1.0, max_send_rate)
        self._at = clock()
        self._lock = threading.Lock()  # the local stack's pollers share it
        self.hooks: Hooks = [
            ("before-call.sesv2.GetAccount", self._account),
            ("before-call.sesv2.SendEmail", self._send),
        ]

    def _allow(self) -> bool:
        with self._lock:
            now, capacity = self._clock(), max(1.0, self.max_send_rate)
            self._tokens = min(capacity, self._tokens + (now - self._at) * self.max_send_rate)
            self._at = now
            if self._tokens < 1:
                self.throttled += 1
                return False
            self._tokens -= 1
            self.accepted += 1
            return True

    def _send(self, **_: Any) -> tuple[AWSResponse, dict[str, Any]] | None:
        if self._allow():
            return None  # on to moto
        error = {"Code": "TooManyRequestsException", "Message": "Maximum sending rate exceeded."}
        return _answer(429, {"Error": error})

    def _account(self, **_: Any) -> tuple[AWSResponse, dict[str, Any]]:
        quota = {"Max24HourSend": 1e9, "MaxSendRate": self.max_send_rate, "SentLast24Hours": 0.0}
        return _answer(200, {"SendQuota": quota, "SendingEnabled": True})

    def install(self) -> None:
        """For SES clients created from now on (the local stack's LocalSes registers `hooks`
        itself)."""
        register(self.hooks)

    def uninstall(self) -> None:
        unregister(self.hooks)


def _answer(status: int, parsed: dict[str, Any]) -> tuple[AWSResponse, dict[str, Any]]:
    """What a before-call hook returns to stand in for the HTTP exchange (botocore's
    BaseClient._make_api_call)."""
    parsed["ResponseMetadata"] = {"HTTPStatusCode": status}
    return AWSResponse("https://email.local/", status, HTTPHeaders(), None), parsed
