"""API shapes of a handle's suppressed addresses."""

from __future__ import annotations

from typing import Annotated, Self

from pydantic import Field, StringConstraints

from tenx_email import clock
from tenx_email.api.base import ApiInput, ApiModel, checked_by_service, one_line_pattern
from tenx_email.models import Purpose
from tenx_email.sending_models import Suppression, SuppressionSource
from tenx_email.services.suppressions import MAX_REASON


class SuppressionIn(ApiInput):
    # One line, checked by the service (invalid_header_value); empty or null: a default reason.
    reason: (
        Annotated[
            str,
            StringConstraints(max_length=MAX_REASON),
            checked_by_service(pattern=f"^$|{one_line_pattern()}"),
        ]
        | None
    ) = None
    # The purposes it stops (e.g. only PRODUCT_NOTIFICATION: campaign mail); absent or null:
    # every purpose.
    purposes: Annotated[list[Purpose], Field(min_length=1, max_length=len(Purpose))] | None = None


class SuppressionOut(ApiModel):
    email: str
    reason: str
    source: SuppressionSource
    # null: every purpose
    purposes: list[Purpose] | None
    created_at: str

    @classmethod
    def from_suppression(cls, suppression: Suppression) -> Self:
        return cls(
            email=suppression.email,
            reason=suppression.reason,
            source=suppression.source,
            purposes=list(suppression.purposes) if suppression.purposes is not None else None,
            created_at=clock.iso(suppression.created_at),
        )


class SuppressionEnvelope(ApiModel):
    suppression: SuppressionOut


class SuppressionListOut(ApiModel):
    suppressions: list[SuppressionOut]
    next_token: str | None
