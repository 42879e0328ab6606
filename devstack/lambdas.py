"""Runs the real Lambda handlers (`functions.<module>.handler`) inside this process."""

from __future__ import annotations

import importlib
import threading
import time
import uuid
from dataclasses import dataclass
from typing import Any

from devstack.environment import ACCOUNT_ID, REGION, STAGE

MEMORY_MB = 256
DEFAULT_TIMEOUT_SECONDS = 30


@dataclass(frozen=True)
class LocalLambdaContext:
    """The part of Lambda's context object the handlers and Powertools read."""

    function_name: str
    memory_limit_in_mb: int
    invoked_function_arn: str
    aws_request_id: str
    deadline: float

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self.deadline - time.monotonic()) * 1000))


def lambda_context(
    module: str, *, stage: str = STAGE, timeout_seconds: int = DEFAULT_TIMEOUT_SECONDS
) -> LocalLambdaContext:
    """The context Lambda would pass to the function of `functions/<module>.py`."""
    name = f"tenx-email-{stage}-{module.replace('_', '-')}"
    return LocalLambdaContext(
        function_name=name,
        memory_limit_in_mb=MEMORY_MB,
        invoked_function_arn=f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:{name}",
        aws_request_id=str(uuid.uuid4()),
        deadline=time.monotonic() + timeout_seconds,
    )


class LambdaRunner:
    """Invokes handlers one at a time.

    In AWS each execution environment serves one request at a time, and the functions keep
    per-request state in module globals (Powertools' resolver holds the current event, the
    shared logger holds the invocation's keys). Here all functions share one interpreter, so
    a single lock gives every invocation the isolation it would have in Lambda.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()

    def invoke(
        self, module: str, event: dict[str, Any], timeout_seconds: int = DEFAULT_TIMEOUT_SECONDS
    ) -> Any:
        handler = importlib.import_module(f"functions.{module}").handler
        with self._lock:
            return handler(event, lambda_context(module, timeout_seconds=timeout_seconds))
