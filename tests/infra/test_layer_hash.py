"""The layer's asset hash follows everything that changes the bundle (no synth needed)."""

from __future__ import annotations

import importlib.util
import shutil
import sys
from pathlib import Path

import pytest

from infra.constants import LAYER_PACKAGE, LAYERS_DIR
from infra.constructs import layer
from infra.constructs.layer import layer_asset_hash


@pytest.fixture
def layers_copy(tmp_path: Path) -> Path:
    copy = tmp_path / "layers"
    shutil.copytree(
        LAYERS_DIR / LAYER_PACKAGE,
        copy / LAYER_PACKAGE,
        ignore=shutil.ignore_patterns("__pycache__", "*.pyc"),
    )
    shutil.copy(LAYERS_DIR / "requirements.txt", copy / "requirements.txt")
    return copy


def test_hash_is_stable_for_unchanged_sources(layers_copy: Path) -> None:
    assert layer_asset_hash(layers_copy) == layer_asset_hash(layers_copy)


def test_hash_changes_when_a_requirement_changes(layers_copy: Path) -> None:
    # Given the hash of the layer's sources
    before = layer_asset_hash(layers_copy)
    # When a pinned requirement changes
    requirements = layers_copy / "requirements.txt"
    requirements.write_text(requirements.read_text() + "six==1.17.0\n")
    # Then the layer gets a new asset
    assert layer_asset_hash(layers_copy) != before


def test_hash_changes_when_package_code_changes(layers_copy: Path) -> None:
    # Given the hash of the layer's sources
    before = layer_asset_hash(layers_copy)
    # When a module of the package changes
    module = layers_copy / LAYER_PACKAGE / "routes.py"
    module.write_text(module.read_text() + "\n# changed\n")
    # Then the layer gets a new asset
    assert layer_asset_hash(layers_copy) != before


def test_hash_ignores_bytecode_caches(layers_copy: Path) -> None:
    # Given the hash of the layer's sources
    before = layer_asset_hash(layers_copy)
    # When Python writes bytecode next to the sources
    cache = layers_copy / LAYER_PACKAGE / "__pycache__"
    cache.mkdir()
    (cache / "routes.cpython-311.pyc").write_bytes(b"\x00bytecode")
    # Then the layer is not rebuilt for it
    assert layer_asset_hash(layers_copy) == before


def test_hash_tells_a_byte_compiled_bundle_from_a_source_one(
    layers_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(layer, "runtime_interpreter", lambda: None)
    source_only = layer_asset_hash(layers_copy)
    monkeypatch.setattr(layer, "runtime_interpreter", lambda: "/usr/bin/python3.14")
    assert layer_asset_hash(layers_copy) != source_only


def test_the_bundle_is_byte_compiled_by_the_interpreter_given(tmp_path: Path) -> None:
    """The host's Python stands in for the runtime's: each module gets an unchecked-hash .pyc
    of that interpreter's tag, which its importer reads without looking at the source."""
    package = tmp_path / "python" / "pkg"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("ANSWER = 42\n")
    layer.compile_bytecode(tmp_path / "python", sys.executable)
    compiled = package / "__pycache__" / f"__init__.{sys.implementation.cache_tag}.pyc"
    header = compiled.read_bytes()[:16]
    assert header[:4] == importlib.util.MAGIC_NUMBER
    flags = int.from_bytes(header[4:8], "little")
    assert flags == 0b01  # hash-based, not checked against the source
