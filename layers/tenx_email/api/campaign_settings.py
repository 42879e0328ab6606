"""API shapes of a campaign's settings: its frequency caps and send window."""

from __future__ import annotations

from typing import Annotated, Self

from pydantic import BeforeValidator, Field, StrictInt

from tenx_email import clock
from tenx_email.api.base import ApiInput, ApiModel, SeenVersion, integral
from tenx_email.campaign_models import CampaignSettings
from tenx_email.send_windows import SendWindow
from tenx_email.services.campaign_settings import (
    MAX_COOLDOWN_MINUTES,
    MAX_DAILY_CAP,
    MIN_DAILY_CAP,
    SettingsDraft,
)

# The bounds come before the conversion, as with VersionNumber (api/base.py).
CooldownMinutes = Annotated[
    StrictInt,
    Field(
        ge=0,
        le=MAX_COOLDOWN_MINUTES,
        description="No two campaign emails to one lead closer than this; 0 is no cooldown.",
    ),
    BeforeValidator(integral),
]
DailyCap = Annotated[
    StrictInt,
    Field(
        ge=MIN_DAILY_CAP,
        le=MAX_DAILY_CAP,
        description="At most this many campaign emails to one lead per day; null is no cap.",
    ),
    BeforeValidator(integral),
]


class CampaignSettingsIn(ApiInput):
    """The whole settings (what is left out is none: no cooldown, no cap, no window), and
    optionally the version the client last read (0 before any were put)."""

    contact_cooldown_minutes: CooldownMinutes = 0
    contact_daily_cap: DailyCap | None = None
    send_window: SendWindow | None = None
    expected_version: SeenVersion | None = None

    def draft(self) -> SettingsDraft:
        return SettingsDraft(
            contact_cooldown_minutes=self.contact_cooldown_minutes,
            contact_daily_cap=self.contact_daily_cap,
            send_window=self.send_window,
        )


class CampaignSettingsOut(ApiModel):
    campaign_id: str
    contact_cooldown_minutes: int
    contact_daily_cap: int | None
    send_window: SendWindow | None
    version: int
    updated_at: str | None  # null before the settings were first put

    @classmethod
    def from_settings(cls, settings: CampaignSettings) -> Self:
        return cls(
            campaign_id=settings.campaign_id,
            contact_cooldown_minutes=settings.contact_cooldown_minutes,
            contact_daily_cap=settings.contact_daily_cap,
            send_window=settings.send_window,
            version=settings.version,
            updated_at=clock.iso(settings.updated_at) if settings.updated_at else None,
        )


class CampaignSettingsEnvelope(ApiModel):
    settings: CampaignSettingsOut
