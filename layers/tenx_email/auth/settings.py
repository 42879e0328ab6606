"""The authorizer's view of the identity provider, read from the environment once."""

from __future__ import annotations

from functools import cache

from pydantic import Field, HttpUrl

from tenx_email.settings import EnvModel, environment


class AuthSettings(EnvModel):
    jwt_issuer: str = Field(min_length=1)
    jwt_audience: str = Field(min_length=1)
    jwks_url: HttpUrl


@cache
def auth_settings() -> AuthSettings:
    return AuthSettings.model_validate(environment())
