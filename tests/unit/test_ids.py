"""ULIDs carry their moment to the millisecond, which timeline entries rely on for their time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tenx_email import ids


@pytest.mark.parametrize(
    "moment",
    [
        datetime(2026, 11, 22, 5, 1, 2, 345678, tzinfo=UTC),
        # 0.001 s steps are not exact in binary: a float timestamp lands a millisecond short.
        datetime(2026, 11, 22, 5, 1, 2, 7000, tzinfo=UTC),
        datetime(1970, 1, 1, tzinfo=UTC),
    ],
)
def test_a_ulid_gives_back_its_moment_to_the_millisecond(moment: datetime) -> None:
    value = ids.ulid(moment)
    assert ids.ulid_time(value) == moment.replace(microsecond=moment.microsecond // 1000 * 1000)
    assert value.startswith(ids.ulid_time_prefix(moment))


def test_every_millisecond_of_a_second_round_trips() -> None:
    start = datetime(2026, 11, 22, tzinfo=UTC)
    moments = [start + timedelta(milliseconds=n) for n in range(1000)]
    assert [ids.ulid_time(ids.ulid(moment)) for moment in moments] == moments


def test_a_moment_without_a_time_zone_is_utc() -> None:
    naive = datetime(2026, 11, 22, 5, 1, 2)
    assert ids.ulid_time_prefix(naive) == ids.ulid_time_prefix(naive.replace(tzinfo=UTC))
