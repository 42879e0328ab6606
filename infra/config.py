"""Deploy-time settings, read from CDK context (cdk.json defaults, `-c key=value` overrides)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from constructs import Node

from infra.constants import DELIVERY_MAX_CONCURRENCY

# The stage ends up in queue, table, bus and API stage names: keep it to what all of them accept.
_STAGE = re.compile(r"[a-z][a-z0-9-]{0,19}")


@dataclass(frozen=True)
class ConsoleConfig:
    """How the web console signs in: OpenID Connect's authorization code flow with PKCE at
    `authority` (context `consoleAuthority`, default the API's JWT issuer) as the public
    client `client_id` (context `consoleClientId`). The page may call the authority's
    origin and, when the token endpoint lives elsewhere (Cognito's hosted domain, say), the
    origins listed in context `consoleSignInOrigins` (comma-separated https:// origins)."""

    authority: str
    client_id: str
    scope: str = "openid"
    extra_sign_in_origins: tuple[str, ...] = ()

    @property
    def sign_in_origins(self) -> tuple[str, ...]:
        parts = urlsplit(self.authority)
        return (f"{parts.scheme}://{parts.netloc}", *self.extra_sign_in_origins)


@dataclass(frozen=True)
class DeployConfig:
    stage: str
    jwt_issuer: str
    jwt_audience: str
    jwks_url: str
    ses_region: str
    console: ConsoleConfig
    # Where unsubscribe links point: the API's own URL unless the stage is served under a
    # custom domain (context `publicApiUrl`, e.g. https://mail-api.example.com).
    public_api_url: str | None = None
    # Concurrent delivery invocations (context `deliveryMaxConcurrency`): each paces itself to
    # this share of SES's send rate (layers/tenx_email/services/pacing.py).
    delivery_max_concurrency: int = DELIVERY_MAX_CONCURRENCY

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
        jwt_issuer = required("jwtIssuer")
        return cls(
            stage=stage,
            jwt_issuer=jwt_issuer,
            jwt_audience=required("jwtAudience"),
            jwks_url=required("jwksUrl"),
            ses_region=required("sesRegion"),
            public_api_url=_optional_url(node.try_get_context("publicApiUrl")),
            delivery_max_concurrency=_concurrency(node.try_get_context("deliveryMaxConcurrency")),
            console=ConsoleConfig(
                authority=_https_url(
                    node.try_get_context("consoleAuthority") or jwt_issuer, "consoleAuthority"
                ),
                client_id=required("consoleClientId"),
                extra_sign_in_origins=_origins(node.try_get_context("consoleSignInOrigins")),
            ),
        )


def _concurrency(value: object) -> int:
    """An SQS event source's maximum concurrency: 2 to 1000 (`-c` passes it as a string)."""
    if value is None or value == "":
        return DELIVERY_MAX_CONCURRENCY
    text = str(value)
    if not text.isdigit() or not 2 <= int(text) <= 1000:
        raise ValueError("CDK context 'deliveryMaxConcurrency' must be a whole number, 2 to 1000")
    return int(text)


def _https_url(value: object, key: str) -> str:
    if not isinstance(value, str) or not re.fullmatch(r"https://[^\s/]+(/\S*)?", value):
        raise ValueError(f"CDK context '{key}' must be an https:// URL")
    return value


def _origins(value: object) -> tuple[str, ...]:
    if value is None or value == "":
        return ()
    origins = tuple(part.strip() for part in str(value).split(","))
    for origin in origins:
        if not re.fullmatch(r"https://[^\s/]+", origin):
            raise ValueError(
                "CDK context 'consoleSignInOrigins' must be https:// origins (no path), "
                "separated by commas"
            )
    return origins


def _optional_url(value: object) -> str | None:
    if value is None or value == "":
        return None
    return _https_url(value, "publicApiUrl")
