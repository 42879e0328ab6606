"""What a cold route function costs after its import: its first invocation, on moto.

A user waits for the import and the first invocation together. The first invocation pays
what the import left for later: boto3 clients (their service models are read on first use),
the settings read from the environment, pydantic validators built on first use
(`defer_build`), and the resolver's first dispatch (its request validation is prepared
then). So each route runs in a fresh interpreter that imports its handler (timed, the same
way as imports.py) and invokes it once with the route's representative request (timed).

The interpreter reaches moto over loopback HTTP: the bench's own moto, served by a
`ThreadedMotoServer` in the bench's process, so the child sees the data the scenario seeded.
So the first invocation includes its AWS calls' round trips to moto (a few milliseconds
each, less than AWS's); nothing of the bench is imported in the child before the handler.

The stack's own floor runs the same way beside the routes: floor_route.py's read route (the
Table resource, one GetItem, the resolver's first dispatch, Logger and Metrics). Its first
invocation is already about two fifths of its import, so no route of this stack meets "adds
at most a quarter to its import"; each route is also shown over the floor's first
invocation, with the cold import's standard (our code adds at most a tenth).
"""

from __future__ import annotations

import json
import logging
import os
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from devstack.bench import targets

if TYPE_CHECKING:
    from devstack.bench.harness import RouteRequest
    from devstack.bench.scenario import Scenario
    from tenx_email.routes import Route

REPO = Path(__file__).resolve().parents[2]
TIMEOUT_SECONDS = 60
# The floor's entry among the routes' figures, and what its child imports.
FLOOR = "floor"
FLOOR_MODULE = "devstack.bench.floor_route"

# The child: import the handler, then invoke it once; both timed; the answer to a file (the
# handler logs to stdout). The context has what Powertools and the handlers read.
_CHILD = """
import importlib, json, sys, time, uuid
module, event_path, out_path = sys.argv[1:4]
with open(event_path) as f:
    event = json.load(f)

class Context:
    function_name = "tenx-email-bench-first-invoke"
    memory_limit_in_mb = 256
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:first-invoke"
    aws_request_id = str(uuid.uuid4())
    log_group_name = log_stream_name = function_version = "bench"
    def get_remaining_time_in_millis(self):
        return 60000

started = time.perf_counter()
handler = importlib.import_module(module).handler
imported = time.perf_counter()
response = handler(event, Context())
invoked = time.perf_counter()
with open(out_path, "w") as f:
    json.dump({"importS": imported - started, "invokeS": invoked - imported,
               "status": int(response.get("statusCode", 0))}, f)
"""


class ChildFailed(Exception):
    """The child interpreter raised instead of answering."""


@dataclass(frozen=True)
class FirstInvoke:
    route_id: str
    read_only: bool
    status: int  # the representative request's answer in the child
    import_ms: float  # median over the runs
    first_invoke_ms: float  # median over the runs
    ratio: float  # first_invoke_ms / import_ms
    runs: int
    error: str = ""  # the child's exception, when it raised (no figure then)
    to_floor: float | None = None  # first_invoke_ms / the floor's (against_floor)


def ratio(first_invoke_ms: float, import_ms: float) -> float:
    """The first invocation's share on top of the cold import."""
    if import_ms <= 0:
        raise ValueError("a cold import takes time")
    return first_invoke_ms / import_ms


def summarize(route_id: str, read_only: bool, answers: list[dict[str, Any]]) -> FirstInvoke:
    """One route's figure from its children's answers (medians; the worst status)."""
    if not answers:
        raise ValueError(f"no first invocation of {route_id}")
    import_ms = statistics.median(a["importS"] for a in answers) * 1000
    invoke_ms = statistics.median(a["invokeS"] for a in answers) * 1000
    worst = max((a["status"] for a in answers), key=lambda s: (not 200 <= s < 300, s))
    return FirstInvoke(
        route_id=route_id,
        read_only=read_only,
        status=worst,
        import_ms=import_ms,
        first_invoke_ms=invoke_ms,
        ratio=ratio(invoke_ms, import_ms),
        runs=len(answers),
    )


def verdict(figure: FirstInvoke) -> str:
    """Read routes that answered 2xx have the target; the others are reported only."""
    if figure.error:
        return targets.MISS
    if not figure.read_only or not 200 <= figure.status < 300:
        return targets.NO_TARGET
    return targets.verdict(figure.ratio, targets.FIRST_INVOKE_RATIO_READ_ROUTE)


def verdict_to_floor(figure: FirstInvoke) -> str:
    """The same routes as `verdict`, against the floor's first invocation."""
    if figure.error:
        return targets.MISS
    if figure.to_floor is None or verdict(figure) == targets.NO_TARGET:
        return targets.NO_TARGET
    return targets.verdict(figure.to_floor, targets.FIRST_INVOKE_TO_FLOOR_READ_ROUTE)


def against_floor(figures: list[FirstInvoke]) -> tuple[FirstInvoke | None, list[FirstInvoke]]:
    """The floor's figure apart, and each route's with its first invocation over the floor's
    (none when the floor's child failed)."""
    floor = next((f for f in figures if f.route_id == FLOOR), None)
    routes = [f for f in figures if f.route_id != FLOOR]
    if floor is None or floor.error:
        return floor, routes
    return floor, [
        f if f.error else replace(f, to_floor=f.first_invoke_ms / floor.first_invoke_ms)
        for f in routes
    ]


def child_environment(endpoint: str) -> dict[str, str]:
    """The functions' environment as the bench set it (os.environ inside the in-process
    phase), pointed at the bench's moto server."""
    env = dict(os.environ)
    env.update(
        AWS_ENDPOINT_URL=endpoint,
        PYTHONPATH=os.pathsep.join([str(REPO), str(REPO / "layers")]),
    )
    return env


def _run_child(module: str, event: Mapping[str, Any], env: Mapping[str, str]) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="first-invoke-") as scratch:
        event_path, out_path = Path(scratch, "event.json"), Path(scratch, "answer.json")
        event_path.write_text(json.dumps(event))
        done = subprocess.run(
            [sys.executable, "-c", _CHILD, module, str(event_path), str(out_path)],
            env=dict(env),
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=TIMEOUT_SECONDS,
            check=False,
        )
        if done.returncode != 0:
            # A handler that raised: reported with the last line of its traceback.
            lines = done.stderr.strip().splitlines() or ["no output"]
            raise ChildFailed(f"{module}: {lines[-1]}")
        answer: dict[str, Any] = json.loads(out_path.read_text())
        return answer


def route_events(
    requests: Mapping[str, Callable[[int], RouteRequest]], after: int
) -> dict[str, tuple[bool, Callable[[int], dict[str, Any]]]]:
    """Every route's event for its n-th first invocation: the representative request numbered
    from `after` (the requests before it were made by the warm measurements); and the
    floor's read of an item that is not there."""
    from devstack.bench.floor_route import READ_PATH
    from devstack.bench.harness import RouteRequest, rest_event
    from tenx_email.routes import ROUTES

    def event_of(spec: Route) -> Callable[[int], dict[str, Any]]:
        return lambda n: rest_event(spec.method, spec.path, requests[spec.route_id](after + n))

    def floor_event(n: int) -> dict[str, Any]:
        return rest_event("GET", READ_PATH, RouteRequest({"thingId": f"floor-{n}"}))

    events = {spec.route_id: (spec.read_only, event_of(spec)) for spec in ROUTES}
    return {**events, FLOOR: (True, floor_event)}


def module_of(route_id: str) -> str:
    from tenx_email.routes import route

    return FLOOR_MODULE if route_id == FLOOR else f"functions.{route(route_id).handler_module}"


def measure(
    events: Mapping[str, tuple[bool, Callable[[int], dict[str, Any]]]],
    runs: int = 3,
    progress: Callable[[str], None] = lambda _: None,
) -> list[FirstInvoke]:
    """Each route's first invocation, `runs` fresh interpreters each, on the bench's moto
    (call inside its mock). `events` maps a route to (read only, the n-th request's event)."""
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # not a line per AWS call
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        env = child_environment(f"http://{host}:{port}")
        answers: dict[str, list[dict[str, Any]]] = {route_id: [] for route_id in events}
        failed: dict[str, str] = {}
        # Pass after pass over the routes (as imports.py), so a busy moment spoils one run
        # of several routes, which the median drops.
        for run in range(runs):
            progress(f"first invocations: pass {run + 1} of {runs}")
            for route_id, (_, event) in events.items():
                if route_id in failed:
                    continue
                module = module_of(route_id)
                try:
                    made = event(run)
                except Exception as error:  # the request depends on what an earlier child did
                    failed[route_id] = f"no request: {type(error).__name__} {error}"
                    continue
                try:
                    answers[route_id].append(_run_child(module, made, env))
                except ChildFailed as error:
                    failed[route_id] = str(error)
    finally:
        server.stop()
    return [
        FirstInvoke(route_id, read_only, 0, 0.0, 0.0, 0.0, 0, failed[route_id])
        if route_id in failed
        else summarize(route_id, read_only, answers[route_id])
        for route_id, (read_only, _) in events.items()
    ]


def measure_in(
    scenario: Scenario, requests: Mapping[str, Callable[[int], RouteRequest]], runs: int
) -> list[FirstInvoke]:
    """The in-process phase's step (inprocess.py): each route's first invocation, with the
    requests after the ones its warm measurements made; what they queued is taken off the
    queues, so the phases after start clean."""
    if runs < 1:
        return []
    figures = measure(route_events(requests, after=scenario.rounds + 1), runs=runs)
    for queue in ("delivery", "trigger-jobs", "webhooks"):
        scenario.drain(queue)
    return figures
