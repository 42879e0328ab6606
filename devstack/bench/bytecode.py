"""What a layer shipped as source costs a cold start, against the same layer byte-compiled.

Lambda's /opt is read-only: without .pyc files in the layer, every cold start compiles each
module of ours and of our dependencies it imports (the runtime's own boto3 comes compiled).
The bundler byte-compiles when the runtime's Python is on the machine that synthesizes
(infra/constructs/layer.py); this figure says what is at stake when it is not.

A few handlers are timed both ways in fresh interpreters: with the byte-code cache (what
imports.py measures) and with the layer's part (our package, our functions and every
top-level package they load from site-packages that Lambda's runtime does not provide)
copied without byte code to a scratch folder first on the path, with writing byte code off.
"""

from __future__ import annotations

import shutil
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from devstack.bench.imports import REPO, environment, time_import

# What the Lambda Python runtime brings itself, compiled (not in our layer).
RUNTIME_PACKAGES = frozenset(
    {"boto3", "botocore", "s3transfer", "jmespath", "dateutil", "urllib3", "six"}
)
SAMPLES = ("functions.get_template", "functions.send_message", "functions.deliver")
TIMEOUT_SECONDS = 60

_SITE_PACKAGES_LOADED = (
    "import importlib, sys, sysconfig\n"
    "importlib.import_module(sys.argv[1])\n"
    "site = sysconfig.get_paths()['purelib']\n"
    "for name, module in list(sys.modules.items()):\n"
    "    path = getattr(module, '__file__', None) or ''\n"
    "    if path.startswith(site):\n"
    "        print(path[len(site):].lstrip('/').split('/')[0])\n"
)


@dataclass(frozen=True)
class SourceOnly:
    module: str
    compiled_ms: float  # median, byte code cached
    source_ms: float  # median, the layer's part as source
    extra_ms: float
    ratio: float  # source over compiled


def layer_top_levels(loaded: Iterable[str]) -> set[str]:
    """The site-packages entries a handler loaded that the layer ships (file or folder names,
    `.py` kept), leaving out the runtime's packages and distribution metadata."""
    keep = set()
    for entry in loaded:
        name = entry.removesuffix(".py").split(".")[0]
        if entry.endswith((".dist-info", ".pth")) or name in RUNTIME_PACKAGES or not name:
            continue
        keep.add(entry)
    return keep


def summarize(module: str, compiled_s: list[float], source_s: list[float]) -> SourceOnly:
    compiled, source = statistics.median(compiled_s) * 1000, statistics.median(source_s) * 1000
    return SourceOnly(module, compiled, source, source - compiled, source / compiled)


def _loaded(module: str, env: Mapping[str, str]) -> set[str]:
    done = subprocess.run(
        [sys.executable, "-c", _SITE_PACKAGES_LOADED, module],
        env=dict(env),
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=TIMEOUT_SECONDS,
        check=True,
    )
    return set(done.stdout.split())


def _source_copy(entries: set[str], scratch: Path) -> None:
    """The layer's part, without byte code: our package and functions, and `entries`."""
    import sysconfig

    site = Path(sysconfig.get_paths()["purelib"])
    skip = shutil.ignore_patterns("__pycache__", "*.pyc")
    shutil.copytree(REPO / "layers" / "tenx_email", scratch / "tenx_email", ignore=skip)
    shutil.copytree(REPO / "functions", scratch / "functions", ignore=skip)
    for entry in sorted(entries):
        source = site / entry
        if source.is_dir():
            shutil.copytree(source, scratch / entry, ignore=skip)
        elif source.is_file():
            shutil.copy2(source, scratch / entry)


def measure(runs: int = 3, progress: Callable[[str], None] = lambda _: None) -> list[SourceOnly]:
    env = environment()
    compiled_env = {**env}
    compiled_env.pop("PYTHONDONTWRITEBYTECODE")
    figures = []
    for module in SAMPLES:
        progress(f"source-only layer: {module}")
        entries = layer_top_levels(_loaded(module, compiled_env))
        time_import(module, compiled_env)  # writes the byte-code cache for the compiled runs
        with tempfile.TemporaryDirectory(prefix="bench-source-") as scratch:
            _source_copy(entries, Path(scratch))
            # Run from the scratch folder: `python -c` puts its working folder first.
            source_env = {**env, "PYTHONPATH": scratch}
            compiled, source = [], []
            for _ in range(runs):
                compiled.append(time_import(module, compiled_env).wall)
                source.append(time_import(module, source_env, cwd=Path(scratch)).wall)
        figures.append(summarize(module, compiled, source))
    return figures
