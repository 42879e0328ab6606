"""API shapes of a handle's suppressed addresses."""

from __future__ import annotations

from typing import Annotated, Self

from pydantic import StringConstraints

from tenx_email import clock
from tenx_email.api.base import ApiInput, ApiModel
from tenx_email.models import Suppression, SuppressionSource


class SuppressionIn(ApiInput):
    reason: Annotated[str, StringConstraints(max_length=200)] | None = None


class SuppressionOut(ApiModel):
    email: str
    reason: str
    source: SuppressionSource
    created_at: str

    @classmethod
    def from_suppression(cls, suppression: Suppression) -> Self:
        return cls(
            email=suppression.email,
            reason=suppression.reason,
            source=suppression.source,
            created_at=clock.iso(suppression.created_at),
        )


class SuppressionEnvelope(ApiModel):
    suppression: SuppressionOut


class SuppressionListOut(ApiModel):
    suppressions: list[SuppressionOut]
    next_token: str | None
