"""Where the local stack listens and the environment its Lambdas see.

The functions read their configuration from environment variables, as they do in AWS; the
local stack sets the same variables for its own process, pointing boto3 at moto and the
authorizer at the local identity provider.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from devstack import state
from tenx_email import resources

HOST = "127.0.0.1"
STAGE = "local"
REGION = "us-east-1"
ACCOUNT_ID = "123456789012"  # moto's default account: every ARN moto hands out carries it
JWT_AUDIENCE = "tenx-email-local"
DEFAULT_PORT = 3000
# The sends a second the local SES reports and enforces (devstack/ses_rate.py).
DEFAULT_MAX_SEND_RATE = 200.0


def _port(environ: Mapping[str, str], name: str, default: int) -> int:
    raw = environ.get(name, "").strip()
    if not raw:
        return default
    if not raw.isdigit() or not 1 <= int(raw) <= 65535:
        raise ValueError(f"{name} must be a TCP port number (1-65535), not {raw!r}")
    return int(raw)


def _send_rate(environ: Mapping[str, str]) -> float:
    raw = environ.get("LOCAL_SES_MAX_SEND_RATE", "").strip()
    if not raw:
        return DEFAULT_MAX_SEND_RATE
    try:
        rate = float(raw)
    except ValueError:
        rate = 0.0
    if not 0 < rate <= 10_000:
        raise ValueError(f"LOCAL_SES_MAX_SEND_RATE must be a rate from 0 to 10000, not {raw!r}")
    return rate


@dataclass(frozen=True)
class LocalEnvironment:
    port: int
    moto_port: int
    state_path: Path
    ses_max_send_rate: float

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> LocalEnvironment:
        port = _port(environ, "PORT", DEFAULT_PORT)
        moto_port = _port(environ, "MOTO_PORT", port + 1)
        if moto_port == port:
            raise ValueError(f"MOTO_PORT must differ from PORT ({port})")
        return cls(
            port=port,
            moto_port=moto_port,
            state_path=state.state_file(environ),
            ses_max_send_rate=_send_rate(environ),
        )

    @property
    def api_base(self) -> str:
        return f"http://{HOST}:{self.port}"

    @property
    def aws_endpoint(self) -> str:
        return f"http://{HOST}:{self.moto_port}"

    @property
    def jwt_issuer(self) -> str:
        return f"{self.api_base}/local-idp"

    @property
    def jwks_url(self) -> str:
        return f"{self.api_base}/.well-known/jwks.json"

    @property
    def table_name(self) -> str:
        return resources.table_name(STAGE)

    def variables(self) -> dict[str, str]:
        """What the functions and boto3 read, as the deployed stack would set it."""
        return {
            "AWS_ENDPOINT_URL": self.aws_endpoint,
            "AWS_ACCESS_KEY_ID": "local",
            "AWS_SECRET_ACCESS_KEY": "local",
            "AWS_DEFAULT_REGION": REGION,
            "STAGE": STAGE,
            "TABLE_NAME": self.table_name,
            "TOKEN_KEYS_SECRET": resources.token_keys_secret_name(STAGE),
            "SES_REGION": REGION,
            # Unsubscribe links lead to the local gateway's public routes.
            "PUBLIC_API_URL": self.api_base,
            "SES_CONFIGURATION_SET": resources.configuration_set_name(STAGE),
            "POWERTOOLS_SERVICE_NAME": "tenx-email",
            "POWERTOOLS_METRICS_NAMESPACE": "TenxEmailLocal",
            "JWT_ISSUER": self.jwt_issuer,
            "JWT_AUDIENCE": JWT_AUDIENCE,
            "JWKS_URL": self.jwks_url,
        }

    def apply(self) -> None:
        """Set the variables for this process, and drop any that could reach a real account:
        a profile or session token, or a service-specific endpoint that would win over moto."""
        for name in list(os.environ):
            if name in {"AWS_PROFILE", "AWS_SESSION_TOKEN"} or name.startswith("AWS_ENDPOINT_URL_"):
                del os.environ[name]
        os.environ.update(self.variables())
