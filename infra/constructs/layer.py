"""The shared Lambda layer: the tenx_email package plus its pinned wheels, bundled without Docker.

pip downloads wheels for the Lambda runtime's Python version and architecture, not the host's,
so the layer builds the same on any machine that can reach PyPI.

Byte code: Lambda's /opt is read-only, so a layer shipped as source is compiled again on every
cold start (measured: a route's import takes about twice as long; docs/decision_log.md,
2026-12-07). When the runtime's own Python (`python3.14`) is on the machine that synthesizes,
the bundle is byte-compiled with it; otherwise the layer ships source and synth warns.
"""

from __future__ import annotations

import fnmatch
import hashlib
import shutil
import subprocess
import sys
from pathlib import Path

import aws_cdk as cdk
import jsii
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from infra.constants import (
    LAMBDA_ARCHITECTURE,
    LAMBDA_PIP_PLATFORM,
    LAMBDA_PYTHON_VERSION,
    LAMBDA_RUNTIME,
    LAYER_PACKAGE,
    LAYERS_DIR,
)

PIP_TARGET_OPTIONS = (
    f"--platform={LAMBDA_PIP_PLATFORM}",
    "--only-binary=:all:",
    f"--python-version={LAMBDA_PYTHON_VERSION}",
    "--implementation=cp",
    "--no-compile",
)
_SKIPPED = shutil.ignore_patterns("__pycache__", "*.pyc")
# What pip installs that no import on Lambda reads, as glob patterns under the layer's
# `python/` folder (each one's measured share: docs/decision_log.md, 2026-12-07).
# cffi's Python package and its C parser generate FFI modules at build time; cryptography's
# compiled bindings need only the _cffi_backend extension (cffi's distribution), which stays.
BUILD_ONLY = ("cffi/*", "pycparser/*", "pycparser-*.dist-info/*")
EXTRAS = (
    "bin/*",  # console scripts (cffi-gen-src, jp.py): nothing on Lambda runs them
    "*.pyi",  # stubs and py.typed markers are for type checkers
    "*/py.typed",
    # Swagger UI's own copy, served only by enable_swagger(offline=True), which we never call.
    "aws_lambda_powertools/event_handler/openapi/swagger_ui/*.js",
    "aws_lambda_powertools/event_handler/openapi/swagger_ui/*.css",
)
# importlib.metadata reads METADATA (versions, pydantic's plugin scan) and RECORD lists the
# files; licences, SBOMs, WHEEL, INSTALLER and the rest go.
KEPT_DIST_INFO = ("METADATA", "RECORD")


def _package_files(package_dir: Path) -> list[Path]:
    return sorted(
        path
        for path in package_dir.rglob("*")
        if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc"
    )


def layer_asset_hash(layers_dir: Path = LAYERS_DIR) -> str:
    """Hash of everything that decides the layer's content.

    CDK would only fingerprint the source folder; the bundle also depends on the pinned
    requirements, the pip target options and this bundler, so all of them go in.
    """
    digest = hashlib.sha256()
    named_files = [
        ("requirements.txt", layers_dir / "requirements.txt"),
        *(
            (path.relative_to(layers_dir).as_posix(), path)
            for path in _package_files(layers_dir / LAYER_PACKAGE)
        ),
        ("<bundler>", Path(__file__)),
    ]
    for name, path in named_files:
        digest.update(name.encode())
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    digest.update(" ".join(PIP_TARGET_OPTIONS).encode())
    # Byte-compiled or source only: two different bundles.
    digest.update(b"bytecode" if runtime_interpreter() else b"source")
    return digest.hexdigest()


def runtime_interpreter() -> str | None:
    """The Lambda runtime's own Python on this machine, if any: only it writes byte code that
    the runtime reads (the format changes with every minor version)."""
    return shutil.which(f"python{LAMBDA_PYTHON_VERSION}")


def compile_bytecode(target: Path, interpreter: str) -> None:
    """Byte-compile everything under `target` with `interpreter`. Unchecked hashes: the
    runtime then loads each .pyc without comparing it with its source (whose mtime the
    deployed copy does not keep, and which nothing changes after the deploy)."""
    subprocess.run(  # noqa: S603 - fixed argument list, no shell
        [
            interpreter,
            "-m",
            "compileall",
            "-q",
            "-j",
            "0",
            "--invalidation-mode",
            "unchecked-hash",
            str(target),
        ],
        check=True,
    )


def pruned(relative: str) -> bool:
    """Whether the bundle drops this file (a POSIX path under `python/`)."""
    if any(fnmatch.fnmatch(relative, pattern) for pattern in BUILD_ONLY):
        return True
    if fnmatch.fnmatch(relative, "*.dist-info/*"):
        return relative.split("/", 1)[1] not in KEPT_DIST_INFO
    return any(fnmatch.fnmatch(relative, pattern) for pattern in EXTRAS)


def prune(target: Path) -> None:
    """Delete what `pruned` names, then the folders it left empty."""
    for path in sorted(target.rglob("*"), reverse=True):
        if path.is_file() and pruned(path.relative_to(target).as_posix()):
            path.unlink()
        elif path.is_dir() and not any(path.iterdir()):
            path.rmdir()


def bundle(
    layers_dir: Path,
    target: Path,
    pip_options: tuple[str, ...] = PIP_TARGET_OPTIONS,
    interpreter: str | None = None,
) -> None:
    """Install the pinned wheels and the package into `target`, pruned, and byte-compiled by
    `interpreter` when one is given. The bench passes the host's own options to build a twin
    it can import (devstack/bench/layer_use.py)."""
    subprocess.run(  # noqa: S603 - fixed argument list, no shell
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "-r",
            str(layers_dir / "requirements.txt"),
            *pip_options,
            "--target",
            str(target),
        ],
        check=True,
    )
    shutil.copytree(layers_dir / LAYER_PACKAGE, target / LAYER_PACKAGE, ignore=_SKIPPED)
    prune(target)
    if interpreter is not None:
        compile_bytecode(target, interpreter)


@jsii.implements(cdk.ILocalBundling)
class _LocalLayerBundler:
    def __init__(self, layers_dir: Path) -> None:
        self._layers_dir = layers_dir

    # jsii passes the bundling options as keywords because this method declares a
    # keyword-only parameter; none of them matter for a local pip install.
    def try_bundle(self, output_dir: str, *, image: cdk.DockerImage, **_options: object) -> bool:
        bundle(self._layers_dir, Path(output_dir) / "python", interpreter=runtime_interpreter())
        return True


class SharedLayer(Construct):
    def __init__(self, scope: Construct, construct_id: str) -> None:
        super().__init__(scope, construct_id)
        code = lambda_.Code.from_asset(
            str(LAYERS_DIR),
            bundling=cdk.BundlingOptions(
                # Never pulled: local bundling always succeeds or raises.
                image=cdk.DockerImage.from_registry("unused"),
                local=_LocalLayerBundler(LAYERS_DIR),
            ),
            asset_hash_type=cdk.AssetHashType.CUSTOM,
            asset_hash=layer_asset_hash(),
        )
        if runtime_interpreter() is None:
            cdk.Annotations.of(self).add_warning_v2(
                "tenx:layer-without-bytecode",
                f"python{LAMBDA_PYTHON_VERSION} is not on PATH: the layer ships source only, "
                "and every cold start compiles what it imports (install it where you deploy)",
            )
        self.version = lambda_.LayerVersion(
            self,
            "Version",
            code=code,
            compatible_runtimes=[LAMBDA_RUNTIME],
            compatible_architectures=[LAMBDA_ARCHITECTURE],
            description="tenx_email domain package and its pinned runtime dependencies",
        )
