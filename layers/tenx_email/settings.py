"""The one place that reads environment variables: validated pydantic models, read once."""

from __future__ import annotations

import os
from functools import cache

from pydantic import BaseModel, ConfigDict, Field, HttpUrl


class _EnvModel(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")


class DataSettings(_EnvModel):
    """What every function that touches the table needs."""

    stage: str = Field(min_length=1)
    table_name: str = Field(min_length=3)


class AuthSettings(_EnvModel):
    """The authorizer's view of the identity provider."""

    jwt_issuer: str = Field(min_length=1)
    jwt_audience: str = Field(min_length=1)
    jwks_url: HttpUrl


class SesSettings(_EnvModel):
    """Where the service's SES identities live."""

    ses_region: str = Field(pattern=r"^[a-z]{2}(-[a-z]+)+-\d$")


def _environment() -> dict[str, str]:
    return {name.lower(): value for name, value in os.environ.items()}


@cache
def data_settings() -> DataSettings:
    return DataSettings.model_validate(_environment())


@cache
def auth_settings() -> AuthSettings:
    return AuthSettings.model_validate(_environment())


@cache
def ses_settings() -> SesSettings:
    return SesSettings.model_validate(_environment())
