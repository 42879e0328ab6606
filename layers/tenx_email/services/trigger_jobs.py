"""The trigger jobs the trigger-jobs queue carries, and the campaign events of the bus.

A job is one of: a campaign event the HTTP routes published (`CampaignEventJob`,
services/campaign_events.py), what a delayed rule's EventBridge Scheduler schedule sends back
(`DelayedRuleJob`, ids only), or an EventBridge event from the campaign-events bus, whose
`detail` is a `BusDetail` (docs/api.md, "Campaign events") read into a `BusEvent` by
`from_bus`. A job that can never succeed raises InvalidJob (services/triggers.py runs them).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, StringConstraints
from pydantic.alias_generators import to_camel

from tenx_email import ids
from tenx_email.api.leads import LeadSnapshot
from tenx_email.campaign_models import CampaignEvent, CampaignEventType, Lead, RuleTrigger
from tenx_email.resources import CAMPAIGN_EVENT_DETAIL_TYPES, CAMPAIGN_EVENT_SOURCE


class InvalidJob(Exception):
    """A trigger job that can never succeed; it goes to the trigger-jobs DLQ (and its alarm)."""


class _Job(BaseModel):
    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=True, extra="forbid", defer_build=True
    )


class CampaignEventJob(_Job):
    kind: Literal["campaign-event"]
    event: CampaignEvent


class DelayedRuleJob(_Job):
    """What a rule's one-time schedule sends: ids only (Scheduler inputs are small). The
    schedule is a delayed rule's delay, or a rule message the campaign's settings deferred:
    then `trigger` is the rule's trigger when it was deferred."""

    kind: Literal["delayed-rule"]
    handle: str
    campaign_id: str
    event_id: str
    rule_id: str
    trigger: RuleTrigger = RuleTrigger.LEAD_CAPTURED_DELAYED


class BusDetail(_Job):
    """The `detail` of a campaign event published on the campaign-events bus (docs/api.md)."""

    handle: str
    campaign_id: str
    event_id: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{1,64}$")] | None = None
    occurred_at: datetime | None = None
    lead: LeadSnapshot | None = None
    lead_id: str | None = None


BUS_DETAIL_TYPES = dict(
    zip(
        CAMPAIGN_EVENT_DETAIL_TYPES,
        (CampaignEventType.LEAD_CAPTURED, CampaignEventType.CONVERSION),
        strict=True,
    )
)


@dataclass(frozen=True)
class BusEvent:
    """A campaign event from the bus, before its campaign and (conversions) lead are read."""

    detail: BusDetail
    kind: CampaignEventType
    event_id: str
    occurred_at: datetime

    def event(self, lead: Lead) -> CampaignEvent:
        return CampaignEvent(
            handle=self.detail.handle,
            campaign_id=self.detail.campaign_id,
            event_id=self.event_id,
            type=self.kind,
            lead=lead,
            occurred_at=self.occurred_at,
        )


def from_bus(envelope: dict[str, Any]) -> BusEvent:
    """The campaign event an EventBridge event of the bus carries (InvalidJob if none)."""
    kind = BUS_DETAIL_TYPES.get(str(envelope.get("detail-type")))
    if envelope.get("source") != CAMPAIGN_EVENT_SOURCE or kind is None:
        raise InvalidJob("not a campaign event")
    detail = BusDetail.model_validate(envelope.get("detail"))
    # Malformed names cannot name a campaign (and are kept out of keys).
    if not (
        ids.is_valid(ids.HANDLE_PATTERN, detail.handle)
        and ids.is_valid(ids.CAMPAIGN_ID_PATTERN, detail.campaign_id)
    ):
        raise InvalidJob("the campaign event names no campaign")
    if kind is CampaignEventType.LEAD_CAPTURED and detail.lead is None:
        raise InvalidJob("a LeadCaptured event needs detail.lead")
    if kind is CampaignEventType.CONVERSION and not ids.is_valid(
        ids.LEAD_ID_PATTERN, detail.lead_id or ""
    ):
        raise InvalidJob("a ConversionRecorded event names a lead never captured")
    # The bus event's own id is stable across redeliveries, so ids derived from it are too.
    event_id = detail.event_id or f"evb_{str(envelope.get('id', ''))[:60]}"
    occurred_at = detail.occurred_at or datetime.fromisoformat(str(envelope["time"]))
    if occurred_at.tzinfo is None:
        occurred_at = occurred_at.replace(tzinfo=UTC)  # a time without a zone is UTC
    return BusEvent(detail=detail, kind=kind, event_id=event_id, occurred_at=occurred_at)
