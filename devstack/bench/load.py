"""Concurrent direct sends over HTTP against the local stack, and what became of each.

The stack runs as `python -m devstack` in a child process on free loopback ports with its own
state directory; the run creates the contract's sender and template through the API, sends
the planned requests (devstack/bench/load_plan.py: two thirds fresh idempotency keys, a third
repeats with the identical body, some of them concurrent with their original, and a few
conflicts with a different body) from a bounded thread pool, to a few addresses, with a
variable that makes each body's rendered subject unique; it waits a bounded time for every
message a 202 named to reach a final status, and reads the mail SES (moto) accepted.

- accepted, replayed, conflicts: the answers, counted per key (load_plan.classify);
- sent: messages final as sent with their mail at SES;
- lost: messages a 202 named but never final, or final without being sent;
- duplicates: SES sends beyond the first for one (recipient, subject): since a subject is
  unique to a key's body, a replay that made a second mail counts here too.
"""

from __future__ import annotations

import http.client
import json
import math
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections import Counter
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from devstack.bench.load_plan import Answer, Kind, Planned, classify, plan
from devstack.bench.scenario import SENDER, TEMPLATE

REPO = Path(__file__).resolve().parents[2]
STARTUP_SECONDS = 60
SHUTDOWN_SECONDS = 60
REQUEST_TIMEOUT_SECONDS = 30
SETTLE_SECONDS_BASE = 60
SETTLE_SECONDS_PER_MESSAGE = 0.5
ADDRESSES = 5
IN_FLIGHT = frozenset({"QUEUED", "SENDING"})
SENT_STATUSES = frozenset({"SENT", "DELIVERED", "DELIVERY_DELAYED"})


def percentile(values: Sequence[float], pct: float) -> float:
    """Nearest-rank percentile (p99 of 100 values is the 99th smallest); 0 for none."""
    if not values:
        return 0.0
    if not 0 < pct <= 100:
        raise ValueError("percentile must be in (0, 100]")
    ordered = sorted(values)
    return float(ordered[max(0, math.ceil(pct / 100 * len(ordered)) - 1)])


def count_duplicates(mails: Sequence[tuple[str, str]]) -> int:
    """SES sends beyond the first per (recipient, subject)."""
    seen = Counter((recipient.lower(), subject) for recipient, subject in mails)
    return sum(count - 1 for count in seen.values() if count > 1)


def subject(variant: int) -> str:
    """A body variant's rendered subject (the template's, with firstName Load<variant>)."""
    return f"Thanks for reaching out, Load{variant}"


@dataclass(frozen=True)
class Sends:
    sent: int
    lost: int
    duplicates: int
    ses_mails: int  # SES sends with one of the messages' subjects


def tally_sends(
    messages: dict[str, str], statuses: dict[str, str], mails: Sequence[tuple[str, str]]
) -> Sends:
    """messages: id -> subject; statuses: id -> status; mails: (recipient, subject) at SES."""
    ours = [mail for mail in mails if mail[1] in set(messages.values())]
    mailed = Counter(mail_subject for _, mail_subject in ours)
    sent = sum(
        1
        for message_id, message_subject in messages.items()
        if statuses.get(message_id) in SENT_STATUSES and mailed[message_subject] >= 1
    )
    return Sends(sent, len(messages) - sent, count_duplicates(ours), len(ours))


@dataclass
class LoadResult:
    requests: int
    concurrency: int
    planned_repeats: int
    planned_conflicts: int
    accepted: int
    replayed: int
    conflicts: int
    replay_mismatches: int
    unexpected: dict[str, int]  # "kind status error" -> count, for answers not planned
    messages: int
    sent: int
    lost: int
    duplicates: int
    final_statuses: dict[str, int]
    ses_mails: int
    p50_ms: float
    p99_ms: float
    max_ms: float
    send_seconds: float
    settle_seconds: float
    notes: list[str] = field(default_factory=list)
    # After SIGINT: how long the stack took to exit, and its exit code (None: it was killed).
    stop_seconds: float = 0.0
    stop_exit_code: int | None = None


def _free_ports() -> tuple[int, int]:
    with socket.socket() as first, socket.socket() as second:
        first.bind(("127.0.0.1", 0))
        second.bind(("127.0.0.1", 0))
        return first.getsockname()[1], second.getsockname()[1]


class Api:
    def __init__(self, base: str, token: str) -> None:
        if not base.startswith("http://127.0.0.1:"):
            raise ValueError(f"the load run only calls the local stack on loopback, not {base}")
        self.base = base
        self.token = token

    def call(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        data = json.dumps(body).encode() if body is not None else None
        headers = {"Authorization": f"Bearer {self.token}"}
        if data is not None:
            headers["Content-Type"] = "application/json"
        url = self.base + path  # loopback http only, checked above
        request = urllib.request.Request(url, data=data, headers=headers, method=method)  # noqa: S310
        try:
            with urllib.request.urlopen(request, timeout=REQUEST_TIMEOUT_SECONDS) as response:  # noqa: S310
                status, raw = response.status, response.read()
        except urllib.error.HTTPError as error:
            status, raw = error.code, error.read()
        return status, json.loads(raw) if raw else None


class LocalStack:
    """`python -m devstack` in a child process, stopped with SIGINT as a person would."""

    def __init__(self, state_dir: Path) -> None:
        self.state_dir = state_dir
        self.log = state_dir / "stack.log"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> dict[str, Any]:
        port, moto_port = _free_ports()
        env = {name: value for name, value in os.environ.items() if not name.startswith("AWS_")}
        env.update(PORT=str(port), MOTO_PORT=str(moto_port), LOCAL_STATE_DIR=str(self.state_dir))
        with self.log.open("wb") as output:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "devstack"],
                cwd=REPO,
                env=env,
                stdout=output,
                stderr=subprocess.STDOUT,
            )
        state = self.state_dir / "stack.json"
        deadline = time.monotonic() + STARTUP_SECONDS
        while not state.exists():
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"the local stack did not come up:\n{self.output()[-3000:]}")
            time.sleep(0.1)
        document: dict[str, Any] = json.loads(state.read_text())
        return document

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def stop(self) -> int | None:
        """SIGINT, then wait; kill it (and answer None) if it has not exited in time."""
        if self.process is None:
            return None
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
        try:
            return self.process.wait(timeout=SHUTDOWN_SECONDS)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            return None


def _body(request: Planned, run_id: str) -> dict[str, Any]:
    return {
        "senderId": "sender_notifications",
        "to": [f"load{request.variant % ADDRESSES}@example.com"],
        "purpose": "TRANSACTIONAL_API",
        "idempotencyKey": f"load-{run_id}-{request.key}",
        "consentAttestation": True,
        "templateId": TEMPLATE["templateId"],
        "variables": {"firstName": f"Load{request.variant}", "service": "load test"},
    }


def _send_all(
    api: Api, handle: str, planned: list[Planned], run_id: str, concurrency: int
) -> list[tuple[Answer, float]]:
    """Every planned request, `concurrency` at a time; one that waits for an earlier answer
    cannot deadlock the pool, which starts requests in plan order: the earlier one is running
    or done. A wait is not part of the request's latency."""
    answered = [threading.Event() for _ in planned]

    def send(request: Planned) -> tuple[Answer, float]:
        if request.wait_for is not None:
            answered[request.wait_for].wait()
        started = time.perf_counter()
        try:
            path = f"/v2/handles/{handle}/email/messages"
            status, answer = api.call("POST", path, _body(request, run_id))
        except (OSError, http.client.HTTPException) as error:
            # No answer (a timeout, a dropped connection) is an answer not planned, status 0.
            status, answer = 0, {"error": type(error).__name__}
        finally:
            answered[request.index].set()
        elapsed = (time.perf_counter() - started) * 1000
        answer = answer or {}
        message_id = answer.get("message", {}).get("messageId") if status == 202 else None
        return Answer(status, answer.get("error"), message_id), elapsed

    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        return list(pool.map(send, planned))


def _statuses(api: Api, handle: str) -> dict[str, str]:
    """Every message of the handle -> its status (all pages)."""
    found: dict[str, str] = {}
    token: str | None = None
    while True:
        path = f"/v2/handles/{handle}/email/messages?limit=100"
        if token:
            path += f"&nextToken={urllib.parse.quote(token)}"
        status, page = api.call("GET", path)
        if status != 200:
            raise RuntimeError(f"listing messages answered {status}: {page}")
        found.update({m["messageId"]: m["status"] for m in page["messages"]})
        token = page.get("nextToken")
        if not token:
            return found


def _fetch_json(url: str, timeout: float) -> Any:
    with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 (loopback)
        return json.loads(response.read())


def _mail(document: dict[str, Any], notes: list[str]) -> list[tuple[str, str]]:
    """(recipient, subject) of every mail SES accepted: from the local mail endpoint, or, when
    that fails, from moto's data API directly (the endpoint reads the same, with a 5 s limit)."""
    try:
        messages = _fetch_json(f"{document['apiBase']}/_local/mail?format=json", 60)["messages"]
        return [
            (recipient, str(message["subject"]))
            for message in messages
            for recipient in message["destinations"]
        ]
    except (OSError, http.client.HTTPException, ValueError) as error:
        started = time.perf_counter()
        data = _fetch_json(f"{document['aws']['endpointUrl']}/moto-api/data.json", 180)
        notes.append(
            f"/_local/mail failed ({type(error).__name__}); read moto's /moto-api/data.json "
            f"instead, which took {time.perf_counter() - started:.0f} s"
        )
    return [
        (recipient, str(message["subject"]))
        for message in data.get("ses", {}).get("Message", [])
        for group in message["destinations"].values()
        for recipient in group
    ]


def run(
    requests: int, concurrency: int = 16, progress: Callable[[str], None] = lambda _: None
) -> LoadResult:
    with tempfile.TemporaryDirectory(prefix="tenx-bench-load-") as state_dir:
        stack = LocalStack(Path(state_dir))
        document = stack.start()
        try:
            result = _run(document, requests, concurrency, progress)
        finally:
            stopping = time.perf_counter()
            code = stack.stop()
            stop_seconds = time.perf_counter() - stopping
        if code is None:
            result.notes.append(
                f"the stack had not exited {SHUTDOWN_SECONDS} s after SIGINT and was killed"
            )
        return replace(result, stop_seconds=stop_seconds, stop_exit_code=code)


def _run(
    document: dict[str, Any], requests: int, concurrency: int, progress: Callable[[str], None]
) -> LoadResult:
    api = Api(document["apiBase"], document["tokens"]["OPERATOR"])
    handle = document["handle"]
    for method, path, body, expected in (
        ("PUT", f"/v2/handles/{handle}/email/senders/sender_notifications", SENDER, 200),
        ("POST", f"/v2/handles/{handle}/email/templates", TEMPLATE, 201),
    ):
        status, answer = api.call(method, path, body)
        if status != expected:
            raise RuntimeError(f"load set-up: {method} {path} answered {status}: {answer}")

    planned = plan(requests)
    kinds = Counter(request.kind for request in planned)
    progress(
        f"{requests} sends ({kinds[Kind.REPEAT]} repeats, {kinds[Kind.CONFLICT]} conflicts), "
        f"{concurrency} at a time"
    )
    started = time.perf_counter()
    results = _send_all(api, handle, planned, uuid.uuid4().hex[:8], concurrency)
    send_seconds = time.perf_counter() - started
    tally = classify(planned, [answer for answer, _ in results])
    latencies = [elapsed for _, elapsed in results]

    progress(f"waiting for {len(tally.messages)} messages to reach a final status")
    settle_started = time.perf_counter()
    deadline = time.monotonic() + SETTLE_SECONDS_BASE + SETTLE_SECONDS_PER_MESSAGE * requests
    while True:
        statuses = _statuses(api, handle)
        pending = [m for m in tally.messages if statuses.get(m, "QUEUED") in IN_FLIGHT]
        if not pending or time.monotonic() > deadline:
            break
        time.sleep(1)
    settle_seconds = time.perf_counter() - settle_started

    notes: list[str] = []
    sends = tally_sends(
        {message_id: subject(variant) for message_id, variant in tally.messages.items()},
        statuses,
        _mail(document, notes),
    )
    if pending:
        notes.append(f"{len(pending)} messages still in flight after {settle_seconds:.0f} s")
    return LoadResult(
        requests=requests,
        concurrency=concurrency,
        planned_repeats=kinds[Kind.REPEAT],
        planned_conflicts=kinds[Kind.CONFLICT],
        accepted=tally.accepted,
        replayed=tally.replayed,
        conflicts=tally.conflicts,
        replay_mismatches=tally.replay_mismatches,
        unexpected=tally.unexpected,
        messages=len(tally.messages),
        sent=sends.sent,
        lost=sends.lost,
        duplicates=sends.duplicates,
        final_statuses=dict(Counter(statuses.get(m, "MISSING") for m in tally.messages)),
        ses_mails=sends.ses_mails,
        p50_ms=percentile(latencies, 50),
        p99_ms=percentile(latencies, 99),
        max_ms=max(latencies, default=0.0),
        send_seconds=send_seconds,
        settle_seconds=settle_seconds,
        notes=notes,
    )
