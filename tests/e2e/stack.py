"""The local stack as a test fixture: started once per test session as `python -m devstack`
with its own ports and state directory, and called over HTTP."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest

REPO = Path(__file__).resolve().parents[2]
STARTUP_SECONDS = 60
SHUTDOWN_SECONDS = 15


def free_ports() -> tuple[int, int]:
    """Two distinct ports nobody listens on (both are held until both are chosen)."""
    with socket.socket() as first, socket.socket() as second:
        first.bind(("127.0.0.1", 0))
        second.bind(("127.0.0.1", 0))
        return first.getsockname()[1], second.getsockname()[1]


def port_is_free(port: int) -> bool:
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


@dataclass
class Stack:
    process: subprocess.Popen[bytes]
    state_dir: Path
    ports: tuple[int, int]
    log: Path

    @property
    def state_file(self) -> Path:
        return self.state_dir / "stack.json"

    def document(self) -> dict[str, Any]:
        loaded: dict[str, Any] = json.loads(self.state_file.read_text())
        return loaded

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def stop(self, signum: int = signal.SIGINT) -> int | None:
        """Signal the stack and wait for it; None if it did not exit in time (then kill it)."""
        if self.process.poll() is None:
            self.process.send_signal(signum)
        try:
            return self.process.wait(timeout=SHUTDOWN_SECONDS)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            return None


def start_stack(state_dir: Path) -> Stack:
    port, moto_port = free_ports()
    environment = {name: value for name, value in os.environ.items() if not name.startswith("AWS_")}
    environment.update(PORT=str(port), MOTO_PORT=str(moto_port), LOCAL_STATE_DIR=str(state_dir))
    log = state_dir / "stack.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "devstack"],
            cwd=REPO,
            env=environment,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    stack = Stack(process=process, state_dir=state_dir, ports=(port, moto_port), log=log)
    deadline = time.monotonic() + STARTUP_SECONDS
    while not stack.state_file.exists():
        if process.poll() is not None or time.monotonic() > deadline:
            stack.stop()
            pytest.fail(f"the local stack did not come up:\n{stack.output()}")
        time.sleep(0.1)
    return stack


CALL_TIMEOUT_SECONDS = 30


def call(
    doc: dict[str, Any],
    method: str,
    path: str,
    *,
    token: str | None = None,
    body: bytes | None = None,
) -> tuple[int, Any]:
    """(status, body parsed as JSON when it is JSON)."""
    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    if body is not None:
        headers["Content-Type"] = "application/json"
    request = urllib.request.Request(
        doc["apiBase"] + path, data=body, headers=headers, method=method
    )
    try:
        # The local stack runs one function at a time (devstack/lambdas.py): a request may
        # wait behind a delivery batch of many recipients that earlier tests queued.
        with urllib.request.urlopen(request, timeout=CALL_TIMEOUT_SECONDS) as response:
            status, raw, kind = response.status, response.read(), response.headers["Content-Type"]
    except urllib.error.HTTPError as error:
        status, raw, kind = error.code, error.read(), error.headers["Content-Type"]
    if not raw:
        return status, None
    return status, json.loads(raw) if (kind or "").startswith("application/json") else raw.decode()


def aws_client(doc: dict[str, Any], service: str) -> Any:
    """A boto3 client of the local stack's moto (test set-up and inspection only)."""
    return boto3.client(
        service, endpoint_url=doc["aws"]["endpointUrl"], region_name=doc["aws"]["region"]
    )


def run_curl(doc: dict[str, Any], command: str, home: Path) -> tuple[int, Any]:
    """Run one of the contract's curl examples unchanged, as a person would in a shell with
    the contract's variables exported (TENX_JWT is the OPERATOR's). A ~/.curlrc appends the
    status code, so the command itself stays as published. Returns (status, JSON or None)."""
    (home / ".curlrc").write_text('write-out = "\\n%{http_code}"\n')
    environment = {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "HOME": str(home),
        "TENX_API_BASE": doc["apiBase"],
        "TENX_JWT": doc["tokens"]["OPERATOR"],
        "TENX_HANDLE": doc["handle"],
        "TENX_DOMAIN": doc["domain"],
    }
    finished = subprocess.run(
        ["bash", "-c", command],
        env=environment,
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    body, _, status = finished.stdout.rpartition("\n")
    return int(status), json.loads(body) if body.strip() else None
