"""A campaign's settings applied to its email (rule messages; sequence steps use it too): a
message due inside the lead's cooldown, over its daily cap or outside the send window is
deferred to the first minute it may go (send_windows.next_send_time), never dropped.

The trigger batch decides with a `Pacer` over the settings and pacing records it read: a
message that may go now is counted in memory at once, so a second message to the same lead in
the batch waits for the first. The records of the messages that are then queued are written
(one conditional put each) before they are queued; a record another batch changed meanwhile
fails the jobs, which run again on the fresh record. A repeated job finds its message in the
record's `booked` and goes ahead without being counted or deferred again.

Only a campaign with a cooldown or a cap keeps records: a window alone needs none, and a
cooldown counts from the campaign's first email after it was set.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from tenx_email import clock
from tenx_email.campaign_models import CampaignSettings, ContactPacing, Lead
from tenx_email.dal import contact_pacing as pacing_store
from tenx_email.send_windows import day_bounds, lead_zone, next_send_time

# How many counted messages a record names: more than one batch's messages to one lead.
MAX_BOOKED = 20

PacingKey = tuple[str, str, str]  # (handle, campaign, lead)


@dataclass(frozen=True)
class Deferral:
    """Why a campaign email waits, and until when."""

    until: datetime
    reason: str  # send_windows.DAILY_CAP, COOLDOWN or OUTSIDE_SEND_WINDOW

    def describe(self) -> str:
        """The reason a rule run (or enrollment) shows."""
        return f"{self.reason}: deferred until {clock.iso(self.until)}"


def counts_contacts(settings: CampaignSettings | None) -> bool:
    """Whether the campaign's settings need what it lately sent each lead."""
    return settings is not None and (
        settings.contact_cooldown_minutes > 0 or settings.contact_daily_cap is not None
    )


@dataclass
class Pacer:
    """One batch's view of its campaigns' settings and their leads' pacing records."""

    settings: Mapping[tuple[str, str], CampaignSettings]
    records: dict[PacingKey, ContactPacing]
    # The messages counted now, in order, by the record they count in.
    _counted: dict[str, PacingKey] = field(default_factory=dict)
    _read: dict[PacingKey, ContactPacing] = field(default_factory=dict)

    def check(
        self, handle: str, campaign_id: str, lead: Lead, message_id: str, now: datetime
    ) -> Deferral | None:
        """None when the message may go now (then counted for its lead), else its deferral."""
        settings = self.settings.get((handle, campaign_id))
        if settings is None:
            return None
        key = (handle, campaign_id, lead.lead_id)
        record = self.records.get(key) or ContactPacing(
            handle=handle, campaign_id=campaign_id, lead_id=lead.lead_id
        )
        if message_id in record.booked:
            return None  # counted by an earlier try of its job
        day_start = day_bounds(now, lead_zone(settings.send_window, lead.timezone))[0]
        sent_today = record.sent_that_day if record.day_start == day_start else 0
        at, reason = next_send_time(
            now,
            window=settings.send_window,
            zone_override=lead.timezone,
            last_sent=record.last_sent_at,
            cooldown_minutes=settings.contact_cooldown_minutes,
            sent_today=sent_today,
            daily_cap=settings.contact_daily_cap,
        )
        if reason is not None:
            return Deferral(at, reason)
        if counts_contacts(settings):
            self._read.setdefault(key, record)
            self.records[key] = _counted(record, message_id, now, day_start, sent_today)
            self._counted[message_id] = key
        return None

    def save_counts(self, queued: Collection[str]) -> dict[str, Exception]:
        """Write the records of the messages of `queued` that were counted, before they are
        queued. When that fails (another batch counted one for a lead meanwhile), returns the
        error for each counted message: its job must fail, to run again on fresh records."""
        records = self.to_write(queued)
        if not records:
            return {}
        try:
            pacing_store.save(records)
        except Exception as error:
            return {message_id: error for message_id in queued if message_id in self._counted}
        return {}

    def to_write(self, queued: Iterable[str]) -> list[ContactPacing]:
        """The records to write for the messages of `queued` that were counted: each as read,
        with only those messages counted (one left out later, by the quota, is not)."""
        kept = set(queued)
        written: dict[PacingKey, ContactPacing] = {}
        for message_id, key in self._counted.items():
            if message_id not in kept:
                continue
            record = written.get(key) or self._read[key]
            now = self.records[key].last_sent_at
            assert now is not None  # set by counting
            day_start = self.records[key].day_start
            sent = record.sent_that_day if record.day_start == day_start else 0
            written[key] = _counted(record, message_id, now, day_start, sent)
        return [
            record.model_copy(update={"version": self._read[key].version + 1})
            for key, record in written.items()
        ]


def _counted(
    record: ContactPacing,
    message_id: str,
    now: datetime,
    day_start: datetime | None,
    sent_today: int,
) -> ContactPacing:
    return record.model_copy(
        update={
            "last_sent_at": now,
            "day_start": day_start,
            "sent_that_day": sent_today + 1,
            "booked": (*record.booked, message_id)[-MAX_BOOKED:],
        }
    )
