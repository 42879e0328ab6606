"""Strict JWT verification.

Accepted: RS256 or ES256 (P-256) signatures by a key from the JWKS whose type fits the
algorithm; exp, iat, iss, aud and sub present; exp/nbf/iat checked with at most 60 s of
leeway; iss and aud equal to the configured values. Refused: every other algorithm (none,
HS*), header-supplied keys (jku, x5u, jwk, x5c), critical extensions, oversized tokens.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import jwt
from jwt import PyJWK

from tenx_email.auth.jwks import JwksCache
from tenx_email.ids import USER_SUB_PATTERN

LEEWAY_SECONDS = 60
MAX_TOKEN_BYTES = 8192
REQUIRED_CLAIMS = ("exp", "iat", "iss", "aud", "sub")
_KEY_TYPE_FOR_ALGORITHM = {"RS256": "RSA", "ES256": "EC"}
_HEADER_SUPPLIED_KEYS = frozenset({"jku", "x5u", "jwk", "x5c", "crit"})
_KID = re.compile(r"^[A-Za-z0-9._~+/=-]{1,256}$")


class TokenRejected(Exception):
    """The token is not acceptable; `code` is the error code the client sees."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class VerifiedToken:
    sub: str
    expires_at: int


def bearer_token(authorization: str | None) -> str:
    """The token of an `Authorization: Bearer <token>` header value."""
    scheme, _, token = (authorization or "").strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise TokenRejected("missing_bearer_token", "Send Authorization: Bearer <jwt>.")
    return token.strip()


def _invalid(message: str) -> TokenRejected:
    return TokenRejected("invalid_token", message)


def _signing_key(header: dict[str, object], keys: JwksCache) -> tuple[PyJWK, str]:
    algorithm = header.get("alg")
    if not isinstance(algorithm, str) or algorithm not in _KEY_TYPE_FOR_ALGORITHM:
        raise _invalid("the token's algorithm is not accepted")
    if _HEADER_SUPPLIED_KEYS & header.keys():
        raise _invalid("the token's header names its own key or extensions")
    kid = header.get("kid")
    if not isinstance(kid, str) or not _KID.fullmatch(kid):
        raise _invalid("the token has no usable key id")
    key = keys.key(kid)
    if key is None:
        raise _invalid("the token was signed by an unknown key")
    # PyJWK infers the algorithm from the key when the JWK does not declare one (RSA -> RS256,
    # EC P-256 -> ES256, P-384 -> ES384), so this also refuses keys of the wrong size or curve.
    if key.key_type != _KEY_TYPE_FOR_ALGORITHM[algorithm] or key.algorithm_name != algorithm:
        raise _invalid("the token's algorithm does not fit its key")
    return key, algorithm


def verify(token: str, *, issuer: str, audience: str, keys: JwksCache) -> VerifiedToken:
    if len(token) > MAX_TOKEN_BYTES:
        raise _invalid("the token is too large")
    if token.count(".") != 2:
        raise _invalid("the bearer token is not a JWT (personal access tokens are not accepted)")
    try:
        header = jwt.get_unverified_header(token)
    except jwt.InvalidTokenError as error:
        raise _invalid("the token is malformed") from error
    key, algorithm = _signing_key(header, keys)
    try:
        claims = jwt.decode(
            token,
            key.key,
            algorithms=[algorithm],
            audience=audience,
            issuer=issuer,
            leeway=LEEWAY_SECONDS,
            options={"require": list(REQUIRED_CLAIMS), "strict_aud": False},
        )
    except jwt.ExpiredSignatureError as error:
        raise _invalid("the token has expired") from error
    except jwt.InvalidTokenError as error:
        raise _invalid(f"the token was not accepted: {type(error).__name__}") from error
    sub, exp = claims["sub"], claims["exp"]
    if not isinstance(sub, str) or not re.fullmatch(USER_SUB_PATTERN, sub):
        raise _invalid("the token's subject is not acceptable")
    if not isinstance(exp, int | float):
        raise _invalid("the token's expiry is not a number")
    return VerifiedToken(sub=sub, expires_at=int(exp))
