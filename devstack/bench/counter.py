"""Counts the AWS API calls a piece of code makes, with a botocore event hook.

`before-call.<service>.<Operation>` fires once per API call (the SDK's retries happen below
it), so every call is counted once whatever its outcome; `after-call` (or `after-call-error`)
closes it, which gives the time spent in the call. The hooks are registered on a session's
event emitter; every client created from that session afterwards inherits it (botocore copies
the session's emitter into each new client), so attach it before the code under measurement
creates its clients.

It also keeps the time spent emulating AWS, which is not the function's: moto answers each
request in a `before-send` handler (botocore's hook just before the HTTP send), so a hook
registered first on `before-send` starts a clock and one registered last stops it; hooks the
bench adds itself (the capacity meter's reads of moto's tables) can be wrapped with `timed`.
What remains of a call's time (validation, serialization, signing, response parsing, the
SDK's own hooks) is botocore's CPU in the function's process, as on Lambda.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from threading import local
from time import perf_counter
from typing import Any, Protocol

HOOK_EVENT = "before-call.*.*"
HOOK_ID = "tenx-bench-call-counter"
_STARTED = "tenx_bench_call_started"


class EventEmitter(Protocol):
    def register(
        self, event_name: str, handler: Any, unique_id: Any = None, unique_id_uses_count: bool = ...
    ) -> None: ...

    def register_first(self, event_name: str, handler: Any, unique_id: Any = None) -> None: ...

    def register_last(self, event_name: str, handler: Any, unique_id: Any = None) -> None: ...


@dataclass(frozen=True, order=True)
class ApiCall:
    service: str
    operation: str

    def __str__(self) -> str:
        return f"{self.service}:{self.operation}"


def api_call_of(event_name: str) -> ApiCall:
    """`before-call.dynamodb.GetItem` -> ApiCall("dynamodb", "GetItem")."""
    parts = event_name.split(".", 2)
    if len(parts) != 3 or parts[0] != "before-call":
        raise ValueError(f"not a before-call event: {event_name!r}")
    return ApiCall(parts[1], parts[2])


@dataclass
class Window:
    """The calls made while a `CallCounter.window()` was open."""

    calls: list[ApiCall] = field(default_factory=list)
    # Seconds spent inside AWS calls (from before-call to after-call), serialization included.
    seconds_in_calls: float = 0.0
    # Of those, seconds spent emulating AWS (moto answering, the bench's own hooks).
    seconds_emulated: float = 0.0

    @property
    def total(self) -> int:
        return len(self.calls)

    def by_call(self) -> dict[str, int]:
        """`service:Operation` -> count, in a stable order."""
        return {str(call): count for call, count in sorted(Counter(self.calls).items())}

    def count(self, service: str) -> int:
        return sum(1 for call in self.calls if call.service == service)


class CallCounter:
    def __init__(self) -> None:
        self.calls: list[ApiCall] = []
        self.durations: list[float] = []
        self.emulated: list[float] = []
        self._sending = local()

    def on_before_call(
        self, event_name: str, context: dict[str, Any] | None = None, **_: Any
    ) -> None:
        self.calls.append(api_call_of(event_name))
        if context is not None:
            context[_STARTED] = perf_counter()
        # None: botocore goes on with the call (a value here would short-circuit it).

    def on_call_done(self, context: dict[str, Any] | None = None, **_: Any) -> None:
        started = (context or {}).pop(_STARTED, None)
        if started is not None:
            self.durations.append(perf_counter() - started)

    def on_send(self, **_: Any) -> None:
        """First `before-send` handler: the emulator (moto's, registered between) answers next."""
        self._sending.started = perf_counter()

    def on_sent(self, **_: Any) -> None:
        """Last `before-send` handler: the emulator has answered."""
        started = getattr(self._sending, "started", None)
        if started is not None:
            self.emulated.append(perf_counter() - started)
            self._sending.started = None

    def timed(self, hook: Any) -> Any:
        """`hook`, its running time kept as emulation (a hook of the bench's own)."""

        def run(*args: Any, **kwargs: Any) -> Any:
            started = perf_counter()
            try:
                return hook(*args, **kwargs)
            finally:
                self.emulated.append(perf_counter() - started)

        return run

    def attach(self, events: EventEmitter) -> None:
        """Count every call of the clients created from this emitter's session from now on."""
        events.register(HOOK_EVENT, self.on_before_call, unique_id=HOOK_ID)
        events.register("after-call.*.*", self.on_call_done, unique_id=f"{HOOK_ID}-done")
        events.register("after-call-error.*.*", self.on_call_done, unique_id=f"{HOOK_ID}-error")
        events.register_first("before-send", self.on_send, unique_id=f"{HOOK_ID}-send")
        events.register_last("before-send", self.on_sent, unique_id=f"{HOOK_ID}-sent")

    def forget_since(self, calls: int, durations: int, emulated: int | None = None) -> None:
        """Drop what was recorded after the given lengths (work the bench does itself)."""
        del self.calls[calls:]
        del self.durations[durations:]
        if emulated is not None:
            del self.emulated[emulated:]

    @contextmanager
    def window(self) -> Iterator[Window]:
        window = Window()
        calls, durations, emulated = len(self.calls), len(self.durations), len(self.emulated)
        try:
            yield window
        finally:
            window.calls = self.calls[calls:]
            window.seconds_in_calls = sum(self.durations[durations:])
            window.seconds_emulated = sum(self.emulated[emulated:])


def per_unit(total_calls: int, units: int) -> float:
    """Calls per email (or per event) over a batch: the batch's calls amortized."""
    if units <= 0:
        raise ValueError("a batch with no units has no per-unit figure")
    return total_calls / units
