"""Send windows, cooldowns and daily caps (tenx_email.send_windows): inside or deferred, the
clock-change days of New York, London and Lord Howe Island, Kolkata's half-hour offset, windows
crossing midnight, the lead's zone, refused inputs, and a property check minute by minute."""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from tenx_email.send_windows import (
    COOLDOWN,
    DAILY_CAP,
    OUTSIDE_SEND_WINDOW,
    SendWindow,
    after_cooldown,
    day_bounds,
    lead_zone,
    next_allowed,
    next_day_start,
    next_send_time,
)

MON_FRI = (0, 1, 2, 3, 4)
FRIDAY, SUNDAY = (4,), (6,)
EVERY_DAY = tuple(range(7))
MINUTE = timedelta(minutes=1)


def utc(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


def window(zone: str, start: str, end: str, days: tuple[int, ...] = MON_FRI) -> SendWindow:
    return SendWindow(timezone=zone, start_time=start, end_time=end, working_days=days)


LONDON_OFFICE = window("Europe/London", "09:00", "17:00")
NEW_YORK_NIGHTS = window("America/New_York", "22:00", "06:00", FRIDAY)
KOLKATA_OFFICE = window("Asia/Kolkata", "10:00", "18:00")

# ---- inside or deferred ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sending", "due"),
    [
        pytest.param(LONDON_OFFICE, utc(2026, 6, 15, 11, 34, 56), id="Monday 12:34:56 BST"),
        pytest.param(LONDON_OFFICE, utc(2026, 6, 15, 8, 0), id="the opening minute, 09:00 BST"),
        pytest.param(LONDON_OFFICE, utc(2026, 6, 15, 15, 59), id="the last minute, 16:59 BST"),
        # Opened Friday 22:00 EDT; Saturday is no working day, but the window opened Friday
        pytest.param(NEW_YORK_NIGHTS, utc(2026, 6, 13, 7, 0), id="Saturday 03:00, opened Friday"),
        pytest.param(KOLKATA_OFFICE, utc(2026, 6, 15, 4, 30), id="Kolkata 10:00 (+05:30)"),
    ],
)
def test_a_message_due_inside_the_window_goes_when_due(sending: SendWindow, due: datetime) -> None:
    assert next_allowed(due, sending) == due


@pytest.mark.parametrize(
    ("sending", "due", "expected"),
    [
        pytest.param(
            LONDON_OFFICE, utc(2026, 6, 15, 6, 15), utc(2026, 6, 15, 8, 0), id="early: 09:00 BST"
        ),
        pytest.param(
            LONDON_OFFICE,
            utc(2026, 6, 15, 16, 0),  # 17:00 BST: the end minute is not in the window
            utc(2026, 6, 16, 8, 0),
            id="the closing minute: Tuesday 09:00",
        ),
        pytest.param(
            LONDON_OFFICE,
            utc(2026, 6, 12, 17, 0),  # Friday 18:00 BST
            utc(2026, 6, 15, 8, 0),  # Monday 09:00 BST
            id="Friday evening: Monday's opening",
        ),
        pytest.param(
            NEW_YORK_NIGHTS,
            utc(2026, 6, 12, 19, 0),  # Friday 15:00 EDT
            utc(2026, 6, 13, 2, 0),  # Friday 22:00 EDT
            id="crossing midnight: the afternoon is outside",
        ),
        pytest.param(
            NEW_YORK_NIGHTS,
            utc(2026, 6, 13, 10, 0),  # Saturday 06:00 EDT, the end of Friday's window
            utc(2026, 6, 20, 2, 0),  # the next Friday 22:00 EDT
            id="crossing midnight: closed at 06:00",
        ),
        pytest.param(
            NEW_YORK_NIGHTS,
            utc(2026, 6, 14, 3, 0),  # Saturday 23:00 EDT: the window opens on Fridays only
            utc(2026, 6, 20, 2, 0),
            id="crossing midnight: only the working day opens it",
        ),
        pytest.param(
            KOLKATA_OFFICE,
            utc(2026, 6, 15, 3, 0),  # 08:30 IST
            utc(2026, 6, 15, 4, 30),  # 10:00 IST
            id="Kolkata: 10:00 IST is 04:30 UTC",
        ),
    ],
)
def test_a_message_due_outside_the_window_waits_for_its_next_opening(
    sending: SendWindow, due: datetime, expected: datetime
) -> None:
    assert next_allowed(due, sending) == expected


def test_without_a_window_a_message_goes_when_due_in_utc() -> None:
    due = datetime(2026, 6, 15, 3, 0, tzinfo=ZoneInfo("Europe/Paris"))
    allowed = next_allowed(due, None)
    assert allowed == due
    assert allowed.tzinfo is UTC


# ---- the days the clocks change --------------------------------------------------------------


@pytest.mark.parametrize(
    ("sending", "due", "expected"),
    [
        pytest.param(
            window("America/New_York", "02:30", "06:00", SUNDAY),
            utc(2026, 3, 8, 5, 0),  # Sunday 00:00 EST; at 02:00 EST the clocks go to 03:00 EDT
            utc(2026, 3, 8, 7, 0),  # 03:00 EDT: 02:30 does not exist that day
            id="New York spring forward: opening in the gap",
        ),
        pytest.param(
            window("America/New_York", "00:00", "02:30", SUNDAY),
            utc(2026, 3, 8, 7, 0),  # 03:00 EDT: the closing time 02:30 was skipped, so closed
            utc(2026, 3, 15, 4, 0),  # the next Sunday's 00:00 EDT
            id="New York spring forward: closing in the gap",
        ),
        pytest.param(
            window("America/New_York", "02:10", "02:40", SUNDAY),
            utc(2026, 3, 7, 12, 0),  # Saturday; Sunday's window is all in the skipped hour
            utc(2026, 3, 15, 6, 10),  # the next Sunday's 02:10 EDT, 8 days later
            id="New York spring forward: a window inside the gap",
        ),
        pytest.param(
            window("America/New_York", "01:30", "06:00", SUNDAY),
            utc(2026, 11, 1, 4, 0),  # Sunday 00:00 EDT; at 02:00 EDT the clocks go to 01:00 EST
            utc(2026, 11, 1, 5, 30),  # the first 01:30 (EDT), not the second (06:30 UTC)
            id="New York fall back: the first of two 01:30s",
        ),
        pytest.param(
            window("America/New_York", "01:30", "06:00", SUNDAY),
            utc(2026, 11, 1, 6, 10),  # 01:10 EST, the repeated hour: open since the first 01:30
            utc(2026, 11, 1, 6, 10),
            id="New York fall back: the repeated hour stays open",
        ),
        pytest.param(
            window("Europe/London", "01:30", "05:00", SUNDAY),
            utc(2026, 3, 29, 0, 0),  # 00:00 GMT; at 01:00 GMT the clocks go to 02:00 BST
            utc(2026, 3, 29, 1, 0),  # 02:00 BST
            id="London spring forward: opening in the gap",
        ),
        pytest.param(
            window("Europe/London", "01:30", "05:00", SUNDAY),
            utc(2026, 10, 25, 0, 0),  # 01:00 BST; at 02:00 BST the clocks go to 01:00 GMT
            utc(2026, 10, 25, 0, 30),  # the first 01:30 (BST), not 01:30 GMT
            id="London fall back: the first of two 01:30s",
        ),
        pytest.param(
            window("Europe/London", "09:00", "17:00", (0,)),
            utc(2026, 3, 29, 12, 0),  # Sunday, the change day
            utc(2026, 3, 30, 8, 0),  # Monday 09:00 BST, an hour earlier in UTC than last week
            id="London: the day after the change",
        ),
        pytest.param(
            window("Australia/Lord_Howe", "02:15", "06:00", SUNDAY),
            utc(2026, 10, 3, 13, 0),  # Sunday 23:30 +10:30; at 02:00 the clocks go to 02:30 +11
            utc(2026, 10, 3, 15, 30),  # 02:30 +11: the half hour from 02:00 was skipped
            id="Lord Howe spring forward: half an hour",
        ),
        pytest.param(
            window("Australia/Lord_Howe", "01:45", "06:00", SUNDAY),
            utc(2026, 4, 4, 13, 0),  # Sunday 00:00 +11; at 02:00 the clocks go to 01:30 +10:30
            utc(2026, 4, 4, 14, 45),  # the first 01:45 (+11), not the second (15:15 UTC)
            id="Lord Howe fall back: the first of two 01:45s",
        ),
    ],
)
def test_clock_changes_open_at_the_first_instant_the_clock_shows_the_opening_time(
    sending: SendWindow, due: datetime, expected: datetime
) -> None:
    assert next_allowed(due, sending) == expected


# ---- the lead's zone -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("zone_override", "expected"),
    [
        pytest.param(None, utc(2026, 6, 15, 12, 0), id="the window's zone: 13:00 BST, inside"),
        pytest.param("America/New_York", utc(2026, 6, 15, 13, 0), id="lead in New York: 08:00"),
        pytest.param("Asia/Kolkata", utc(2026, 6, 16, 3, 30), id="lead in Kolkata: 17:30"),
        pytest.param("Mars/Olympus", utc(2026, 6, 15, 12, 0), id="an unknown zone is ignored"),
        pytest.param("", utc(2026, 6, 15, 12, 0), id="an empty zone is ignored"),
    ],
)
def test_the_leads_zone_takes_precedence_over_the_windows(
    zone_override: str | None, expected: datetime
) -> None:
    assert next_allowed(utc(2026, 6, 15, 12, 0), LONDON_OFFICE, zone_override) == expected


def test_the_leads_zone_is_the_windows_zone_the_leads_own_or_utc_without_a_window() -> None:
    assert lead_zone(LONDON_OFFICE) == "Europe/London"
    assert lead_zone(LONDON_OFFICE, "Asia/Kolkata") == "Asia/Kolkata"
    assert lead_zone(LONDON_OFFICE, "Mars/Olympus") == "Europe/London"
    assert lead_zone(None, "Asia/Kolkata") == "UTC"


# ---- the window's inputs ---------------------------------------------------------------------

VALID = {"timezone": "Europe/London", "startTime": "09:00", "endTime": "17:00", "workingDays": [0]}


def test_a_window_takes_camel_case_or_field_names_and_gives_camel_case() -> None:
    by_alias = SendWindow.model_validate(VALID)
    by_name = SendWindow(
        timezone="Europe/London", start_time="09:00", end_time="17:00", working_days=(0,)
    )
    assert by_alias == by_name
    assert by_alias.model_dump(mode="json", by_alias=True) == VALID
    with pytest.raises(ValidationError, match="frozen"):
        by_alias.start_time = "08:00"  # type: ignore[misc]


@pytest.mark.parametrize(
    ("changes", "location", "message"),
    [
        ({"timezone": "Mars/Olympus"}, ("timezone",), "unknown time zone 'Mars/Olympus'"),
        ({"timezone": "Europe"}, ("timezone",), "unknown time zone 'Europe'"),
        ({"timezone": ""}, ("timezone",), "unknown time zone ''"),
        ({"startTime": "9:00"}, ("startTime",), "'9:00' is not a time of day as HH:MM"),
        ({"endTime": "24:00"}, ("endTime",), "'24:00' is not a time of day as HH:MM"),
        ({"startTime": "12:60"}, ("startTime",), "'12:60' is not a time of day as HH:MM"),
        (
            {"startTime": "17:00"},
            (),
            "startTime and endTime are both 17:00: that could mean open all day or never open",
        ),
        ({"workingDays": []}, ("workingDays",), "needs at least one working day"),
        ({"workingDays": [1, 1]}, ("workingDays",), "day 1 is listed twice"),
        ({"workingDays": [7]}, ("workingDays",), "7 is not a day: days are 0 = Monday"),
        ({"workingDays": [-1]}, ("workingDays",), "-1 is not a day"),
        ({"workingDays": [True]}, ("workingDays", 0), "valid integer"),
        ({"timeZone": "UTC"}, ("timeZone",), "Extra inputs are not permitted"),
    ],
)
def test_a_window_refuses_what_it_cannot_mean_in_plain_words(
    changes: dict[str, Any], location: tuple[str | int, ...], message: str
) -> None:
    with pytest.raises(ValidationError) as refused:
        SendWindow.model_validate({**VALID, **changes})
    [error] = refused.value.errors()
    assert error["loc"] == location
    assert message in error["msg"]


NAIVE = datetime(2026, 6, 15, 12, 0)
AWARE = utc(2026, 6, 15, 12, 0)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        pytest.param(lambda: next_allowed(NAIVE, LONDON_OFFICE), "due must be", id="next_allowed"),
        pytest.param(lambda: after_cooldown(NAIVE, None, 5), "due must be", id="cooldown due"),
        pytest.param(lambda: after_cooldown(AWARE, NAIVE, 5), "last_sent must be", id="last sent"),
        pytest.param(lambda: day_bounds(NAIVE, "UTC"), "instant must be", id="day_bounds"),
        pytest.param(lambda: next_send_time(NAIVE), "due must be", id="next_send_time"),
    ],
)
def test_naive_datetimes_are_refused(call: Callable[[], object], message: str) -> None:
    with pytest.raises(ValueError, match=f"{message} an aware datetime"):
        call()


@pytest.mark.parametrize(
    ("call", "message"),
    [
        pytest.param(lambda: day_bounds(AWARE, "Mars/Olympus"), "unknown time zone", id="zone"),
        pytest.param(lambda: after_cooldown(AWARE, AWARE, -1), "0 minutes or more", id="cooldown"),
        pytest.param(lambda: next_send_time(AWARE, daily_cap=0), "1 or more", id="daily cap"),
    ],
)
def test_impossible_arguments_are_refused(call: Callable[[], object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        call()


# ---- cooldown and daily cap ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("due", "last_sent", "minutes", "expected"),
    [
        pytest.param(utc(2026, 6, 15, 10, 10), None, 30, utc(2026, 6, 15, 10, 10), id="first"),
        pytest.param(
            utc(2026, 6, 15, 10, 10),
            utc(2026, 6, 15, 10, 0),
            30,
            utc(2026, 6, 15, 10, 30),
            id="inside the cooldown: its end",
        ),
        pytest.param(
            utc(2026, 6, 15, 10, 30),
            utc(2026, 6, 15, 10, 0),
            30,
            utc(2026, 6, 15, 10, 30),
            id="at its end exactly",
        ),
        pytest.param(
            utc(2026, 6, 15, 12, 0),
            utc(2026, 6, 15, 10, 0),
            30,
            utc(2026, 6, 15, 12, 0),
            id="long after",
        ),
        pytest.param(
            utc(2026, 6, 15, 10, 0),
            utc(2026, 6, 15, 10, 0),
            0,
            utc(2026, 6, 15, 10, 0),
            id="no cooldown",
        ),
    ],
)
def test_no_two_emails_closer_than_the_cooldown(
    due: datetime, last_sent: datetime | None, minutes: int, expected: datetime
) -> None:
    assert after_cooldown(due, last_sent, minutes) == expected


@pytest.mark.parametrize(
    ("zone", "instant", "start", "end", "hours"),
    [
        ("America/New_York", utc(2026, 3, 8, 12), utc(2026, 3, 8, 5), utc(2026, 3, 9, 4), 23),
        ("America/New_York", utc(2026, 11, 1, 12), utc(2026, 11, 1, 4), utc(2026, 11, 2, 5), 25),
        ("Europe/London", utc(2026, 3, 29, 12), utc(2026, 3, 29, 0), utc(2026, 3, 29, 23), 23),
        ("Europe/London", utc(2026, 10, 25, 12), utc(2026, 10, 24, 23), utc(2026, 10, 26, 0), 25),
        (
            "Australia/Lord_Howe",
            utc(2026, 10, 4, 0),
            utc(2026, 10, 3, 13, 30),
            utc(2026, 10, 4, 13, 0),
            23.5,
        ),
        (
            "Asia/Kolkata",
            utc(2026, 6, 15, 20),
            utc(2026, 6, 15, 18, 30),
            utc(2026, 6, 16, 18, 30),
            24,
        ),
        ("UTC", utc(2026, 3, 8, 12), utc(2026, 3, 8), utc(2026, 3, 9), 24),
    ],
)
def test_a_local_day_starts_and_ends_at_local_midnight(
    zone: str, instant: datetime, start: datetime, end: datetime, hours: float
) -> None:
    assert day_bounds(instant, zone) == (start, end)
    assert end - start == timedelta(hours=hours)
    # The start belongs to the day, the end to the next
    assert day_bounds(start, zone) == (start, end)
    assert day_bounds(end, zone)[0] == end
    assert next_day_start(instant, zone) == end


OPEN_ALMOST_ALWAYS = window("America/New_York", "00:00", "23:30", EVERY_DAY)


@pytest.mark.parametrize(
    ("due", "sending", "zone_override", "sent_today", "expected"),
    [
        pytest.param(
            utc(2026, 3, 9, 2, 0),  # Sunday 22:00 EDT, the 23-hour day of the spring forward
            OPEN_ALMOST_ALWAYS,
            None,
            3,
            (utc(2026, 3, 9, 4, 0), DAILY_CAP),  # Monday 00:00 EDT (not 05:00 UTC, 24 h on)
            id="at the cap on a 23-hour day: the next local midnight",
        ),
        pytest.param(
            utc(2026, 3, 9, 2, 0), OPEN_ALMOST_ALWAYS, None, 2, (utc(2026, 3, 9, 2, 0), None)
        ),
        pytest.param(
            utc(2026, 6, 15, 9, 0),  # Monday 10:00 BST
            LONDON_OFFICE,
            None,
            3,
            (utc(2026, 6, 16, 8, 0), DAILY_CAP),  # Tuesday's opening, 09:00 BST
            id="at the cap: the next day's opening",
        ),
        pytest.param(
            utc(2026, 6, 16, 2, 0),  # Tuesday 03:00 in London, Monday 22:00 in New York
            window("Europe/London", "00:00", "23:30", EVERY_DAY),
            "America/New_York",
            3,
            (utc(2026, 6, 16, 4, 0), DAILY_CAP),  # the lead's Tuesday, 00:00 EDT
            id="the lead's day, in the lead's zone",
        ),
        pytest.param(
            utc(2026, 3, 8, 23, 0),
            None,
            "America/New_York",  # without a window the day is UTC's
            3,
            (utc(2026, 3, 9, 0, 0), DAILY_CAP),
            id="no window: the UTC day",
        ),
    ],
)
def test_at_the_daily_cap_a_message_waits_for_the_next_local_day(
    due: datetime,
    sending: SendWindow | None,
    zone_override: str | None,
    sent_today: int,
    expected: tuple[datetime, str | None],
) -> None:
    assert (
        next_send_time(
            due, window=sending, zone_override=zone_override, sent_today=sent_today, daily_cap=3
        )
        == expected
    )


# ---- the rules together ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("due", "last_sent", "expected"),
    [
        pytest.param(
            utc(2026, 6, 12, 15, 50),  # Friday 16:50 BST
            utc(2026, 6, 12, 15, 30),  # an hour's cooldown ends at 17:30 BST, after closing
            (utc(2026, 6, 15, 8, 0), COOLDOWN),  # Monday 09:00 BST
            id="a cooldown past the window's end: the next working day's opening",
        ),
        pytest.param(
            utc(2026, 6, 15, 9, 0),
            utc(2026, 6, 15, 8, 50),
            (utc(2026, 6, 15, 9, 50), COOLDOWN),
            id="a cooldown inside the window",
        ),
        pytest.param(
            utc(2026, 6, 15, 5, 0),  # 06:00 BST, outside, and in a cooldown until 06:50
            utc(2026, 6, 15, 4, 50),
            (utc(2026, 6, 15, 8, 0), COOLDOWN),  # the first rule that moved it is the reason
            id="both: the reason is the cooldown, checked first",
        ),
        pytest.param(
            utc(2026, 6, 15, 5, 0),
            utc(2026, 6, 14, 5, 0),
            (utc(2026, 6, 15, 8, 0), OUTSIDE_SEND_WINDOW),
            id="outside the window only",
        ),
        pytest.param(
            utc(2026, 6, 15, 12, 0),
            utc(2026, 6, 14, 12, 0),
            (utc(2026, 6, 15, 12, 0), None),
            id="nothing holds it",
        ),
    ],
)
def test_the_rules_combine_until_the_time_satisfies_them_all(
    due: datetime, last_sent: datetime, expected: tuple[datetime, str | None]
) -> None:
    sending = next_send_time(
        due, window=LONDON_OFFICE, last_sent=last_sent, cooldown_minutes=60, sent_today=1
    )
    assert sending == expected


# ---- property: the first allowed minute, checked minute by minute ----------------------------

ZONES = (
    "UTC",
    "America/New_York",
    "Europe/London",
    "Australia/Lord_Howe",
    "Asia/Kolkata",
    "Asia/Kathmandu",  # +05:45
    "Pacific/Chatham",  # +12:45 / +13:45
    "America/Havana",  # changes at midnight
    "America/Santiago",  # changes at midnight
    "Africa/Casablanca",  # goes back an hour for Ramadan
)
QUARTER = timedelta(minutes=15)
ANY_CLOCK_TIME = st.builds(
    lambda hour, minute: f"{hour:02d}:{minute:02d}", st.integers(0, 23), st.integers(0, 59)
)
ANY_TIME = st.datetimes(datetime(2025, 1, 1), datetime(2028, 12, 1), timezones=st.just(UTC))


@functools.cache
def clock_changes(zone: str) -> tuple[datetime, ...]:
    """The instants (2025-2028) the zone's clocks change (they all change on a quarter hour)."""
    tz = ZoneInfo(zone)

    def offset(instant: datetime) -> timedelta | None:
        return instant.astimezone(tz).utcoffset()

    changes = []
    for day in range(4 * 366):
        before = utc(2025, 1, 1, 12) + day * timedelta(days=1)
        if offset(before) != offset(before + timedelta(days=1)):
            while offset(before + QUARTER) == offset(before):
                before += QUARTER
            changes.append(before + QUARTER)
    return tuple(changes)


@st.composite
def cases(draw: st.DrawFn) -> tuple[SendWindow, str | None, datetime]:
    """A window, maybe a lead's zone, and a due instant: any time, or (for most) one near a
    clock change of the zone the window is read in, with opening and closing times often in the
    hour the change skips or repeats, and `due` often a minute from one of them."""
    zone, zone_override = draw(st.sampled_from(ZONES)), draw(st.none() | st.sampled_from(ZONES))
    tz = ZoneInfo(zone_override or zone)
    changes = clock_changes(zone_override or zone)
    change: datetime | None = None
    if changes and draw(st.integers(0, 3)) > 0:  # three times in four
        change = draw(st.sampled_from(changes))
    clock_times = ANY_CLOCK_TIME
    if change is not None:  # the wall clock by quarters, from 75 minutes before the change
        wall = (change - 5 * QUARTER).astimezone(tz).replace(tzinfo=None)
        near = [(wall + k * QUARTER).strftime("%H:%M") for k in range(11)]
        clock_times = st.sampled_from(near) | ANY_CLOCK_TIME
    start = draw(clock_times)
    end = draw(clock_times.filter(lambda end: end != start))
    days = draw(st.just(EVERY_DAY) | st.lists(st.integers(0, 6), min_size=1, unique=True))
    sending = window(zone, start, end, tuple(days))
    if change is None:
        return sending, zone_override, draw(ANY_TIME)
    if draw(st.booleans()):  # within a day or two of the change
        due = change + draw(st.integers(-2 * 1440, 2 * 1440)) * MINUTE
    else:  # a minute from the wall clock reading the window's start or end (either reading)
        day = change.astimezone(tz).date() + timedelta(days=draw(st.integers(-1, 1)))
        clock = time.fromisoformat(draw(st.sampled_from([start, end])))
        reading = datetime.combine(day, clock, tzinfo=tz).replace(fold=draw(st.integers(0, 1)))
        due = reading.astimezone(UTC) + draw(st.integers(-1, 1)) * MINUTE
    return sending, zone_override, due


def inside_by_the_wall_clock(sending: SendWindow, highest: datetime) -> bool:
    """Whether the wall clock's highest reading so far is in a window opened on a working day.
    The highest, not the current: once open at the first 01:30, the window does not close when
    the clocks go back to 01:00, nor does it reopen at the second 01:00 once closed."""
    start, end = time.fromisoformat(sending.start_time), time.fromisoformat(sending.end_time)
    for opened in (highest.date(), highest.date() - timedelta(days=1)):
        opens = datetime.combine(opened, start)
        closes = datetime.combine(opened + timedelta(days=1) if end < start else opened, end)
        if opened.weekday() in sending.working_days and opens <= highest < closes:
            return True
    return False


@settings(max_examples=200, deadline=None, database=None)
@given(cases())
def test_the_result_is_the_first_allowed_instant(
    case: tuple[SendWindow, str | None, datetime],
) -> None:
    sending, zone_override, due = case
    tz = ZoneInfo(zone_override or sending.timezone)
    allowed = next_allowed(due, sending, zone_override)
    assert due <= allowed <= due + timedelta(days=9)
    assert allowed == due or (allowed.second, allowed.microsecond) == (0, 0)

    def wall(instant: datetime) -> datetime:
        return instant.astimezone(tz).replace(tzinfo=None)

    # The wall clock's highest reading, minute by minute from 3 hours before `due` (before any
    # fall back that `due` is in), up to the result: allowed there, at no minute before it
    moment = due.replace(second=0, microsecond=0) - timedelta(hours=3)
    highest = wall(moment)
    while moment <= due:
        highest = max(highest, wall(moment))
        moment += MINUTE
    at_due = max(highest, wall(due))
    assert inside_by_the_wall_clock(sending, at_due) == (allowed == due)
    while moment < allowed:
        highest = max(highest, wall(moment))
        assert not inside_by_the_wall_clock(sending, highest), f"{moment} was allowed"
        moment += MINUTE
    assert inside_by_the_wall_clock(sending, max(highest, wall(allowed)))


def test_working_days_as_json_numbers_with_a_point_are_whole_days() -> None:
    # JSON (and the OpenAPI document's "integer") counts 4.0 as the integer 4.
    window = SendWindow.model_validate(
        {"timezone": "UTC", "startTime": "09:00", "endTime": "17:00", "workingDays": [0.0, 4.0]}
    )
    assert window.working_days == (0, 4)
