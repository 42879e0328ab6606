"""The API shape of a lead: the body of a lead capture, and the `lead` of a LeadCaptured event
on the campaign-events bus (services/trigger_jobs.py), so the bus refuses what the route does.

Apart from the other campaign-event shapes (api/campaign_events.py): checking an address
loads tenx_email.rendering's header rules, which the rule-run listing, a user of those
shapes, does not need."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator
from pydantic.alias_generators import to_camel

from tenx_email import ids
from tenx_email.campaign_models import Lead
from tenx_email.ids import EMAIL_ADDRESS, EMAIL_ADDRESS_FORM
from tenx_email.rendering import has_header_breakers

SafeKey = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_.-]{1,64}$")]
ShortValue = Annotated[str, StringConstraints(max_length=200)]


class LeadSnapshot(BaseModel):
    """A lead as a campaign event carries it (unknown fields refused)."""

    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=True, extra="forbid", defer_build=True
    )

    lead_id: Annotated[str, StringConstraints(pattern=ids.LEAD_ID_PATTERN)] | None = None
    # `_plain_address` checks the address; the OpenAPI document states its form.
    email: Annotated[
        str, StringConstraints(max_length=254), Field(json_schema_extra=EMAIL_ADDRESS_FORM)
    ]
    name: ShortValue | None = None
    first_name: ShortValue | None = None
    phone: Annotated[str, StringConstraints(max_length=40)] | None = None
    company: ShortValue | None = None
    service: ShortValue | None = None
    message: Annotated[str, StringConstraints(max_length=2000)] | None = None
    source: ShortValue | None = None
    # An IANA zone name; one this service does not know is kept but ignored (the campaign's
    # window is then read in its own zone), so a lead is never refused for it.
    timezone: (
        Annotated[str, StringConstraints(pattern=r"^[A-Za-z][A-Za-z0-9_+/-]{0,63}$")] | None
    ) = None
    fields: Annotated[
        dict[SafeKey, Annotated[str, StringConstraints(max_length=1000)]],
        Field(max_length=50, json_schema_extra={"additionalProperties": False}),
    ] = {}

    @field_validator("email")
    @classmethod
    def _plain_address(cls, email: str) -> str:
        if has_header_breakers(email) or not EMAIL_ADDRESS.fullmatch(email):
            raise ValueError("must be one plain email address")
        return email

    def lead(self, default_id: str) -> Lead:
        return Lead(**self.model_dump(exclude={"lead_id"}), lead_id=self.lead_id or default_id)
