"""The operators' commands exactly as docs/operations.md shows them, run from the repository's
root against the local stack (LOCAL_STATE_DIR points them at the test's stack, as it points
the stack itself)."""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

import pytest

from tests.e2e.stack import REPO, Stack

pytestmark = pytest.mark.e2e

OPERATIONS = REPO / "docs" / "operations.md"


def documented_admin_commands(page: Path) -> list[str]:
    """The lines of the page's shell blocks that run the admin command."""
    blocks = re.findall(r"```bash\n(.*?)```", page.read_text(), flags=re.DOTALL)
    return [
        line.split("  #")[0].strip()
        for block in blocks
        for line in block.splitlines()
        if line.startswith(".venv/bin/tenx-admin")
    ]


def test_every_documented_admin_command_works_as_written(stack: Stack) -> None:
    commands = documented_admin_commands(OPERATIONS)
    assert len(commands) >= 8
    for command in commands:
        done = subprocess.run(
            ["bash", "-c", command],
            cwd=REPO,
            env={**os.environ, "LOCAL_STATE_DIR": str(stack.state_dir)},
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert done.returncode == 0, (command, done.stderr[-2000:])
        json.loads(done.stdout)  # results print as JSON
