"""The whole-template checks: cdk-nag, cfn-lint, and what the layer bundle contains."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from cfnlint.api import lint

from tests.infra.cfn import service_layer
from tests.infra.conftest import CONTEXT, Synth

pytestmark = pytest.mark.infra

ELF_MACHINE_AARCH64 = 183


def test_synth_succeeds_without_unacknowledged_nag_findings(synth: Synth) -> None:
    # Given the app synthesized with AwsSolutionsChecks and no AWS credentials (fixture)
    # Then no finding was printed: every one is fixed or acknowledged with a reason
    assert "AwsSolutions-" not in synth.output
    assert "Synthesis finished with errors" not in synth.output


def test_cfn_lint_reports_no_errors(synth: Synth, template: dict[str, Any]) -> None:
    # Given the synthesized template
    template_text = next(synth.outdir.glob("*.template.json")).read_text()
    # When cfn-lint checks it for the region the stack deploys to
    matches = lint(template_text, regions=[CONTEXT["sesRegion"]])
    # Then nothing is at error level
    errors = [str(match) for match in matches if match.rule.id.startswith("E")]
    assert errors == []


def _elf_machine(path: Path) -> int:
    return int.from_bytes(path.read_bytes()[18:20], "little")


def test_layer_bundles_the_package_and_wheels_for_lambda_not_the_host(
    synth: Synth, template: dict[str, Any]
) -> None:
    # Given the layer asset the synth bundled
    _, layer = service_layer(template)
    site = synth.outdir / layer["Metadata"]["aws:asset:path"] / "python"
    # Then it ships the domain package without bytecode caches
    assert (site / "tenx_email" / "routes.py").is_file()
    assert not list((site / "tenx_email").rglob("__pycache__"))
    # And every compiled extension is built for arm64 Linux and the runtime's Python
    extensions = list(site.rglob("*.so"))
    assert extensions
    assert {_elf_machine(path) for path in extensions} == {ELF_MACHINE_AARCH64}
    assert not [
        path.name for path in extensions if "cpython-3" in path.name and "-314-" not in path.name
    ]
    assert layer["Properties"]["CompatibleRuntimes"] == ["python3.14"]
    assert layer["Properties"]["CompatibleArchitectures"] == ["arm64"]
