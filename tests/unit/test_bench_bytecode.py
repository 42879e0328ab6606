"""What the source-only layer figure copies and how it divides (devstack/bench/bytecode.py)."""

from __future__ import annotations

import pytest

from devstack.bench.bytecode import layer_top_levels, summarize


def test_the_layer_part_leaves_out_the_runtimes_packages_and_metadata() -> None:
    loaded = [
        "pydantic",
        "pydantic_core",
        "typing_extensions.py",
        "aws_lambda_powertools",
        "boto3",
        "botocore",
        "jmespath",
        "dateutil",
        "urllib3",
        "six.py",
        "pydantic-2.14.3.dist-info",
        "distutils-precedence.pth",
    ]
    assert layer_top_levels(loaded) == {
        "pydantic",
        "pydantic_core",
        "typing_extensions.py",
        "aws_lambda_powertools",
    }


def test_the_figure_is_median_over_median() -> None:
    figure = summarize("functions.get_template", [0.25, 0.30, 0.20], [0.40, 0.60, 0.50])
    assert figure.compiled_ms == pytest.approx(250)
    assert figure.source_ms == pytest.approx(500)
    assert figure.extra_ms == pytest.approx(250)
    assert figure.ratio == pytest.approx(2.0)
