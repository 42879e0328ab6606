"""The shared Lambda layer: the tenx_email package plus its pinned wheels, bundled without Docker.

pip downloads wheels for the Lambda runtime's Python version and architecture, not the host's,
so the layer builds the same on any machine that can reach PyPI.
"""

from __future__ import annotations

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
    return digest.hexdigest()


@jsii.implements(cdk.ILocalBundling)
class _LocalLayerBundler:
    def __init__(self, layers_dir: Path) -> None:
        self._layers_dir = layers_dir

    # jsii passes the bundling options as keywords because this method declares a
    # keyword-only parameter; none of them matter for a local pip install.
    def try_bundle(self, output_dir: str, *, image: cdk.DockerImage, **_options: object) -> bool:
        target = Path(output_dir) / "python"
        subprocess.run(  # noqa: S603 - fixed argument list, no shell
            [
                sys.executable,
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
                "-r",
                str(self._layers_dir / "requirements.txt"),
                *PIP_TARGET_OPTIONS,
                "--target",
                str(target),
            ],
            check=True,
        )
        shutil.copytree(self._layers_dir / LAYER_PACKAGE, target / LAYER_PACKAGE, ignore=_SKIPPED)
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
        self.version = lambda_.LayerVersion(
            self,
            "Version",
            code=code,
            compatible_runtimes=[LAMBDA_RUNTIME],
            compatible_architectures=[LAMBDA_ARCHITECTURE],
            description="tenx_email domain package and its pinned runtime dependencies",
        )
