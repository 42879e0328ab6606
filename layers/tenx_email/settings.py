"""The one place that reads environment variables: validated pydantic models, read once.

The authorizer's settings are in auth/settings.py, so that only the authorizer loads pydantic's
URL types and builds that model."""

from __future__ import annotations

import os
from functools import cache

from pydantic import BaseModel, ConfigDict, Field


class EnvModel(BaseModel):
    """Settings from the environment: frozen, and blind to variables they do not name; built
    when first read (a function reads two or three of them)."""

    model_config = ConfigDict(frozen=True, extra="ignore", defer_build=True)


class DataSettings(EnvModel):
    """What every function that touches the table needs."""

    stage: str = Field(min_length=1)
    table_name: str = Field(min_length=3)


class SesSettings(EnvModel):
    """Where the service's SES identities live."""

    ses_region: str = Field(pattern=r"^[a-z]{2}(-[a-z]+)+-\d$")


class DeliverySettings(EnvModel):
    """Where accepted messages are queued; unset means the environment has no delivery queue
    (the send route then answers 503, as the contract says)."""

    delivery_queue_url: str | None = None


class TriggerSettings(EnvModel):
    """Campaign trigger jobs: where events are queued and how delayed rules are scheduled.
    Each is optional here and checked where it is used (only the trigger Lambda schedules)."""

    trigger_jobs_queue_url: str | None = None
    trigger_jobs_queue_arn: str | None = None
    trigger_jobs_dlq_arn: str | None = None
    schedule_group_name: str | None = None
    scheduler_role_arn: str | None = None


class TokenSettings(EnvModel):
    """The secret holding the token keys (adapters/token_keys.py): its name or ARN."""

    token_keys_secret: str = Field(min_length=1)


def environment() -> dict[str, str]:
    return {name.lower(): value for name, value in os.environ.items()}


@cache
def data_settings() -> DataSettings:
    return DataSettings.model_validate(environment())


@cache
def ses_settings() -> SesSettings:
    return SesSettings.model_validate(environment())


@cache
def delivery_settings() -> DeliverySettings:
    return DeliverySettings.model_validate(environment())


# --- The delivery consumer's SES sending (added with the delivery and feedback consumers) ---


class SendingSettings(EnvModel):
    """The configuration set every send names: its events are what feedback receives."""

    ses_configuration_set: str = Field(min_length=1)


class PacingSettings(EnvModel):
    """How many delivery invocations may run at once (the event source's maximum concurrency):
    each paces itself to its share of SES's rate. Unset: delivery runs alone (the local stack)."""

    delivery_max_concurrency: int = Field(default=1, ge=1, le=1000)


@cache
def pacing_settings() -> PacingSettings:
    return PacingSettings.model_validate(environment())


@cache
def sending_settings() -> SendingSettings:
    return SendingSettings.model_validate(environment())


@cache
def trigger_settings() -> TriggerSettings:
    return TriggerSettings.model_validate(environment())


@cache
def token_settings() -> TokenSettings:
    return TokenSettings.model_validate(environment())


class LinkSettings(EnvModel):
    """Where recipients reach the API's public routes (unsubscribe links): the API's base URL,
    with its stage path when it has one (`https://<id>.execute-api.<region>.amazonaws.com/prod`)."""

    public_api_url: str = Field(pattern=r"^https?://[^\s/]+(/[^\s]*)?$")

    @property
    def base(self) -> str:
        return self.public_api_url.rstrip("/")


@cache
def link_settings() -> LinkSettings:
    return LinkSettings.model_validate(environment())


class WebhookSettings(EnvModel):
    """Where webhook deliveries are queued for the sender (the fan-out and the replay and test
    routes queue them)."""

    webhook_queue_url: str = Field(min_length=1)


@cache
def webhook_settings() -> WebhookSettings:
    return WebhookSettings.model_validate(environment())
