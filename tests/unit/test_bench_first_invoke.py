"""The first-invocation figures' arithmetic (devstack/bench/first_invoke.py): medians over the
children's answers, the ratio to the import, and which routes the target applies to."""

from __future__ import annotations

from dataclasses import replace

import pytest

from devstack.bench import targets
from devstack.bench.first_invoke import (
    FLOOR,
    FirstInvoke,
    against_floor,
    ratio,
    summarize,
    verdict,
    verdict_to_floor,
)


def _answer(import_s: float, invoke_s: float, status: int = 200) -> dict[str, float | int]:
    return {"importS": import_s, "invokeS": invoke_s, "status": status}


def test_the_figure_is_the_median_invocation_over_the_median_import() -> None:
    figure = summarize(
        "get_template",
        True,
        [_answer(0.300, 0.060), _answer(0.200, 0.090), _answer(0.250, 0.050)],
    )
    assert figure.import_ms == pytest.approx(250)
    assert figure.first_invoke_ms == pytest.approx(60)
    assert figure.ratio == pytest.approx(0.24)
    assert figure.runs == 3


def test_the_worst_status_is_kept_so_a_failed_run_shows() -> None:
    answers = [_answer(0.3, 0.1, 200), _answer(0.3, 0.1, 503), _answer(0.3, 0.1, 204)]
    assert summarize("get_quota", True, answers).status == 503


def test_only_read_routes_that_answered_have_the_target() -> None:
    def figure(read_only: bool, status: int, share: float, error: str = "") -> FirstInvoke:
        return FirstInvoke("r", read_only, status, 100.0, 100.0 * share, share, 1, error)

    assert verdict(figure(True, 200, 0.25)) == targets.PASS
    assert verdict(figure(True, 200, 0.26)) == targets.MISS
    assert verdict(figure(False, 201, 0.9)) == targets.NO_TARGET
    assert verdict(figure(True, 404, 0.1)) == targets.NO_TARGET
    assert verdict(figure(True, 0, 0.0, "functions.x: boom")) == targets.MISS


def test_an_import_without_time_is_refused() -> None:
    with pytest.raises(ValueError, match="takes time"):
        ratio(10.0, 0.0)
    with pytest.raises(ValueError, match="no first invocation"):
        summarize("get_quota", True, [])


def _measured(route_id: str, read_only: bool, invoke_ms: float, error: str = "") -> FirstInvoke:
    return FirstInvoke(route_id, read_only, 200, 300.0, invoke_ms, invoke_ms / 300.0, 3, error)


def test_each_route_is_read_against_the_floors_first_invocation() -> None:
    floor, routes = against_floor(
        [
            _measured("get_quota", True, 110.0),
            _measured(FLOOR, True, 100.0),
            _measured("send_message", False, 250.0),
            _measured("attach_domain", False, 0.0, "functions.attach_domain: boom"),
        ]
    )
    assert floor is not None
    assert floor.route_id == FLOOR
    assert [f.route_id for f in routes] == ["get_quota", "send_message", "attach_domain"]
    assert routes[0].to_floor == pytest.approx(1.10)
    assert routes[1].to_floor == pytest.approx(2.5)
    assert routes[2].to_floor is None
    assert verdict_to_floor(routes[0]) == targets.PASS
    assert verdict_to_floor(replace(routes[0], to_floor=1.11)) == targets.MISS
    assert verdict_to_floor(routes[1]) == targets.NO_TARGET  # not a read route
    assert verdict_to_floor(routes[2]) == targets.MISS  # raised


def test_without_the_floors_figure_no_route_is_read_against_it() -> None:
    floor, routes = against_floor(
        [_measured("get_quota", True, 110.0), _measured(FLOOR, True, 0.0, "floor: boom")]
    )
    assert floor is not None
    assert floor.error
    assert routes[0].to_floor is None
    assert verdict_to_floor(routes[0]) == targets.NO_TARGET
