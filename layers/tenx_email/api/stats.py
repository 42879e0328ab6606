"""API shape of a handle's email stats."""

from __future__ import annotations

from typing import Self

from pydantic import Field

from tenx_email import clock
from tenx_email.api.base import ApiModel
from tenx_email.models import Purpose
from tenx_email.stats_models import EmailStats, Granularity, StatsBucket


class StatsBucketOut(ApiModel):
    start: str
    accepted: int
    sent: int
    delivered: int
    bounced: int
    complained: int
    denied: int
    failed: int
    unsubscribed: int
    # Per email sent (0 when none was): SES's own way of judging a sender.
    bounce_rate: float
    complaint_rate: float

    @classmethod
    def from_bucket(cls, bucket: StatsBucket) -> Self:
        return cls(
            **bucket.model_dump(exclude={"start"}),
            start=clock.iso(bucket.start),
            bounce_rate=round(bucket.bounce_rate, 6),
            complaint_rate=round(bucket.complaint_rate, 6),
        )


class StatsOut(ApiModel):
    granularity: Granularity
    # The first bucket's start and the last one's end (the asked range, widened to buckets).
    from_: str = Field(alias="from")
    to: str
    purpose: Purpose | None = Field(default=None, exclude_if=lambda value: value is None)
    buckets: list[StatsBucketOut]
    totals: StatsBucketOut  # the whole range; its `start` is the range's

    @classmethod
    def from_stats(cls, stats: EmailStats) -> Self:
        whole = StatsBucket(
            start=stats.start,
            **{
                metric: sum(getattr(bucket, metric) for bucket in stats.buckets)
                for metric in _METRICS
            },
        )
        return cls(
            granularity=stats.granularity,
            from_=clock.iso(stats.start),
            to=clock.iso(stats.end),
            purpose=stats.purpose,
            buckets=[StatsBucketOut.from_bucket(bucket) for bucket in stats.buckets],
            totals=StatsBucketOut.from_bucket(whole),
        )


_METRICS = tuple(name for name in StatsBucket.model_fields if name != "start")


class StatsEnvelope(ApiModel):
    stats: StatsOut
