"""Every function module loads with the garbage collector deferred (tenx_email/startup.py):
it imports the startup module before anything else and calls `module_loaded()` last."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
FUNCTION_FILES = sorted(p for p in (REPO / "functions").glob("*.py") if p.name != "__init__.py")

# Collections once the startup module ran: once it defines `module_loaded`, after it stopped
# the collector. Compiling a module's source may collect, the startup module's own included
# (it is in sys.modules while it compiles, when its cached byte code is stale), and is not
# the module's to prevent.
_PROBE = """
import gc, sys
collections = []
def count(phase, info):
    startup = sys.modules.get("tenx_email.startup")
    if phase == "start" and hasattr(startup, "module_loaded"):
        collections.append(info)
gc.callbacks.append(count)
import functions.get_template
print(len(collections), gc.isenabled(), gc.get_freeze_count())
"""


def _statements(path: Path) -> list[ast.stmt]:
    body = ast.parse(path.read_text()).body
    return [
        node
        for node in body
        if not (isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant))
        and not (isinstance(node, ast.ImportFrom) and node.module == "__future__")
    ]


@pytest.mark.parametrize("path", FUNCTION_FILES, ids=lambda p: p.stem)
def test_a_function_module_defers_the_collector_from_first_to_last_statement(path: Path) -> None:
    statements = _statements(path)
    first, last = statements[0], statements[-1]
    assert isinstance(first, ast.ImportFrom)
    assert (first.module, [alias.name for alias in first.names]) == (
        "tenx_email.startup",
        ["module_loaded"],
    )
    assert isinstance(last, ast.Expr)
    assert ast.unparse(last) == "module_loaded()"


def test_importing_a_function_collects_nothing_then_freezes_and_collects_again() -> None:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), str(REPO / "layers")])}
    env.update(STAGE="test", AWS_DEFAULT_REGION="us-east-1", TABLE_NAME="tenx-email-test")
    done = subprocess.run(
        [sys.executable, "-c", _PROBE], env=env, cwd=REPO, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    collections, enabled, frozen = done.stdout.split()
    assert collections == "0"
    assert enabled == "True"
    assert int(frozen) > 10_000
