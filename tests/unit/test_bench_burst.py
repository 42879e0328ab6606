"""The bench's paced-burst arithmetic: the achieved rate, the throttled share, the verdicts and
the printed rows (never its timing)."""

from __future__ import annotations

from dataclasses import replace

from devstack.bench import burst, report
from devstack.bench.burst import BurstFigure
from devstack.ses_rate import SesSendRate

PACED = BurstFigure(
    recipients=300,
    max_send_rate=40.0,
    concurrency=1,
    drain_seconds=8.0,
    sent=300,
    throttled=3,
    dead_lettered=0,
)


def test_the_achieved_rate_and_throttled_share() -> None:
    assert PACED.achieved_rate == 37.5
    assert PACED.throttled_fraction == 3 / 303
    # A burst that never drained has no rate rather than a division by zero
    assert replace(PACED, drain_seconds=0.0, sent=0, throttled=0).achieved_rate == 0.0
    assert replace(PACED, sent=0, throttled=0).throttled_fraction == 0.0


def test_the_document_judges_throttling_and_dead_letters() -> None:
    document = burst.document(PACED)
    assert document["throttledPct"] == 0.99
    assert (document["verdict"], document["deadLetteredVerdict"]) == ("PASS", "PASS")
    stormy = burst.document(replace(PACED, throttled=30, dead_lettered=2))
    assert stormy["throttledPct"] == 9.09
    assert (stormy["verdict"], stormy["deadLetteredVerdict"]) == ("MISS", "MISS")


def test_the_report_prints_the_figures_with_their_assumptions() -> None:
    lines = "\n".join(report._burst(burst.document(PACED)))
    assert "300 recipients against a local SES of 40 sends/s" in lines
    assert "8.0 / 37.5" in lines
    assert "3 throttled, 300 sent" in lines
    assert "assumption: the local SES allows 40 sends/s" in lines


def test_the_drain_counts_what_the_local_ses_accepted_and_throttled_meanwhile() -> None:
    # Given a local SES that had already seen calls, and polls that each send 100 and see 1
    # throttled
    rate = SesSendRate(40)
    rate.accepted, rate.throttled = 7, 2

    def poll() -> None:
        rate.accepted += 100
        rate.throttled += 1

    # When the burst drains
    drained = burst.drain(poll, rate, 300, lambda: 0)
    # Then only the burst's own calls count
    assert (drained.sent, drained.throttled, drained.max_send_rate) == (300, 3, 40)
