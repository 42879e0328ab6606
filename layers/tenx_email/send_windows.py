"""When a campaign email may go out: the campaign's send window, the cooldown between two of
its emails to one lead and the lead's daily cap. Pure time arithmetic, no I/O; instants in and
out are aware datetimes in UTC (a naive one is refused).

The rules, in plain words:

- A send window opens every working day at `startTime` and closes at `endTime` ("HH:MM", 24-hour
  clock, the end minute excluded: 09:00-17:00 lets 16:59 through, not 17:00). Working days are
  numbered as Python's date.weekday(): 0 = Monday ... 6 = Sunday.
- The window is read in the lead's own time zone when the lead has a valid one, otherwise in the
  window's `timezone` (an unknown lead zone is ignored rather than holding the lead's mail).
- An end earlier than the start crosses midnight: 22:00-06:00 opened on a working Friday runs to
  Saturday 06:00 whatever Saturday is; the working day is the day the window opens. A start
  equal to its end is refused: it could mean open all day or never open.
- When the clocks change, a wall-clock time the day skips (spring forward: 02:30 in New York on
  the March change day) means the first instant after the gap (03:00 EDT); a time the day has
  twice (fall back) means its first occurrence (fold=0). Each day's window is the one stretch
  between its opening and closing instants, so it may be an hour shorter or longer that day.
- The cooldown: no two campaign emails to one lead less than `contactCooldownMinutes` apart.
- The daily cap: at most `contactDailyCap` campaign emails to one lead per day, a day in the zone
  the window is read in for that lead (`lead_zone`), or in UTC when the campaign has no window.
  A local day is 23 or 25 hours long when the clocks change (23.5 on Lord Howe Island).
- Mail due when it may not go is deferred, never dropped: to the window's next opening minute,
  the end of the cooldown, or the next day (and that day's opening) when the cap is reached.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated
from zoneinfo import ZoneInfo

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictInt,
    field_validator,
    model_validator,
)
from pydantic.alias_generators import to_camel
from pydantic_core import PydanticCustomError

from tenx_email.errors import InvalidSendWindow

# Why next_send_time deferred a message.
DAILY_CAP = "DAILY_CAP"
COOLDOWN = "COOLDOWN"
OUTSIDE_SEND_WINDOW = "OUTSIDE_SEND_WINDOW"

_HH_MM = re.compile(r"([01][0-9]|2[0-3]):[0-5][0-9]")
_HH_MM_SCHEMA = f"^{_HH_MM.pattern}$"
_MINUTE = timedelta(minutes=1)
_DAY = timedelta(days=1)
# Every weekday comes round within 7 days; the 8th covers a working day whose whole window
# fell in a spring-forward gap (a one-day window inside 02:00-03:00 is empty that day).
_SEARCH_DAYS = 8


def _whole_number(value: object) -> object:
    # JSON (and the OpenAPI document's "integer") counts 2.0 as the integer 2; never true.
    return int(value) if isinstance(value, float) and value.is_integer() else value


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (KeyError, ValueError, OSError):  # not found, not a zone name, a directory ("Europe")
        raise ValueError(
            f"unknown time zone {name!r}: expected an IANA name such as Europe/London"
        ) from None


def _utc(moment: datetime, name: str) -> datetime:
    if moment.utcoffset() is None:
        raise ValueError(f"{name} must be an aware datetime (UTC), not the naive {moment}")
    return moment.astimezone(UTC)


class SendWindow(BaseModel):
    """When a campaign's email may go out: every working day from startTime until endTime
    (HH:MM, the end minute excluded; an end before the start crosses midnight), on the lead's
    clock when the lead has a valid time zone, else in `timezone`. The module's docstring has
    the rules in full."""

    model_config = ConfigDict(
        alias_generator=to_camel,
        populate_by_name=True,
        extra="forbid",
        frozen=True,
        defer_build=True,
    )

    # The validators below check these; the schema states what JSON Schema can (a zone's
    # name, and a start different from its end, only the validators can).
    timezone: Annotated[str, Field(description="An IANA time zone name, e.g. Europe/Berlin")]
    start_time: Annotated[str, Field(json_schema_extra={"pattern": _HH_MM_SCHEMA})]
    end_time: Annotated[str, Field(json_schema_extra={"pattern": _HH_MM_SCHEMA})]
    working_days: Annotated[
        tuple[Annotated[StrictInt, BeforeValidator(_whole_number)], ...],
        Field(
            description="0 = Monday ... 6 = Sunday",
            json_schema_extra={
                "minItems": 1,
                "uniqueItems": True,
                "items": {"type": "integer", "minimum": 0, "maximum": 6},
            },
        ),
    ]

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, name: str) -> str:
        try:
            _zone(name)
        except ValueError as unknown:
            # Well formed as the document has it, refused for what it names: its own code.
            raise PydanticCustomError(InvalidSendWindow.code, str(unknown)) from None
        return name

    @field_validator("start_time", "end_time")
    @classmethod
    def _clock_time(cls, value: str) -> str:
        if not _HH_MM.fullmatch(value):
            raise ValueError(f"{value!r} is not a time of day as HH:MM (00:00 to 23:59)")
        return value

    @field_validator("working_days")
    @classmethod
    def _days(cls, days: tuple[int, ...]) -> tuple[int, ...]:
        if not days:
            raise ValueError("needs at least one working day (0 = Monday ... 6 = Sunday)")
        for day in days:
            if not 0 <= day <= 6:
                raise ValueError(f"{day} is not a day: days are 0 = Monday ... 6 = Sunday")
            if days.count(day) > 1:
                raise ValueError(f"day {day} is listed twice")
        return days

    @model_validator(mode="after")
    def _not_ambiguous(self) -> SendWindow:
        if self.start_time == self.end_time:
            raise PydanticCustomError(
                InvalidSendWindow.code,
                f"startTime and endTime are both {self.start_time}: that could mean open all "
                "day or never open; give the hours it is open",
            )
        return self

    @property
    def start(self) -> time:
        return time.fromisoformat(self.start_time)

    @property
    def end(self) -> time:
        return time.fromisoformat(self.end_time)

    @property
    def crosses_midnight(self) -> bool:
        return self.end < self.start


def lead_zone(window: SendWindow | None, zone_override: str | None = None) -> str:
    """The zone a lead's window (and daily cap) is read in: the lead's own zone when it is a
    valid one, else the window's; UTC when there is no window."""
    if window is None:
        return "UTC"
    if zone_override:
        try:
            _zone(zone_override)
        except ValueError:
            return window.timezone
        return zone_override
    return window.timezone


def _instant(day: date, clock: time, zone: ZoneInfo) -> datetime:
    """When the wall clock in `zone` first reads `clock` on `day`: its first occurrence when the
    clocks fall back and repeat it, the end of the gap when they spring forward past it."""
    wall = datetime.combine(day, clock)
    first = wall.replace(tzinfo=zone).astimezone(UTC)  # fold=0: the earlier of two readings
    if first.astimezone(zone).replace(tzinfo=None) == wall:
        return first
    # In a gap, fold=0 reads the time with the offset from before the change, which lands after
    # the change, and fold=1 with the offset from after it, which lands before: search between.
    before, after = wall.replace(tzinfo=zone, fold=1).astimezone(UTC), first
    while after - before > _MINUTE:
        middle = before + (after - before) // _MINUTE // 2 * _MINUTE
        if middle.astimezone(zone).replace(tzinfo=None) >= wall:
            after = middle
        else:
            before = middle
    return after


def _opening(window: SendWindow, day: date, zone: ZoneInfo) -> tuple[datetime, datetime] | None:
    """The window opened on `day` as [opens, closes), or None (not a working day, or a window
    that the day's spring-forward gap swallowed whole)."""
    if day.weekday() not in window.working_days:
        return None
    opens = _instant(day, window.start, zone)
    closes = _instant(day + _DAY if window.crosses_midnight else day, window.end, zone)
    return (opens, closes) if opens < closes else None


def next_allowed(
    due: datetime, window: SendWindow | None, zone_override: str | None = None
) -> datetime:
    """The earliest instant at or after `due` inside the window (read in `lead_zone`): `due`
    itself when it is inside, else the next opening minute. No window: `due`."""
    due = _utc(due, "due")
    if window is None:
        return due
    zone = ZoneInfo(lead_zone(window, zone_override))
    # A window opened the day before may still be open (crossing midnight); the openings come
    # in order and do not overlap, so the first one not yet closed is the answer.
    today = due.astimezone(zone).date()
    for offset in range(-1, _SEARCH_DAYS + 1):
        opening = _opening(window, today + offset * _DAY, zone)
        if opening is not None and due < opening[1]:
            return max(due, opening[0])
    raise RuntimeError(f"no opening of {window!r} within {_SEARCH_DAYS} days of {due}")


def after_cooldown(due: datetime, last_sent: datetime | None, cooldown_minutes: int) -> datetime:
    """The earliest instant at or after `due` that is `cooldown_minutes` after `last_sent`."""
    due = _utc(due, "due")
    if cooldown_minutes < 0:
        raise ValueError(f"a cooldown is 0 minutes or more, not {cooldown_minutes}")
    if last_sent is None:
        return due
    return max(due, _utc(last_sent, "last_sent") + cooldown_minutes * _MINUTE)


def day_bounds(instant: datetime, zone: str) -> tuple[datetime, datetime]:
    """The UTC start (included) and end (excluded) of the local day in `zone` holding `instant`:
    24 hours, or 23 and 25 (23.5 and 24.5 on Lord Howe Island) on the days the clocks change."""
    instant, tz = _utc(instant, "instant"), _zone(zone)
    day = instant.astimezone(tz).date()
    start, end = _instant(day, time(0), tz), _instant(day + _DAY, time(0), tz)
    if instant >= end:  # clocks set back from after midnight to before it show the old date
        start, end = end, _instant(day + 2 * _DAY, time(0), tz)
    return start, end


def next_day_start(instant: datetime, zone: str) -> datetime:
    """The UTC instant the local day after the one holding `instant` begins in `zone`."""
    return day_bounds(instant, zone)[1]


def next_send_time(
    due: datetime,
    *,
    window: SendWindow | None = None,
    zone_override: str | None = None,
    last_sent: datetime | None = None,
    cooldown_minutes: int = 0,
    sent_today: int = 0,
    daily_cap: int | None = None,
) -> tuple[datetime, str | None]:
    """When a campaign email due at `due` may go, and why it waits (None: it need not).

    `last_sent` is the lead's latest campaign email, `sent_today` how many the lead was sent
    in the local day holding `due` (the day in `lead_zone(window, zone_override)`). The reason
    is the first rule that moved it, checked in the order daily cap, cooldown, send window:
    a cooldown that ends after the window closes answers COOLDOWN with the next opening.
    """
    due = _utc(due, "due")
    if daily_cap is not None and daily_cap < 1:
        raise ValueError(f"a daily cap is 1 or more, not {daily_cap}")
    capped = daily_cap is not None and sent_today >= daily_cap
    not_before = next_day_start(due, lead_zone(window, zone_override)) if capped else due
    rules: tuple[tuple[str, Callable[[datetime], datetime]], ...] = (
        (DAILY_CAP, lambda at: max(at, not_before)),
        (COOLDOWN, lambda at: after_cooldown(at, last_sent, cooldown_minutes)),
        (OUTSIDE_SEND_WINDOW, lambda at: next_allowed(at, window, zone_override)),
    )
    at, reason = due, None
    # Each rule only moves the time later, which keeps the others' "not before" satisfied, so
    # a second pass moves nothing; the loop is that check.
    for _ in range(3):
        before = at
        for code, rule in rules:
            later = rule(at)
            if later > at:
                at, reason = later, reason or code
        if at == before:
            return at, reason
    raise RuntimeError(f"the send time of {due} did not settle")
