"""API shapes of campaign events (lead captures and conversions) and of what each email rule
did with each event (its runs)."""

from __future__ import annotations

from typing import Annotated, Self

from aws_lambda_powertools.event_handler.openapi.params import Header
from pydantic import StringConstraints

from tenx_email import clock, ids
from tenx_email.api.base import ApiInput, ApiModel
from tenx_email.campaign_models import CampaignEvent, CampaignEventType, RuleRun, RuleRunOutcome
from tenx_email.ids import IDEMPOTENCY_KEY

# A producer's retry of a lead capture or conversion under the same key gives the same event
# (and so no second rule message); kept 48 hours.
IdempotencyKeyHeader = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        pattern=IDEMPOTENCY_KEY.pattern,
        description="The same key (within 48 hours, on this campaign) gives the same event: "
        "a producer's retry makes no second rule message.",
    ),
]


class ConversionIn(ApiInput):
    lead_id: Annotated[str, StringConstraints(pattern=ids.LEAD_ID_PATTERN)]


class CampaignEventAccepted(ApiModel):
    event_id: str
    lead_id: str
    type: CampaignEventType

    @classmethod
    def from_event(cls, event: CampaignEvent) -> Self:
        return cls(event_id=event.event_id, lead_id=event.lead.lead_id, type=event.type)


class RuleRunOut(ApiModel):
    event_id: str
    outcome: RuleRunOutcome
    rule_version: int
    message_id: str | None
    reason: str | None
    at: str

    @classmethod
    def from_run(cls, run: RuleRun) -> Self:
        return cls(
            event_id=run.event_id,
            outcome=run.outcome,
            rule_version=run.rule_version,
            message_id=run.message_id,
            reason=run.reason,
            at=clock.iso(run.at),
        )


class RuleRunListOut(ApiModel):
    runs: list[RuleRunOut]
    next_token: str | None
