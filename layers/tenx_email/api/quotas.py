"""API shape of a handle's daily sending quota."""

from __future__ import annotations

from datetime import datetime
from typing import Literal, Self, cast, get_args

from pydantic import Field

from tenx_email import clock
from tenx_email.api.base import ApiModel
from tenx_email.sending_models import Quota, ReputationStatus


class PauseOut(ApiModel):
    reason: str
    since: str


class ReputationOut(ApiModel):
    window_hours: int
    sent: int
    bounced: int
    complained: int
    bounce_rate: float
    complaint_rate: float
    status: ReputationStatus
    reason: str | None = Field(default=None, exclude_if=lambda value: value is None)


# ENABLED, REINSTATED (SES lets it send despite findings), DISABLED (SES paused it: its queued
# mail is held), or UNKNOWN (SES could not be asked just now).
SendingStatus = Literal["ENABLED", "REINSTATED", "DISABLED", "UNKNOWN"]


class SesTenantOut(ApiModel):
    name: str
    sending_status: SendingStatus


class QuotaOut(ApiModel):
    daily_limit: int
    used_today: int
    remaining_today: int
    resets_at: str
    # `sandbox: true` while in it (only its account's domains, the mailbox simulator and test
    # sends; dailyLimit is the sandbox's); absent otherwise, so the contract's shape holds.
    sandbox: bool | None = Field(default=None, exclude_if=lambda value: not value)
    # While the handle's sending is paused (its bounce or complaint rate, or an operator):
    # why and since when. Absent otherwise.
    sending_paused: PauseOut | None = Field(default=None, exclude_if=lambda value: value is None)
    # The reputation guard's counts and rates over its window, once the window holds a send,
    # bounce or complaint (docs/api.md, "Paused sending").
    reputation: ReputationOut | None = Field(default=None, exclude_if=lambda value: value is None)
    # The handle's SES tenant and its sending status; absent while it has none.
    ses_tenant: SesTenantOut | None = Field(default=None, exclude_if=lambda value: value is None)

    @classmethod
    def from_quota(cls, quota: Quota, resets_at: datetime) -> Self:
        return cls(
            daily_limit=quota.daily_limit,
            used_today=quota.used_today,
            remaining_today=max(0, quota.daily_limit - quota.used_today),
            resets_at=clock.iso(resets_at),
            sandbox=quota.sandbox or None,
            sending_paused=PauseOut(
                reason=quota.sending_paused.reason, since=clock.iso(quota.sending_paused.since)
            )
            if quota.sending_paused
            else None,
            reputation=ReputationOut(**quota.reputation.model_dump()) if quota.reputation else None,
            ses_tenant=SesTenantOut(
                name=quota.ses_tenant.name,
                sending_status=_sending_status(quota.ses_tenant.sending_status),
            )
            if quota.ses_tenant
            else None,
        )


def _sending_status(status: str) -> SendingStatus:
    return cast(SendingStatus, status) if status in get_args(SendingStatus) else "UNKNOWN"


class QuotaEnvelope(ApiModel):
    quota: QuotaOut
