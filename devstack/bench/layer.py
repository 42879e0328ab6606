"""The Lambda layer as deployed: bundled by the CDK layer's own bundler, zipped with deflate.

The bundler (`infra/constructs/layer.py`) runs in a child process (`python -m
devstack.bench.layer`), which imports the CDK only there. The result is kept under
`.local/bench/` by the layer's asset hash (requirements, package files and bundler), so an
unchanged layer is zipped once. An asset already bundled under `cdk.out` is reused when its
package files match the source and its wheels match the pins. What no handler imports is
measured on a twin built for this host (layer_use.py).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from devstack.bench import layer_use

REPO = Path(__file__).resolve().parents[2]
LAYERS_DIR = REPO / "layers"
PACKAGE = "tenx_email"
CACHE_DIR = REPO / ".local" / "bench"
CDK_OUT = REPO / "cdk.out"
BUILD_TIMEOUT_SECONDS = 600
# The CDK's asset zips use zlib's best compression.
COMPRESS_LEVEL = 9
# The twin: the same pins for the interpreter running pip, so this host can import it.
HOST_PIP_OPTIONS = ("--only-binary=:all:", "--no-compile")


@dataclass
class LayerFigure:
    zip_bytes: int
    unzipped_bytes: int
    files: int
    source: str  # where the bundle came from: built now, the cache, or a cdk.out asset
    asset_hash: str
    use: layer_use.LayerUse  # per distribution, and what no handler imports


def _child_environment() -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
    env.setdefault("JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION", "1")
    return env


def _child(*args: str) -> str:
    finished = subprocess.run(
        [sys.executable, "-m", "devstack.bench.layer", *args],
        cwd=REPO,
        env=_child_environment(),
        capture_output=True,
        text=True,
        timeout=BUILD_TIMEOUT_SECONDS,
        check=False,
    )
    if finished.returncode != 0:
        raise RuntimeError(f"the layer bundler failed:\n{finished.stderr[-3000:]}")
    return finished.stdout


def _package_files(root: Path) -> dict[str, bytes]:
    return {
        path.relative_to(root).as_posix(): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc"
    }


def _pins() -> dict[str, str]:
    pins = {}
    for line in (LAYERS_DIR / "requirements.txt").read_text().splitlines():
        match = re.match(r"^\s*([A-Za-z0-9_.-]+)(\[[^\]]*\])?==([^\s;#]+)", line)
        if match:
            pins[re.sub(r"[-_.]+", "_", match.group(1)).lower()] = match.group(3)
    return pins


def asset_is_current(python_dir: Path) -> bool:
    """An asset's `python/` folder holds today's package and the pinned versions."""
    if not (python_dir / PACKAGE).is_dir():
        return False
    if _package_files(python_dir / PACKAGE) != _package_files(LAYERS_DIR / PACKAGE):
        return False
    installed = {}
    for dist_info in python_dir.glob("*.dist-info"):
        name, _, version = dist_info.name.removesuffix(".dist-info").partition("-")
        installed[re.sub(r"[-_.]+", "_", name).lower()] = version
    return all(installed.get(name) == version for name, version in _pins().items())


def _cdk_out_asset() -> Path | None:
    if not CDK_OUT.is_dir():
        return None
    for python_dir in sorted(CDK_OUT.glob("asset.*/python")):
        if asset_is_current(python_dir):
            return python_dir.parent
    return None


def zip_folder(folder: Path, target: Path) -> None:
    """Zip `folder`'s contents (its `python/` tree) as the CDK zips an asset."""
    with zipfile.ZipFile(
        target, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=COMPRESS_LEVEL
    ) as archive:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                archive.write(path, path.relative_to(folder).as_posix())


def describe_zip(path: Path, source: str, asset_hash: str, use: layer_use.LayerUse) -> LayerFigure:
    with zipfile.ZipFile(path) as archive:
        infos = [info for info in archive.infolist() if not info.is_dir()]
    return LayerFigure(
        zip_bytes=path.stat().st_size,
        unzipped_bytes=sum(info.file_size for info in infos),
        files=len(infos),
        source=source,
        asset_hash=asset_hash,
        use=use,
    )


def _with_use(path: Path, source: str, asset_hash: str) -> LayerFigure:
    with tempfile.TemporaryDirectory(prefix="tenx-bench-layer-twin-") as twin:
        _child("--build-host", twin)
        use = layer_use.measure(path, Path(twin) / "python")
    return describe_zip(path, source, asset_hash, use)


def measure() -> LayerFigure:
    asset_hash = json.loads(_child("--describe"))["assetHash"]
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    cached = CACHE_DIR / f"layer-{asset_hash[:16]}.zip"
    if cached.exists():
        return _with_use(cached, f"{cached.relative_to(REPO)} (built earlier)", asset_hash)
    asset = _cdk_out_asset()
    partial = cached.with_suffix(".partial")
    if asset is not None:
        zip_folder(asset, partial)
        partial.replace(cached)
        return _with_use(cached, f"{asset.relative_to(REPO)}", asset_hash)
    with tempfile.TemporaryDirectory(prefix="tenx-bench-layer-") as out:
        _child("--build", out)
        zip_folder(Path(out), partial)
    partial.replace(cached)
    for stale in CACHE_DIR.glob("layer-*.zip"):
        if stale != cached:
            stale.unlink()
    return _with_use(cached, "built now with infra/constructs/layer.py's bundler", asset_hash)


def figures(details: dict[str, Any] | None) -> dict[str, Any] | None:
    """bench.json's top-level `layer`, from `details.layer` (asdict of a LayerFigure)."""
    if details is None:
        return None
    use = details["use"]
    return {
        "zipBytes": details["zip_bytes"],
        "unzippedBytes": details["unzipped_bytes"],
        "files": details["files"],
        "unusedPackages": [
            {"package": entry["package"], "unzippedBytes": entry["unzipped_bytes"]}
            for entry in use["unused"]
        ],
        "unusedBytes": use["unused_bytes"],
    }


def main() -> int:
    """The child: describe the layer's asset hash, or bundle the layer (or its host twin) into a
    folder."""
    parser = argparse.ArgumentParser(prog="python -m devstack.bench.layer")
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--describe", action="store_true")
    group.add_argument("--build", metavar="DIR")
    group.add_argument("--build-host", metavar="DIR")
    options = parser.parse_args()

    from infra.constants import LAYERS_DIR as INFRA_LAYERS_DIR
    from infra.constructs import layer

    if options.describe:
        print(json.dumps({"assetHash": layer.layer_asset_hash()}))
        return 0
    if options.build_host:
        layer.bundle(INFRA_LAYERS_DIR, Path(options.build_host) / "python", HOST_PIP_OPTIONS)
        return 0
    # The very bundler the SharedLayer construct hands to the CDK (its `image` goes unused).
    bundler = layer._LocalLayerBundler(INFRA_LAYERS_DIR)
    bundler.try_bundle(options.build, image=None)  # type: ignore[arg-type]
    return 0


if __name__ == "__main__":
    sys.exit(main())
