"""Campaign settings (frequency caps and a send window) through the real handlers on moto:
the defaults, round trips, every validation refusal as a 400 in plain words, roles, tenant
isolation, unknown campaigns and optimistic concurrency."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from tenx_email import clock
from tenx_email.roles import Role
from tenx_email.services import tenancy
from tests.events import invoke
from tests.integration.conftest import MEMBERS, OUTSIDER

OPERATOR, CREATOR = MEMBERS[Role.OPERATOR], MEMBERS[Role.CREATOR]
CAMPAIGN = {"handle": "acme", "campaignId": "cmp_welcome"}
BERLIN_OFFICE = {
    "timezone": "Europe/Berlin",
    "startTime": "09:00",
    "endTime": "17:30",
    "workingDays": [0, 1, 2, 3, 4],
}
NIGHT_SHIFT = {
    "timezone": "America/New_York",
    "startTime": "22:00",
    "endTime": "06:00",
    "workingDays": [4, 5],
}
DEFAULTS = {
    "campaignId": "cmp_welcome",
    "contactCooldownMinutes": 0,
    "contactDailyCap": None,
    "sendWindow": None,
    "version": 0,
    "updatedAt": None,
}
NOW = datetime(2026, 3, 27, 8, 15, tzinfo=UTC)


@pytest.fixture(autouse=True)
def campaign(tenant: None, monkeypatch: pytest.MonkeyPatch) -> None:
    """Given acme's campaign cmp_welcome, at a fixed moment."""
    tenancy.register_campaign("acme", "cmp_welcome", "Welcome")
    monkeypatch.setattr(clock, "now", lambda: NOW)


def get(campaign: dict[str, str] = CAMPAIGN, sub: str = OPERATOR) -> tuple[int, Any]:
    return invoke("get_campaign_settings", campaign, sub=sub)


def put(body: Any, campaign: dict[str, str] = CAMPAIGN, sub: str = OPERATOR) -> tuple[int, Any]:
    return invoke("put_campaign_settings", campaign, sub=sub, body=body)


def error(result: tuple[int, Any]) -> tuple[int, str]:
    status, body = result
    return status, body["error"]


def test_a_campaign_without_settings_answers_the_defaults_at_version_0() -> None:
    assert get() == (200, {"settings": DEFAULTS})


def test_settings_put_are_read_back_as_put() -> None:
    # When an office-hours window in Berlin, a day's cooldown and a cap of 2 are put
    body = {"contactCooldownMinutes": 1440, "contactDailyCap": 2, "sendWindow": BERLIN_OFFICE}
    status, answer = put(body)
    # Then they are answered at version 1, and read back the same (by a creator too)
    expected = {**DEFAULTS, **body, "version": 1, "updatedAt": "2026-03-27T08:15:00.000Z"}
    assert (status, answer) == (200, {"settings": expected})
    assert get() == (200, {"settings": expected})
    assert get(sub=CREATOR) == (200, {"settings": expected})


def test_a_put_replaces_the_whole_settings_and_counts_versions() -> None:
    # Given settings with a cap and a window crossing midnight
    first = {"contactDailyCap": 3, "sendWindow": NIGHT_SHIFT, "expectedVersion": 0}
    assert put(first)[1]["settings"]["sendWindow"] == NIGHT_SHIFT
    # When only a cooldown is put, at the version read
    status, answer = put({"contactCooldownMinutes": 60, "expectedVersion": 1})
    # Then the cap and the window are gone (absent is none), and the version is 2
    assert status == 200
    assert answer["settings"] == {
        **DEFAULTS,
        "contactCooldownMinutes": 60,
        "version": 2,
        "updatedAt": "2026-03-27T08:15:00.000Z",
    }
    assert get()[1] == answer
    # And an empty body clears everything
    assert put({})[1]["settings"] == {
        **DEFAULTS,
        "version": 3,
        "updatedAt": answer["settings"]["updatedAt"],
    }


def test_a_stale_expected_version_is_a_conflict_and_changes_nothing() -> None:
    assert put({"contactDailyCap": 5})[0] == 200
    before = get()
    assert error(put({"contactDailyCap": 1, "expectedVersion": 0})) == (409, "version_conflict")
    assert error(put({"contactDailyCap": 1, "expectedVersion": 2})) == (409, "version_conflict")
    assert get() == before
    assert put({"contactDailyCap": 1, "expectedVersion": 1})[1]["settings"]["version"] == 2


def window(**changes: Any) -> dict[str, Any]:
    return {"sendWindow": {**BERLIN_OFFICE, **changes}}


@pytest.mark.parametrize(
    ("body", "words"),
    [
        (window(startTime="9:00"), "'9:00' is not a time of day as HH:MM"),
        (window(endTime="24:00"), "'24:00' is not a time of day as HH:MM"),
        (window(workingDays=[]), "needs at least one working day"),
        (window(workingDays=[0, 1, 1]), "day 1 is listed twice"),
        (window(workingDays=[7]), "7 is not a day"),
        (window(workingDays=[-1]), "-1 is not a day"),
        (window(colour="blue"), "sendWindow.colour"),
        ({"contactCooldownMinutes": -1}, "contactCooldownMinutes"),
        ({"contactCooldownMinutes": 43_201}, "less than or equal to 43200"),
        ({"contactCooldownMinutes": 1.5}, "contactCooldownMinutes"),
        ({"contactCooldownMinutes": "60"}, "contactCooldownMinutes"),
        ({"contactDailyCap": 0}, "greater than or equal to 1"),
        ({"contactDailyCap": 1001}, "less than or equal to 1000"),
        ({"contactDailyCap": True}, "contactDailyCap"),
        ({"frequency": "daily"}, "frequency: Extra inputs are not permitted"),
        ({"version": 7}, "version: Extra inputs are not permitted"),
        ({"expectedVersion": -1}, "expectedVersion"),
    ],
)
def test_invalid_settings_are_refused_in_plain_words(body: dict[str, Any], words: str) -> None:
    status, answer = put(body)
    assert (status, answer["error"]) == (400, "invalid_request"), answer
    assert words in answer["message"]
    assert "Value error" not in answer["message"]
    assert get() == (200, {"settings": DEFAULTS})


@pytest.mark.parametrize(
    ("body", "words"),
    [
        (window(timezone="Mars/Olympus_Mons"), "unknown time zone 'Mars/Olympus_Mons'"),
        (window(timezone="Europe"), "unknown time zone 'Europe'"),
        (window(startTime="09:00", endTime="09:00"), "startTime and endTime are both 09:00"),
    ],
)
def test_a_well_formed_window_that_means_nothing_has_its_own_code(
    body: dict[str, Any], words: str
) -> None:
    # Valid by the OpenAPI document, refused for what it says: not invalid_request
    status, answer = put(body)
    assert (status, answer["error"]) == (400, "invalid_send_window"), answer
    assert words in answer["message"]
    assert get() == (200, {"settings": DEFAULTS})


def test_the_limits_themselves_are_accepted() -> None:
    status, answer = put({"contactCooldownMinutes": 43_200, "contactDailyCap": 1000})
    assert status == 200, answer
    status, answer = put({"contactCooldownMinutes": 0, "contactDailyCap": 1.0})
    assert (status, answer["settings"]["contactDailyCap"]) == (200, 1)


def test_a_creator_may_read_but_not_put() -> None:
    assert get(sub=CREATOR)[0] == 200
    assert error(put({"contactDailyCap": 2}, sub=CREATOR)) == (403, "insufficient_role")
    assert get() == (200, {"settings": DEFAULTS})


@pytest.mark.parametrize("route_id", ["get_campaign_settings", "put_campaign_settings"])
def test_another_handles_member_is_forbidden_before_the_body_is_read(route_id: str) -> None:
    status, body = invoke(route_id, CAMPAIGN, sub=OUTSIDER, body={"nonsense": 1})
    assert (status, body["error"]) == (403, "forbidden")


def test_the_same_campaign_id_on_another_handle_has_its_own_settings() -> None:
    # Given acme's settings, and the same campaign id on globex where the caller operates too
    assert put({"contactDailyCap": 2, "sendWindow": BERLIN_OFFICE})[0] == 200
    tenancy.grant_membership("globex", OPERATOR, Role.OPERATOR)
    globex = {"handle": "globex", "campaignId": "cmp_welcome"}
    # Then globex's campaign is unknown until it exists, and then has only its own settings
    assert error(get(globex)) == (404, "campaign_not_found")
    assert error(put({"contactDailyCap": 9}, globex)) == (404, "campaign_not_found")
    tenancy.register_campaign("globex", "cmp_welcome", "Welcome")
    assert get(globex) == (200, {"settings": DEFAULTS})
    assert put({"contactDailyCap": 9}, globex)[0] == 200
    assert get()[1]["settings"]["contactDailyCap"] == 2


@pytest.mark.parametrize("campaign_id", ["cmp_nope", "not-a-campaign", "cmp_" + "x" * 2000])
def test_an_unknown_campaign_is_not_found(campaign_id: str) -> None:
    unknown = {"handle": "acme", "campaignId": campaign_id}
    assert error(get(unknown)) == (404, "campaign_not_found")
    assert error(put({"contactDailyCap": 2}, unknown)) == (404, "campaign_not_found")
