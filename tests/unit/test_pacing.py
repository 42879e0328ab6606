"""Pacing to SES: an invocation's share of the account's rate, the waits between its SES calls,
the deadline, and how rarely (and how safely) the rate is read. A fake clock: nothing sleeps."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tenx_email.adapters import ses_account
from tenx_email.services.pacing import Pacer, share


class FakeTime:
    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def pacer(rate: float, time: FakeTime) -> Pacer:
    return Pacer(lambda: rate, clock=time.clock, sleep=time.sleep)


def test_each_invocation_takes_its_share_of_the_account_rate() -> None:
    # An account of 14 emails a second shared by 5 concurrent invocations; 200 by 2
    assert share(14, 5) == pytest.approx(2.8)
    assert share(200, 2) == 100


def test_calls_start_one_share_interval_apart() -> None:
    # Given an invocation paced at 4 calls a second
    time = FakeTime()
    paced = pacer(4, time)
    # When it takes three turns back to back
    turns = [paced.take_turn(latest=2000) for _ in range(3)]
    # Then the first starts at once and each next one 0.25 s after the one before
    assert turns == [True, True, True]
    assert time.slept == [pytest.approx(0.25), pytest.approx(0.25)]


def test_work_between_calls_counts_toward_the_wait() -> None:
    # Given a paced invocation whose recipient took 0.1 s of other work after its turn
    time = FakeTime()
    paced = pacer(4, time)
    paced.take_turn(latest=2000)
    time.now += 0.1
    # When it takes the next turn, it waits only the rest of the interval
    paced.take_turn(latest=2000)
    assert time.slept == [pytest.approx(0.15)]
    # And after an idle spell longer than the interval, the next call starts at once
    time.now += 5
    paced.take_turn(latest=2000)
    assert time.slept == [pytest.approx(0.15)]


def test_a_turn_past_the_deadline_is_refused_without_waiting_or_claiming_it() -> None:
    # Given a paced invocation at 1 call a second whose next turn is 1 s away
    time = FakeTime()
    paced = pacer(1, time)
    paced.take_turn(latest=2000)
    # When the latest a call may start is sooner than that turn
    refused = paced.take_turn(latest=time.now + 0.5)
    # Then it is refused at once (the record is retried later)
    assert refused is False
    assert time.slept == []
    # And the turn was not used up: a later caller gets it, 1 s after the last call
    assert paced.take_turn(latest=2000) is True
    assert time.slept == [pytest.approx(1.0)]


class GetAccount:
    def __init__(self, answer: Any) -> None:
        self.answer = answer
        self.calls = 0

    def get_account(self) -> Any:
        self.calls += 1
        if isinstance(self.answer, Exception):
            raise self.answer
        return self.answer


@pytest.fixture
def account(monkeypatch: pytest.MonkeyPatch) -> Iterator[GetAccount]:
    client = GetAccount({"SendQuota": {"MaxSendRate": 14.0}})
    ses_account.reset()
    monkeypatch.setattr(ses_account, "_client", lambda region: client)
    yield client
    monkeypatch.undo()
    ses_account.reset()


def test_the_rate_is_read_once_per_refresh_period(
    account: GetAccount, monkeypatch: pytest.MonkeyPatch
) -> None:
    time = FakeTime()
    monkeypatch.setattr(ses_account.time, "monotonic", time.clock)
    # Many sends within the period read SES's quota once
    assert [ses_account.max_send_rate("us-east-1") for _ in range(50)] == [14.0] * 50
    assert account.calls == 1
    # And after the period, once again (a raised quota takes effect within it)
    account.answer = {"SendQuota": {"MaxSendRate": 50.0}}
    time.now += ses_account.REFRESH_SECONDS
    assert ses_account.max_send_rate("us-east-1") == 50.0
    assert account.calls == 2


@pytest.mark.parametrize(
    "answer",
    [RuntimeError("AccessDenied"), {"SendQuota": {}}, {"SendQuota": {"MaxSendRate": 0.0}}],
    ids=["error", "no-quota", "zero"],
)
def test_a_failed_read_paces_at_the_fallback_rate_and_retries_sooner(
    account: GetAccount, monkeypatch: pytest.MonkeyPatch, answer: Any
) -> None:
    time = FakeTime()
    monkeypatch.setattr(ses_account.time, "monotonic", time.clock)
    account.answer = answer
    # A read that fails gives the conservative fallback instead of failing delivery
    assert ses_account.max_send_rate("us-east-1") == ses_account.FALLBACK_RATE
    assert ses_account.max_send_rate("us-east-1") == ses_account.FALLBACK_RATE
    assert account.calls == 1
    # And it is tried again after RETRY_SECONDS, not after the full refresh period
    account.answer = {"SendQuota": {"MaxSendRate": 14.0}}
    time.now += ses_account.RETRY_SECONDS
    assert ses_account.max_send_rate("us-east-1") == 14.0


@pytest.mark.parametrize(("raw", "rate"), [("", 200.0), ("20", 20.0), (" 0.5 ", 0.5)])
def test_the_local_ses_rate_is_a_dev_setting(raw: str, rate: float) -> None:
    from devstack.environment import LocalEnvironment

    env = LocalEnvironment.from_environ({"LOCAL_SES_MAX_SEND_RATE": raw})
    assert env.ses_max_send_rate == rate


@pytest.mark.parametrize("raw", ["0", "-3", "fast", "20000"])
def test_a_local_ses_rate_out_of_range_is_refused(raw: str) -> None:
    from devstack.environment import LocalEnvironment

    with pytest.raises(ValueError, match="LOCAL_SES_MAX_SEND_RATE"):
        LocalEnvironment.from_environ({"LOCAL_SES_MAX_SEND_RATE": raw})
