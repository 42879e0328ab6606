"""Deploy-time settings, read from CDK context (cdk.json defaults, `-c key=value` overrides)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from constructs import Node

# The stage ends up in queue, table, bus and API stage names: keep it to what all of them accept.
_STAGE = re.compile(r"[a-z][a-z0-9-]{0,19}")


@dataclass(frozen=True)
class DeployConfig:
    stage: str
    jwt_issuer: str
    jwt_audience: str
    jwks_url: str
    ses_region: str

    @classmethod
    def from_context(cls, node: Node) -> DeployConfig:
        def required(key: str) -> str:
            value = node.try_get_context(key)
            if not isinstance(value, str) or not value:
                raise ValueError(f"CDK context '{key}' must be a non-empty string (-c {key}=...)")
            return value

        stage = required("stage")
        if not _STAGE.fullmatch(stage):
            raise ValueError(f"stage {stage!r} must match {_STAGE.pattern}")
        return cls(
            stage=stage,
            jwt_issuer=required("jwtIssuer"),
            jwt_audience=required("jwtAudience"),
            jwks_url=required("jwksUrl"),
            ses_region=required("sesRegion"),
        )
