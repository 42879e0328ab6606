"""API shapes of the campaign events a client posts (lead captures and conversions)."""

from __future__ import annotations

from typing import Annotated, Self

from pydantic import StringConstraints

from tenx_email.api.base import ApiInput, ApiModel
from tenx_email.models import CampaignEvent, CampaignEventType


class ConversionIn(ApiInput):
    lead_id: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{1,64}$")]


class CampaignEventAccepted(ApiModel):
    event_id: str
    lead_id: str
    type: CampaignEventType

    @classmethod
    def from_event(cls, event: CampaignEvent) -> Self:
        return cls(event_id=event.event_id, lead_id=event.lead.lead_id, type=event.type)
