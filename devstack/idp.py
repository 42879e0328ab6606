"""A local identity provider: one RSA signing key, its JWKS, and tokens for the demo users.

The key lives only as long as the process, so tokens from an earlier run stop working.
"""

from __future__ import annotations

import time
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

KEY_ID = "local-dev-1"
TOKEN_LIFETIME_SECONDS = 24 * 3600


class LocalIdentityProvider:
    def __init__(self, issuer: str, audience: str) -> None:
        self.issuer = issuer
        self.audience = audience
        self._key = rsa.generate_private_key(public_exponent=65537, key_size=2048)

    def jwks(self) -> dict[str, Any]:
        public_jwk = RSAAlgorithm.to_jwk(self._key.public_key(), as_dict=True)
        return {"keys": [{**public_jwk, "kid": KEY_ID, "use": "sig", "alg": "RS256"}]}

    def private_key_pem(self) -> str:
        return self._key.private_bytes(
            encoding=serialization.Encoding.PEM,
            format=serialization.PrivateFormat.PKCS8,
            encryption_algorithm=serialization.NoEncryption(),
        ).decode()

    def mint(self, sub: str) -> str:
        """An access token for the API."""
        return self._sign(sub, self.audience, {})

    def id_token(self, sub: str, client_id: str, nonce: str | None) -> str:
        """An OpenID Connect ID token for `client_id` (the console's sign-in)."""
        return self._sign(sub, client_id, {"nonce": nonce} if nonce else {})

    def _sign(self, sub: str, audience: str, extra: dict[str, str]) -> str:
        # Wall time, not tenx_email.clock: the authorizer checks exp and iat against wall time.
        issued_at = int(time.time())
        claims = {
            "sub": sub,
            "iss": self.issuer,
            "aud": audience,
            "iat": issued_at,
            "exp": issued_at + TOKEN_LIFETIME_SECONDS,
            **extra,
        }
        return jwt.encode(claims, self._key, algorithm="RS256", headers={"kid": KEY_ID})
