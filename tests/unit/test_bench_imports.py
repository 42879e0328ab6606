"""Reading `python -X importtime` output: self time per top-level package."""

from __future__ import annotations

from pathlib import Path

from devstack.bench.imports import (
    AUTHORIZER,
    CONSUMER,
    FLOOR_OF,
    ROUTE,
    ImportFigure,
    handler_kinds,
    ratio_to_floor,
    self_time_by_package,
    top_packages_beyond,
)

FUNCTIONS = Path(__file__).resolve().parents[2] / "functions"

LOG = """\
import time: self [us] | cumulative | imported package
import time:       300 |        300 |     botocore.compat
import time:      1000 |       1300 |   botocore
import time:       500 |       1800 | boto3
import time:    190000 |     190000 |     aws_xray_sdk.core
import time:      4000 |     194000 |   aws_xray_sdk
import time:     40000 |     40000 |     tenx_email.models
import time:     30000 |     70000 |   tenx_email.api.sending
import time:      2000 |     72000 | functions.send_message
not an importtime line
"""


def test_self_time_is_summed_per_top_level_package() -> None:
    totals = self_time_by_package(LOG)
    assert totals["botocore"] == 1300
    assert totals["aws_xray_sdk"] == 194000
    assert totals["tenx_email"] == 70000
    assert totals["functions"] == 2000
    assert "imported package" not in totals


def test_the_top_packages_leave_out_what_boto3_loads_itself() -> None:
    module = self_time_by_package(LOG)
    baseline = self_time_by_package(
        "import time:      1300 |       1300 |   botocore\n"
        "import time:       500 |       1800 | boto3\n"
    )
    assert top_packages_beyond(module, baseline, count=2) == [
        ("aws_xray_sdk", 194.0),
        ("tenx_email", 70.0),
    ]


def _figure(module: str, ms: float, cpu_ms: float, kind: str = "") -> ImportFigure:
    return ImportFigure(
        module=module,
        median_ms=ms,
        runs_ms=[ms],
        ratio=ms / 100,
        cpu_median_ms=cpu_ms,
        cpu_ratio=cpu_ms / 100,
        kind=kind,
    )


def test_each_handler_is_divided_by_the_floor_of_its_own_kind() -> None:
    floors = {
        FLOOR_OF[ROUTE]: _figure(FLOOR_OF[ROUTE], 250, 200),
        FLOOR_OF[CONSUMER]: _figure(FLOOR_OF[CONSUMER], 200, 160),
        FLOOR_OF[AUTHORIZER]: _figure(FLOOR_OF[AUTHORIZER], 100, 80),
    }
    route = ratio_to_floor(_figure("functions.get_template", 300, 220, ROUTE), floors)
    consumer = ratio_to_floor(_figure("functions.deliver", 300, 240, CONSUMER), floors)
    authorizer = ratio_to_floor(_figure("functions.authorizer", 120, 100, AUTHORIZER), floors)
    assert (route.ratio_to_floor, route.cpu_ratio_to_floor) == (1.2, 1.1)
    assert (consumer.ratio_to_floor, consumer.cpu_ratio_to_floor) == (1.5, 1.5)
    assert (authorizer.ratio_to_floor, authorizer.cpu_ratio_to_floor) == (1.2, 1.25)


def test_every_function_module_is_timed_with_a_kind() -> None:
    kinds = handler_kinds()
    on_disk = {f"functions.{path.stem}" for path in FUNCTIONS.glob("*.py")} - {"functions.__init__"}
    assert set(kinds) == on_disk
    assert kinds["functions.authorizer"] == AUTHORIZER
    assert kinds["functions.send_webhooks"] == CONSUMER
    assert kinds["functions.unsubscribe_page"] == ROUTE
