"""The layer's dead-weight arithmetic and the bundler's pruning rule (no pip, no CDK synth)."""

from __future__ import annotations

from pathlib import Path

import pytest

from devstack.bench import layer, layer_use
from devstack.bench.layer_use import distribution_of, first_invoke_imports, module_of, owners
from infra.constructs.layer import prune, pruned

RECORDS = {
    "pydantic-2.14.3.dist-info": "pydantic/__init__.py,sha256=x,10\npydantic/v1/__init__.py,,1\n",
    "cffi-2.1.1.dist-info": "cffi/api.py,,1\n_cffi_backend.cpython-314-aarch64-linux-gnu.so,,1\n"
    "../../bin/cffi-gen-src,,1\n",
    "tzdata-2026.6.dist-info": "tzdata/__init__.py,,1\n",
}
FILES = {
    "pydantic/__init__.py": 100,
    "pydantic/main.py": 400,
    "pydantic/v1/__init__.py": 30_000,
    "pydantic/v1/main.py": 30_000,
    "pydantic-2.14.3.dist-info/METADATA": 7,
    "_cffi_backend.cpython-314-aarch64-linux-gnu.so": 2_000,
    "cffi-2.1.1.dist-info/RECORD": 3,
    "tzdata/__init__.py": 5,
    "tzdata/zoneinfo/Europe/Paris": 2_000,
    "tzdata-2026.6.dist-info/METADATA": 9,
    "tenx_email/__init__.py": 50,
}


def test_a_file_names_its_module_and_data_names_none() -> None:
    assert module_of("pydantic/v1/__init__.py") == "pydantic.v1"
    assert module_of("pydantic/main.py") == "pydantic.main"
    assert module_of("_cffi_backend.cpython-314-aarch64-linux-gnu.so") == "_cffi_backend"
    assert module_of("cryptography/hazmat/bindings/_rust.abi3.so") == (
        "cryptography.hazmat.bindings._rust"
    )
    assert module_of("tzdata/zoneinfo/Europe/Paris") is None
    assert module_of("pydantic/main.pyi") is None


def test_files_belong_to_the_distribution_whose_record_lists_them() -> None:
    owner = owners(RECORDS)
    assert distribution_of("_cffi_backend.cpython-314-aarch64-linux-gnu.so", owner) == "cffi"
    assert distribution_of("cffi-2.1.1.dist-info/RECORD", owner) == "cffi"
    assert distribution_of("tzdata/zoneinfo/Europe/Paris", owner) == "tzdata"
    # Our own package has no dist-info: it is its own.
    assert distribution_of("tenx_email/__init__.py", owner) == "tenx_email"


def test_unused_is_the_bundle_minus_what_was_imported_with_bytes_summed_per_package(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Given a handler trace that loaded pydantic (not its v1 shim), cffi's backend, our package
    monkeypatch.setattr(layer_use, "SUBPACKAGE_MIN_BYTES", 50_000)
    imported = {"pydantic", "pydantic.main", "_cffi_backend", "tenx_email"}
    found = layer_use.unused(FILES, owners(RECORDS), imported)
    # Then tzdata (all its files, data and dist-info too) and pydantic's v1 sub-package are
    # unused; cffi is in use through its extension alone
    assert [(entry.package, entry.unzipped_bytes) for entry in found] == [
        ("pydantic.v1", 60_000),
        ("tzdata", 2_014),
    ]
    assert found[0].stays is not None
    assert "schema" in found[0].stays


def test_a_small_unused_sub_package_is_not_listed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(layer_use, "SUBPACKAGE_MIN_BYTES", 60_001)
    imported = {"pydantic", "_cffi_backend", "tenx_email", "tzdata"}
    assert layer_use.unused(FILES, owners(RECORDS), imported) == []


def test_nothing_unused_when_every_distribution_and_sub_package_was_imported() -> None:
    imported = {"pydantic", "pydantic.v1", "_cffi_backend", "tzdata", "tenx_email"}
    assert layer_use.unused(FILES, owners(RECORDS), imported) == []


def test_a_reason_to_stay_is_the_longest_matching_prefix() -> None:
    assert (
        layer_use.stays("aws_lambda_powertools.utilities.parser")
        == (layer_use.KEPT["aws_lambda_powertools"])
    )
    assert layer_use.stays("pydantic.v1") == layer_use.KEPT["pydantic.v1"]
    assert layer_use.stays("pydantic_core") is None


@pytest.mark.parametrize(
    "relative",
    [
        "pydantic/main.py",
        "pydantic_core/_pydantic_core.cpython-314-aarch64-linux-gnu.so",
        "_cffi_backend.cpython-314-aarch64-linux-gnu.so",
        "cryptography/hazmat/bindings/_rust.abi3.so",
        "pydantic-2.14.3.dist-info/METADATA",
        "cffi-2.1.1.dist-info/RECORD",
        "tzdata/zoneinfo/Europe/Paris",
        "tzdata/zones",
        "aws_lambda_powertools/event_handler/openapi/swagger_ui/html.py",
        "tenx_email/routes.py",
        "typing_extensions.py",
    ],
)
def test_pruning_keeps_what_an_import_needs(relative: str) -> None:
    assert not pruned(relative)


@pytest.mark.parametrize(
    "relative",
    [
        "bin/jp.py",
        "pydantic-2.14.3.dist-info/licenses/LICENSE",
        "pydantic_core-2.50.4.dist-info/sboms/pydantic-core.cyclonedx.json",
        "cffi-2.1.1.dist-info/entry_points.txt",
        "pydantic/py.typed",
        "cryptography/hazmat/bindings/_rust/openssl/rsa.pyi",
        "cffi/api.py",
        "pycparser/c_parser.py",
        "pycparser-3.12.dist-info/METADATA",
        "aws_lambda_powertools/event_handler/openapi/swagger_ui/swagger-ui-bundle.min.js",
    ],
)
def test_pruning_drops_what_no_import_reads(relative: str) -> None:
    assert pruned(relative)


def test_prune_removes_the_files_and_the_folders_it_empties(tmp_path: Path) -> None:
    for relative in ("pycparser/c_parser.py", "bin/jp.py", "pydantic/main.py", "pydantic/py.typed"):
        (tmp_path / relative).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / relative).write_text("x")
    prune(tmp_path)
    assert sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*")) == [
        "pydantic",
        "pydantic/main.py",
    ]


def test_first_invoke_imports_are_those_inside_functions_that_reach_the_layer(
    tmp_path: Path,
) -> None:
    source = tmp_path / "sealed.py"
    source.write_text(
        "import json\n"
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n"
        "    from mypy_boto3_kms import KMSClient\n"
        "def seal():\n"
        "    import json\n"
        "    from cryptography.hazmat.primitives import hashes\n"
        "    from devstack.local_ses import register\n"
    )
    statements = first_invoke_imports([source], {"cryptography", "tenx_email"})
    assert statements == ["from cryptography.hazmat.primitives import hashes"]


def test_the_top_level_layer_figures_come_from_the_details() -> None:
    details = {
        "zip_bytes": 10,
        "unzipped_bytes": 30,
        "files": 2,
        "use": {
            "unused": [{"package": "tzdata", "unzipped_bytes": 20, "stays": "zoneinfo"}],
            "unused_bytes": 20,
        },
    }
    assert layer.figures(details) == {
        "zipBytes": 10,
        "unzippedBytes": 30,
        "files": 2,
        "unusedPackages": [{"package": "tzdata", "unzippedBytes": 20}],
        "unusedBytes": 20,
    }
    assert layer.figures(None) is None
