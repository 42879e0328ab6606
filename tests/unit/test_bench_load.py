"""The load run's plan, how its answers are counted, and the send arithmetic (never the run)."""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict

import pytest

from devstack.bench import report
from devstack.bench.load import LoadResult, subject, tally_sends
from devstack.bench.load_plan import Answer, Kind, Planned, classify, plan, verdicts

PLAN = plan(300)
BY_INDEX = {request.index: request for request in PLAN}


def _ideal(planned: list[Planned]) -> list[Answer]:
    """What the contract answers: a message per fresh key, its replay, 409 for other bodies."""
    answers = []
    for request in planned:
        if request.kind is Kind.CONFLICT:
            answers.append(Answer(409, "idempotency_key_conflict", None))
        else:
            answers.append(Answer(202, None, f"msg-{request.key}"))
    return answers


def test_a_plan_of_300_repeats_a_third_and_conflicts_a_few() -> None:
    kinds = Counter(request.kind for request in PLAN)
    assert kinds == {Kind.FRESH: 194, Kind.REPEAT: 100, Kind.CONFLICT: 6}
    assert [request.index for request in PLAN] == list(range(300))
    assert plan(300) == PLAN  # deterministic


def test_fresh_requests_each_have_their_own_key_and_body() -> None:
    fresh = [request for request in PLAN if request.kind is Kind.FRESH]
    assert all(r.key == r.index == r.variant and r.wait_for is None for r in fresh)


def test_repeats_send_an_earlier_fresh_key_with_its_identical_body() -> None:
    repeats = [request for request in PLAN if request.kind is Kind.REPEAT]
    for repeat in repeats:
        original = BY_INDEX[repeat.key]
        assert original.kind is Kind.FRESH
        assert original.index < repeat.index
        assert repeat.variant == original.variant
    # Each key repeats at most once, so every replay is one more answer for one message.
    assert len({repeat.key for repeat in repeats}) == len(repeats)
    concurrent = [r for r in repeats if r.wait_for is None]
    # Half go right behind their original without waiting: concurrent duplicates.
    assert len(concurrent) == 50
    assert all(r.key == r.index - 1 for r in concurrent)
    assert all(r.wait_for == r.key for r in repeats if r.wait_for is not None)


def test_conflicts_send_an_earlier_key_with_another_body_after_its_answer() -> None:
    conflicts = [request for request in PLAN if request.kind is Kind.CONFLICT]
    variants = {request.variant for request in PLAN if request.kind is not Kind.CONFLICT}
    for conflict in conflicts:
        assert BY_INDEX[conflict.key].kind is Kind.FRESH
        assert conflict.key < conflict.index
        assert conflict.variant not in variants  # a body no other request sends
        assert conflict.wait_for == conflict.key  # never racing its original
    assert conflicts[0].index > 10
    assert conflicts[-1].index > 250


@pytest.mark.parametrize("requests", [*range(12), 50, 99, 1000])
def test_every_plan_refers_only_backwards(requests: int) -> None:
    planned = plan(requests)
    assert len(planned) == requests
    for request in planned:
        assert planned[request.key].kind is Kind.FRESH
        assert request.key <= request.index
        assert request.wait_for is None or request.wait_for < request.index
    assert sum(r.kind is Kind.REPEAT for r in planned) == requests // 3


def test_the_contracts_answers_add_up_to_the_plan() -> None:
    tally = classify(PLAN, _ideal(PLAN))
    assert (tally.accepted, tally.replayed, tally.conflicts) == (194, 100, 6)
    assert tally.replay_mismatches == 0
    assert tally.unexpected == {}
    assert len(tally.messages) == 194
    assert all(variant == int(m.removeprefix("msg-")) for m, variant in tally.messages.items())


def test_a_replay_naming_another_message_is_flagged() -> None:
    answers = _ideal(PLAN)
    repeat = next(r for r in PLAN if r.kind is Kind.REPEAT)
    answers[repeat.index] = Answer(202, None, "msg-second")
    tally = classify(PLAN, answers)
    assert (tally.accepted, tally.replayed, tally.replay_mismatches) == (194, 99, 1)
    assert tally.unexpected == {"repeat 202 another message": 1}
    assert len(tally.messages) == 195  # the second message is one to account for


def test_a_concurrent_repeat_may_win_the_race() -> None:
    """Either request of a concurrent pair may store the message; both name it."""
    planned = plan(3)
    answers = [Answer(202, None, "a"), Answer(202, None, "won"), Answer(202, None, "won")]
    tally = classify(planned, answers)
    assert (tally.accepted, tally.replayed, tally.replay_mismatches) == (2, 1, 0)


def test_answers_off_the_plan_are_counted_by_kind() -> None:
    answers = _ideal(PLAN)
    conflicts = [r.index for r in PLAN if r.kind is Kind.CONFLICT]
    answers[conflicts[0]] = Answer(202, None, f"msg-{PLAN[conflicts[0]].key}")
    answers[conflicts[1]] = Answer(500, "internal_error", None)
    answers[0] = Answer(0, "TimeoutError", None)  # key 0's later repeat then makes its message
    tally = classify(PLAN, answers)
    assert tally.conflicts == 4
    assert tally.accepted == 194
    assert tally.replayed == 99
    assert tally.unexpected == {
        "conflict 202": 1,
        "conflict 500 internal_error": 1,
        "fresh 0 TimeoutError": 1,
        "repeat 202 first": 1,
    }
    with pytest.raises(ValueError, match="one answer"):
        classify(PLAN, answers[:-1])


def test_sends_lost_and_duplicates_count_messages() -> None:
    messages = {"m1": subject(1), "m2": subject(2), "m3": subject(3)}
    statuses = {"m1": "DELIVERED", "m2": "SENT", "m3": "FAILED"}
    mails = [
        ("load1@example.com", subject(1)),
        ("load1@example.com", subject(1)),  # a second mail for one message
        ("load2@example.com", subject(2)),
        ("other@example.com", "not the run's"),
    ]
    sends = tally_sends(messages, statuses, mails)
    assert (sends.sent, sends.lost, sends.duplicates, sends.ses_mails) == (2, 1, 1, 3)
    # Final as sent but with no mail at SES is lost as well; never final is lost.
    sends = tally_sends(messages, {"m1": "SENT", "m2": "QUEUED"}, [])
    assert (sends.sent, sends.lost) == (0, 3)


def _result(**changes: object) -> dict[str, object]:
    tally = classify(PLAN, _ideal(PLAN))
    figures = LoadResult(
        requests=300,
        concurrency=16,
        planned_repeats=100,
        planned_conflicts=6,
        accepted=tally.accepted,
        replayed=tally.replayed,
        conflicts=tally.conflicts,
        replay_mismatches=0,
        unexpected={},
        messages=194,
        sent=194,
        lost=0,
        duplicates=0,
        final_statuses={"DELIVERED": 194},
        ses_mails=194,
        p50_ms=40.0,
        p99_ms=300.0,
        max_ms=400.0,
        send_seconds=20.0,
        settle_seconds=5.0,
    )
    return {**asdict(figures), **changes}


def test_verdicts_hold_the_run_to_its_plan() -> None:
    assert set(verdicts(_result()).values()) == {"PASS"}
    missed = verdicts(_result(replayed=99, conflicts=5, lost=1, duplicates=2, replay_mismatches=1))
    assert missed == {
        "accepted": "PASS",
        "lost": "MISS",
        "duplicates": "MISS",
        "replayed": "MISS",
        "conflicts": "MISS",
        "replayMismatches": "MISS",
    }
    # More replays than planned is as wrong as fewer.
    assert verdicts(_result(replayed=101))["replayed"] == "MISS"


def test_the_report_prints_each_figure_beside_its_target() -> None:
    lines = report._load(_result(conflicts=5, unexpected={"conflict 202": 1}))
    text = "\n".join(lines)
    assert "answers not planned: conflict 202 x1" in text
    conflicts = next(line for line in lines if line.lstrip().startswith("conflicts"))
    assert conflicts.split()[-3:] == ["5", "6", "MISS"]
    replayed = next(line for line in lines if line.lstrip().startswith("replayed"))
    assert "100      100  PASS" in replayed
    assert report._load(None)[-1] == "  skipped (--quick)"
