"""Cold import time of every handler module, relative to `import boto3` measured the same way.

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
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
BASELINE = "boto3"
# Timed like the handlers, for reference: what the stack costs before any code of ours.
FLOORS = {
    "devstack.bench.floor_route": "floor, route: boto3 + resolver + pydantic",
    "devstack.bench.floor_consumer": "floor, consumer: boto3 + batch + pydantic",
}
TIMEOUT_SECONDS = 60

_TIMER = (
    "import importlib, sys, time\n"
    "wall, cpu = time.perf_counter(), time.process_time()\n"
    "importlib.import_module(sys.argv[1])\n"
    "print(time.perf_counter() - wall, time.process_time() - cpu)\n"
)


def handler_modules() -> list[str]:
    """Every Lambda's entry module: one per route, the authorizer, the three queue consumers
    and the event projection."""
    from tenx_email.routes import ROUTES  # devstack puts the layer's source on the path

    routes = [f"functions.{route.handler_module}" for route in ROUTES]
    return [
        *routes,
        "functions.authorizer",
        "functions.deliver",
        "functions.trigger",
        "functions.feedback",
        "functions.project_events",
    ]


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


def _python(args: Sequence[str], env: Mapping[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *args],
        env=dict(env),
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=TIMEOUT_SECONDS,
        check=True,
    )


@dataclass(frozen=True)
class Timing:
    wall: float  # seconds, time.perf_counter
    cpu: float  # seconds of this process's CPU, time.process_time (what other load moves least)


def time_import(module: str, env: Mapping[str, str]) -> Timing:
    """How long one fresh interpreter takes to import `module`."""
    wall, cpu = _python(["-c", _TIMER, module], env).stdout.split()
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
    ratio: float  # median wall time over the baseline's: the figure
    cpu_median_ms: float
    cpu_ratio: float  # the same with CPU time, a cross-check on a busy machine


@dataclass
class ImportResult:
    baseline_ms: float
    baseline_runs_ms: list[float]
    baseline_cpu_ms: float
    modules: list[ImportFigure]
    floors: list[ImportFigure]  # FLOORS, timed the same way
    worst: str
    # The worst module's most expensive packages beyond what `import boto3` loads itself:
    # (package, milliseconds of self time under -X importtime).
    worst_top_packages: list[tuple[str, float]]


def top_packages_beyond(
    module_times: Counter[str], baseline_times: Counter[str], count: int = 3
) -> list[tuple[str, float]]:
    extra = Counter({name: us for name, us in module_times.items() if name not in baseline_times})
    return [(name, us / 1000) for name, us in extra.most_common(count)]


def measure(runs: int = 3, progress: Callable[[str], None] = lambda _: None) -> ImportResult:
    handlers = handler_modules()
    modules = [*handlers, *FLOORS]
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
    floors = [figure for figure in figures if figure.module in FLOORS]
    figures = [figure for figure in figures if figure.module not in FLOORS]
    worst = max(figures, key=lambda figure: figure.ratio)
    top = top_packages_beyond(importtime(worst.module, env), importtime(BASELINE, env))
    return ImportResult(
        baseline_ms=base * 1000,
        baseline_runs_ms=[t.wall * 1000 for t in baseline],
        baseline_cpu_ms=base_cpu * 1000,
        modules=figures,
        floors=floors,
        worst=worst.module,
        worst_top_packages=top,
    )
