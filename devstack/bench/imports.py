"""Cold import time of every handler module, relative to the floor of its kind (what the stack
alone costs: floor_route.py, floor_consumer.py, floor_authorizer.py) and to `import boto3`,
each measured the same way in the same run.

Each figure is the median of a few fresh interpreters, each timing one `import` with
`time.perf_counter` (interpreter start-up excluded; `time.process_time` alongside, as a
cross-check that other load on the machine moves less). The byte-code cache is warmed first,
so every run compiles nothing. The runs go pass after pass over all modules, with `import
boto3` runs interleaved, so a busy moment of the machine weighs on both sides of the ratio.

The functions see the deployed configuration (placeholders for names, no AWS endpoint).
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
BASELINE = "boto3"
# Timed like the handlers: what the stack costs before any code of ours, per kind of handler.
ROUTE, CONSUMER, AUTHORIZER = "route", "consumer", "authorizer"
FLOORS = {
    "devstack.bench.floor_route": "floor, route: boto3 + resolver with validation + pydantic",
    "devstack.bench.floor_consumer": "floor, consumer: boto3 + batch processing + pydantic",
    "devstack.bench.floor_authorizer": "floor, authorizer: PyJWT with RSA + pydantic",
    # Not a kind's floor: the route floor with the collector deferred, as our functions load.
    "devstack.bench.floor_route_deferred_gc": "floor, route, collector deferred (reference)",
}
FLOOR_OF = {
    ROUTE: "devstack.bench.floor_route",
    CONSUMER: "devstack.bench.floor_consumer",
    AUTHORIZER: "devstack.bench.floor_authorizer",
}
CONSUMERS = (
    "deliver",
    "trigger",
    "feedback",
    "project_events",
    "fan_out_webhooks",
    "send_webhooks",
)
TIMEOUT_SECONDS = 60

_TIMER = (
    "import importlib, sys, time\n"
    "wall, cpu = time.perf_counter(), time.process_time()\n"
    "importlib.import_module(sys.argv[1])\n"
    "print(time.perf_counter() - wall, time.process_time() - cpu)\n"
)


def handler_kinds() -> dict[str, str]:
    """Every Lambda's entry module and its kind: one per route (the public unsubscribe ones
    too), the authorizer, and the queue and stream consumers."""
    from tenx_email.routes import PUBLIC_ROUTES, ROUTES  # devstack puts the layer on the path

    kinds = {f"functions.{served.handler_module}": ROUTE for served in (*ROUTES, *PUBLIC_ROUTES)}
    kinds["functions.authorizer"] = AUTHORIZER
    kinds.update({f"functions.{name}": CONSUMER for name in CONSUMERS})
    return kinds


def handler_modules() -> list[str]:
    return list(handler_kinds())


def environment() -> dict[str, str]:
    """What the deployed functions read, with placeholders; no AWS endpoint or credential."""
    keep = {"PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "SYSTEMROOT"}
    env = {name: value for name, value in os.environ.items() if name in keep}
    env.update(
        PYTHONPATH=os.pathsep.join([str(REPO), str(REPO / "layers")]),
        PYTHONDONTWRITEBYTECODE="1",
        AWS_DEFAULT_REGION="us-east-1",
        STAGE="bench",
        TABLE_NAME="tenx-email-bench",
        SES_REGION="us-east-1",
        POWERTOOLS_SERVICE_NAME="tenx-email",
        POWERTOOLS_METRICS_NAMESPACE="TenxEmail",
        POWERTOOLS_LOG_LEVEL="INFO",
    )
    return env


def _python(
    args: Sequence[str], env: Mapping[str, str], cwd: Path = REPO
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *args],
        env=dict(env),
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=TIMEOUT_SECONDS,
        check=True,
    )


@dataclass(frozen=True)
class Timing:
    wall: float  # seconds, time.perf_counter
    cpu: float  # seconds of this process's CPU, time.process_time (what other load moves least)


def time_import(module: str, env: Mapping[str, str], cwd: Path = REPO) -> Timing:
    """How long one fresh interpreter takes to import `module` (`cwd` first on its path)."""
    wall, cpu = _python(["-c", _TIMER, module], env, cwd).stdout.split()
    return Timing(wall=float(wall), cpu=float(cpu))


def warm_bytecode(modules: Iterable[str]) -> None:
    """Compile every module once (writing the byte-code cache), untimed."""
    env = {**environment()}
    env.pop("PYTHONDONTWRITEBYTECODE")
    _python(["-c", "import boto3\n" + "".join(f"import {m}\n" for m in modules)], env)


def self_time_by_package(importtime_log: str) -> Counter[str]:
    """`python -X importtime` output -> microseconds of self time per top-level package."""
    totals: Counter[str] = Counter()
    for line in importtime_log.splitlines():
        if not line.startswith("import time:") or "self [us]" in line:
            continue
        fields = line.removeprefix("import time:").split("|")
        if len(fields) != 3:
            continue
        totals[fields[2].strip().split(".")[0]] += int(fields[0].strip())
    return totals


def importtime(module: str, env: Mapping[str, str]) -> Counter[str]:
    return self_time_by_package(_python(["-X", "importtime", "-c", f"import {module}"], env).stderr)


@dataclass
class ImportFigure:
    module: str
    median_ms: float
    runs_ms: list[float]
    ratio: float  # median wall time over the baseline's (`import boto3`)
    cpu_median_ms: float
    cpu_ratio: float  # the same with CPU time, a cross-check on a busy machine
    kind: str = ""  # route, consumer or authorizer; empty for a floor
    ratio_to_floor: float = 0.0  # median wall time over its kind's floor's: the figure
    cpu_ratio_to_floor: float = 0.0


def ratio_to_floor(figure: ImportFigure, floors: Mapping[str, ImportFigure]) -> ImportFigure:
    """`figure` with its ratios to the floor of its kind."""
    floor = floors[FLOOR_OF[figure.kind]]
    return replace(
        figure,
        ratio_to_floor=figure.median_ms / floor.median_ms,
        cpu_ratio_to_floor=figure.cpu_median_ms / floor.cpu_median_ms,
    )


@dataclass
class ImportResult:
    baseline_ms: float
    baseline_runs_ms: list[float]
    baseline_cpu_ms: float
    modules: list[ImportFigure]
    floors: list[ImportFigure]  # FLOORS, timed the same way
    worst: str  # the handler with the highest ratio to its floor
    # The worst module's most expensive packages beyond what its floor loads itself:
    # (package, milliseconds of self time under -X importtime).
    worst_top_packages: list[tuple[str, float]]


def top_packages_beyond(
    module_times: Counter[str], baseline_times: Counter[str], count: int = 3
) -> list[tuple[str, float]]:
    extra = Counter({name: us for name, us in module_times.items() if name not in baseline_times})
    return [(name, us / 1000) for name, us in extra.most_common(count)]


def measure(runs: int = 3, progress: Callable[[str], None] = lambda _: None) -> ImportResult:
    kinds = handler_kinds()
    modules = [*kinds, *FLOORS]
    env = environment()
    warm_bytecode(modules)
    baseline: list[Timing] = []
    timings: dict[str, list[Timing]] = {module: [] for module in modules}
    # Pass after pass over every module, not run after run of one: a busy moment of the
    # machine then spoils one run of several modules, which the median drops.
    for run in range(runs):
        progress(f"pass {run + 1} of {runs}")
        for index, module in enumerate(modules):
            if index % 10 == 0:
                baseline.append(time_import(BASELINE, env))
            timings[module].append(time_import(module, env))
    baseline.append(time_import(BASELINE, env))
    base = statistics.median(t.wall for t in baseline)
    base_cpu = statistics.median(t.cpu for t in baseline)
    figures = []
    for module, values in timings.items():
        wall = statistics.median(t.wall for t in values)
        cpu = statistics.median(t.cpu for t in values)
        figures.append(
            ImportFigure(
                module=module,
                median_ms=wall * 1000,
                runs_ms=[t.wall * 1000 for t in values],
                ratio=wall / base,
                cpu_median_ms=cpu * 1000,
                cpu_ratio=cpu / base_cpu,
            )
        )
    floors = {figure.module: figure for figure in figures if figure.module in FLOORS}
    figures = [
        ratio_to_floor(replace(figure, kind=kinds[figure.module]), floors)
        for figure in figures
        if figure.module not in FLOORS
    ]
    worst = max(figures, key=lambda figure: figure.ratio_to_floor)
    top = top_packages_beyond(importtime(worst.module, env), importtime(FLOOR_OF[worst.kind], env))
    return ImportResult(
        baseline_ms=base * 1000,
        baseline_runs_ms=[t.wall * 1000 for t in baseline],
        baseline_cpu_ms=base_cpu * 1000,
        modules=figures,
        floors=list(floors.values()),
        worst=worst.module,
        worst_top_packages=top,
    )
