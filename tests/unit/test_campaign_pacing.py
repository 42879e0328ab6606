"""The Pacer's bookkeeping: what it counts for a lead within one batch, and which records it
writes once some of the batch's messages were left out (by the quota)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from tenx_email.campaign_models import CampaignSettings, ContactPacing, Lead
from tenx_email.send_windows import COOLDOWN, DAILY_CAP
from tenx_email.services.campaign_pacing import MAX_BOOKED, Pacer, counts_contacts

NOW = datetime(2027, 3, 1, 12, 0, tzinfo=UTC)
LEAD = Lead(lead_id="lead_1", email="asha@example.com")
KEY = ("acme", "cmp", "lead_1")


def pacer(record: ContactPacing | None = None, **settings: Any) -> Pacer:
    chosen = CampaignSettings(handle="acme", campaign_id="cmp", **settings)
    return Pacer(settings={("acme", "cmp"): chosen}, records={KEY: record} if record else {})


def test_a_campaign_without_settings_defers_nothing_and_writes_nothing() -> None:
    bare = Pacer(settings={}, records={})
    assert bare.check("acme", "cmp", LEAD, "msg_1", NOW) is None
    assert bare.to_write(["msg_1"]) == []
    assert not counts_contacts(None)
    assert not counts_contacts(CampaignSettings(handle="acme", campaign_id="cmp"))


def test_the_second_message_of_a_batch_waits_for_the_first() -> None:
    paced = pacer(contact_cooldown_minutes=30)
    assert paced.check("acme", "cmp", LEAD, "msg_1", NOW) is None
    deferral = paced.check("acme", "cmp", LEAD, "msg_2", NOW)
    assert deferral is not None
    assert (deferral.until, deferral.reason) == (NOW + timedelta(minutes=30), COOLDOWN)
    (record,) = paced.to_write(["msg_1"])
    assert (record.last_sent_at, record.sent_that_day, record.booked) == (NOW, 1, ("msg_1",))
    assert record.version == 1


def test_a_message_left_out_after_counting_is_not_written() -> None:
    paced = pacer(contact_daily_cap=5)
    for message_id in ("msg_1", "msg_2", "msg_3"):
        assert paced.check("acme", "cmp", LEAD, message_id, NOW) is None
    (record,) = paced.to_write(["msg_1", "msg_3"])  # msg_2 was left out
    assert (record.sent_that_day, record.booked) == (2, ("msg_1", "msg_3"))
    assert paced.to_write([]) == []


def test_a_new_day_starts_a_new_count_and_the_record_keeps_its_version() -> None:
    yesterday = ContactPacing(
        handle="acme",
        campaign_id="cmp",
        lead_id="lead_1",
        last_sent_at=NOW - timedelta(days=1),
        day_start=datetime(2027, 2, 28, tzinfo=UTC),
        sent_that_day=1,
        booked=tuple(f"msg_old{i}" for i in range(MAX_BOOKED)),
        version=7,
    )
    paced = pacer(yesterday, contact_daily_cap=1)
    assert paced.check("acme", "cmp", LEAD, "msg_new", NOW) is None
    capped = paced.check("acme", "cmp", LEAD, "msg_next", NOW)
    assert capped is not None
    assert (capped.until, capped.reason) == (datetime(2027, 3, 2, tzinfo=UTC), DAILY_CAP)
    (record,) = paced.to_write(["msg_new"])
    assert (record.day_start, record.sent_that_day) == (datetime(2027, 3, 1, tzinfo=UTC), 1)
    assert len(record.booked) == MAX_BOOKED
    assert record.booked[-1] == "msg_new"
    assert record.version == 8


def test_a_message_the_record_names_goes_without_being_counted_again() -> None:
    counted = ContactPacing(
        handle="acme",
        campaign_id="cmp",
        lead_id="lead_1",
        last_sent_at=NOW,
        day_start=datetime(2027, 3, 1, tzinfo=UTC),
        sent_that_day=1,
        booked=("msg_1",),
        version=1,
    )
    paced = pacer(counted, contact_cooldown_minutes=60, contact_daily_cap=1)
    assert paced.check("acme", "cmp", LEAD, "msg_1", NOW) is None
    assert paced.to_write(["msg_1"]) == []
