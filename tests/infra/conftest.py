"""Synthesizes the CDK app once per session with the pinned CLI, as a deployer would."""

from __future__ import annotations

import json
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
CDK_CLI = REPO_ROOT / "node_modules" / ".bin" / "cdk"
CONTEXT: dict[str, Any] = json.loads((REPO_ROOT / "cdk.json").read_text())["context"]
STAGE: str = CONTEXT["stage"]


@dataclass(frozen=True)
class Synth:
    outdir: Path
    output: str
    template: dict[str, Any]


def _environment_without_aws_credentials() -> dict[str, str]:
    env = {name: value for name, value in os.environ.items() if not name.startswith("AWS_")}
    # Point the SDK's config and credential files at nothing, so no profile can leak in.
    env["AWS_CONFIG_FILE"] = os.devnull
    env["AWS_SHARED_CREDENTIALS_FILE"] = os.devnull
    env["JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION"] = "20"
    return env


@pytest.fixture(scope="session")
def synth(tmp_path_factory: pytest.TempPathFactory) -> Synth:
    if not CDK_CLI.exists():
        pytest.fail("node_modules/.bin/cdk is missing: run `npm ci` (or `make synth`) first")
    outdir = tmp_path_factory.mktemp("cdk.out")
    result = subprocess.run(
        [str(CDK_CLI), "synth", "--quiet", "--no-notices", "-o", str(outdir)],
        cwd=REPO_ROOT,
        env=_environment_without_aws_credentials(),
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    output = result.stdout + result.stderr
    # cdk-nag runs as a validation plugin: any unacknowledged finding fails the synth.
    assert result.returncode == 0, output
    (template_file,) = outdir.glob("*.template.json")
    return Synth(outdir=outdir, output=output, template=json.loads(template_file.read_text()))


@pytest.fixture(scope="session")
def template(synth: Synth) -> dict[str, Any]:
    return synth.template
