"""What in the layer no handler imports (its dead weight): measured, not guessed.

The deployed bundle is built for Lambda (arm64, CPython 3.14), whose compiled extensions this
host cannot load. The same bundler therefore builds a twin for the host's interpreter (same
pins, same pruning: only the extensions' file names differ), and each function's entry module
is imported in a fresh interpreter with the twin first on `sys.path` (boto3 and botocore from
the dev venv, as from Lambda's runtime). The modules loaded from inside the twin are matched by
name to the deployed bundle's files. An import that fails raises: the trace is also the check
that pruning kept what every handler needs.

A further interpreter runs the imports our own code makes inside functions (found in its
source: they load at first invoke, not at import). Imports the libraries make inside their own
functions are not traced; `KEPT` names what they are known to keep, with why.
"""

from __future__ import annotations

import ast
import json
import re
import subprocess
import sys
import zipfile
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from devstack.bench.imports import environment

REPO = Path(__file__).resolve().parents[2]
FUNCTIONS_DIR = REPO / "functions"
PACKAGE_DIR = REPO / "layers" / "tenx_email"
TIMEOUT_SECONDS = 120
# A never-imported sub-package of a package in use is listed from this size (unzipped) on.
SUBPACKAGE_MIN_BYTES = 50_000
# Unused by every traced import, and why each stays (by package or sub-package prefix).
KEPT = {
    "tzdata": "zoneinfo reads it at first invoke (send windows) when the runtime image has no "
    "/usr/share/zoneinfo; not verified for Lambda's python3.14 image, so it stays",
    "pydantic.v1": "pydantic imports it inside schema building when a type has "
    "__get_validators__, and for names moved to v1: a first-invoke path",
    "aws_lambda_powertools": "Powertools imports its parts inside its functions (lazy_import), "
    "which this trace does not run; a pinned library's tree stays whole",
}
_TRACER = (
    "import importlib, json, sys\n"
    "root, entries, statements = sys.argv[1], json.loads(sys.argv[2]), json.loads(sys.argv[3])\n"
    "for entry in entries:\n"
    "    importlib.import_module(entry)\n"
    "for statement in statements:\n"
    "    exec(statement, {})\n"
    "print(json.dumps(sorted(name for name, module in list(sys.modules.items())\n"
    "    if (getattr(module, '__file__', None) or '').startswith(root))))\n"
)
_EXTENSION = re.compile(r"\.(cpython-[^.]+|abi3)\.so$|\.so$")


@dataclass
class Unused:
    package: str  # a distribution, or a dotted sub-package of one in use
    unzipped_bytes: int
    stays: str | None  # why it is not pruned; None when nothing is known to keep it


@dataclass
class LayerUse:
    packages: list[tuple[str, int, int]]  # (distribution, unzipped bytes, zipped bytes)
    unused: list[Unused]
    unused_bytes: int
    entry_modules: int  # handler modules traced
    first_invoke_imports: list[str]  # our own imports inside functions, traced too
    modules_loaded: int  # distinct modules loaded from the layer by any of them


def entry_modules() -> list[str]:
    """Every function's entry module: the whole functions/ folder (imports.handler_modules()
    leaves out the webhook consumers and the unsubscribe pages)."""
    return sorted(
        f"functions.{path.stem}" for path in FUNCTIONS_DIR.glob("*.py") if path.stem != "__init__"
    )


def module_of(relative: str) -> str | None:
    """The module a bundle file holds (`a/b/__init__.py` -> `a.b`), None for data."""
    if relative.endswith(".py"):
        stem = relative.removesuffix(".py").removesuffix("/__init__")
    elif _EXTENSION.search(relative):
        stem = _EXTENSION.sub("", relative)
    else:
        return None
    return stem.replace("/", ".")


def _normalized(name: str) -> str:
    return re.sub(r"[-_.]+", "_", name).lower()


def owners(records: Mapping[str, str]) -> dict[str, str]:
    """Top-level name in the bundle -> its distribution, from each dist-info's RECORD text."""
    owner = {}
    for dist_info, record in records.items():
        distribution = _normalized(dist_info.removesuffix(".dist-info").rsplit("-", 1)[0])
        owner[dist_info] = distribution
        for line in record.splitlines():
            path = line.rsplit(",", 2)[0]
            if path and not path.startswith(".."):
                owner.setdefault(_top(path), distribution)
    return owner


def _top(relative: str) -> str:
    first = relative.split("/", 1)[0]
    return first if "/" in relative else (module_of(first) or first)


def distribution_of(relative: str, owner: Mapping[str, str]) -> str:
    """A top-level name no RECORD claims (our own package) is its own distribution."""
    return owner.get(_top(relative), _top(relative))


def unused(files: Mapping[str, int], owner: Mapping[str, str], imported: set[str]) -> list[Unused]:
    """Distributions none of whose modules was imported, then the largest sub-packages of
    those in use that were never imported (the topmost such, from SUBPACKAGE_MIN_BYTES)."""
    by_distribution: Counter[str] = Counter()
    used: set[str] = set()
    for relative, size in files.items():
        distribution = distribution_of(relative, owner)
        by_distribution[distribution] += size
        if module_of(relative) in imported:
            used.add(distribution)
    found = [(name, size) for name, size in by_distribution.items() if name not in used]
    packages = {
        module
        for relative in files
        if relative.endswith("/__init__.py") and (module := module_of(relative))
    }
    by_package: Counter[str] = Counter()
    for relative, size in files.items():
        if distribution_of(relative, owner) not in used:
            continue
        parts = relative.split("/")[:-1]
        for depth in range(1, len(parts) + 1):
            by_package[".".join(parts[:depth])] += size
    for package in sorted(packages - imported):
        parent = package.rpartition(".")[0]
        if (not parent or parent in imported) and by_package[package] >= SUBPACKAGE_MIN_BYTES:
            found.append((package, by_package[package]))
    return [
        Unused(package=name, unzipped_bytes=size, stays=stays(name))
        for name, size in sorted(found, key=lambda item: -item[1])
    ]


def stays(package: str) -> str | None:
    """The longest KEPT prefix's reason."""
    prefixes = [key for key in KEPT if package == key or package.startswith(f"{key}.")]
    return KEPT[max(prefixes, key=len)] if prefixes else None


def first_invoke_imports(sources: Iterable[Path], bundled: set[str]) -> list[str]:
    """The import statements inside functions of these files that reach the layer (TYPE_CHECKING
    blocks sit at module level, so they are not among them)."""
    statements = set()
    for source in sources:
        tree = ast.parse(source.read_text(), filename=str(source))
        for function in ast.walk(tree):
            if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            for node in ast.walk(function):
                if isinstance(node, ast.Import):
                    names = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    names = [node.module]
                else:
                    continue
                if all(name.split(".")[0] in bundled for name in names):
                    statements.add(ast.unparse(node))
    return sorted(statements)


def trace(twin: Path, entries: list[str], statements: list[str]) -> set[str]:
    """Modules loaded from inside `twin`: one fresh interpreter per entry module, then one for
    the first-invoke statements."""
    env = {**environment(), "PYTHONPATH": f"{twin}:{REPO}"}
    runs: list[tuple[list[str], list[str]]] = [([entry], []) for entry in entries]
    runs.append(([], statements))
    loaded: set[str] = set()
    for run_entries, run_statements in runs:
        finished = subprocess.run(
            [
                sys.executable,
                "-c",
                _TRACER,
                f"{twin}/",
                json.dumps(run_entries),
                json.dumps(run_statements),
            ],
            env=env,
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=TIMEOUT_SECONDS,
            check=False,
        )
        if finished.returncode != 0:
            what = run_entries or run_statements
            raise RuntimeError(f"{what} fails against the layer:\n{finished.stderr[-3000:]}")
        loaded.update(json.loads(finished.stdout))
    return loaded


def measure(layer_zip: Path, twin: Path) -> LayerUse:
    """`layer_zip` as deployed (its files under `python/`), `twin` the host's `python/` folder."""
    with zipfile.ZipFile(layer_zip) as archive:
        infos = [info for info in archive.infolist() if not info.is_dir()]
        files = {info.filename.removeprefix("python/"): info.file_size for info in infos}
        zipped = {info.filename.removeprefix("python/"): info.compress_size for info in infos}
        records = {
            relative.split("/")[0]: archive.read(f"python/{relative}").decode()
            for relative in files
            if re.fullmatch(r"[^/]+\.dist-info/RECORD", relative)
        }
    owner = owners(records)
    bundled = {_top(relative) for relative in files}
    sources = [*FUNCTIONS_DIR.glob("*.py"), *PACKAGE_DIR.rglob("*.py")]
    statements = first_invoke_imports(sources, bundled)
    entries = entry_modules()
    imported = trace(twin, entries, statements)
    found = unused(files, owner, imported)
    totals: Counter[str] = Counter()
    totals_zipped: Counter[str] = Counter()
    for relative, size in files.items():
        totals[distribution_of(relative, owner)] += size
        totals_zipped[distribution_of(relative, owner)] += zipped[relative]
    return LayerUse(
        packages=[(name, size, totals_zipped[name]) for name, size in totals.most_common()],
        unused=found,
        unused_bytes=sum(entry.unzipped_bytes for entry in found),
        entry_modules=len(entries),
        first_invoke_imports=statements,
        modules_loaded=len(imported),
    )
