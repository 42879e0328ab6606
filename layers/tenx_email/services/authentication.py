"""The authorizer's decision. It depends on the bearer token alone (never on the route or
handle), because API Gateway caches it per token and reuses it for every route."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from tenx_email.auth.jwks import JwksCache
from tenx_email.auth.settings import auth_settings
from tenx_email.auth.tokens import TokenRejected, bearer_token, verify


@dataclass(frozen=True)
class Decision:
    allowed: bool
    sub: str = ""
    expires_at: int = 0
    error: str = ""
    message: str = ""


@cache
def _keys() -> JwksCache:
    return JwksCache(str(auth_settings().jwks_url))


def authenticate(authorization: str | None) -> Decision:
    settings = auth_settings()
    try:
        token = verify(
            bearer_token(authorization),
            issuer=settings.jwt_issuer,
            audience=settings.jwt_audience,
            keys=_keys(),
        )
    except TokenRejected as rejected:
        return Decision(allowed=False, error=rejected.code, message=rejected.message)
    return Decision(allowed=True, sub=token.sub, expires_at=token.expires_at)


def reset() -> None:
    """Forget cached settings and keys (tests and the local stack switch identity providers)."""
    _keys.cache_clear()
    auth_settings.cache_clear()
