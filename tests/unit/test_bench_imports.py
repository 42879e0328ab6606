"""Reading `python -X importtime` output: self time per top-level package."""

from __future__ import annotations

from devstack.bench.imports import self_time_by_package, top_packages_beyond

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
