"""The printed table's layer rows: its sizes, the largest distributions, and what no handler
imports (unused bytes against 0), each with the reason it stays."""

from __future__ import annotations

from typing import Any

from devstack.bench.report import _row, _target, _title
from devstack.bench.targets import LAYER_UNUSED_BYTES, verdict


def _mb(size: int) -> str:
    return f"{size / 1e6:.2f} MB"


def render(section: dict[str, Any] | None) -> list[str]:
    lines = [_title("Layer as deployed (bundled like the CDK asset, deflate)")]
    if section is None:
        return [*lines, "  skipped (--quick)"]
    use = section["use"]
    lines.append(
        _row(
            "zipBytes",
            f"{section['zip_bytes']:,}",
            "-",
            "-",
            f"{_mb(section['zip_bytes'])} zipped, {_mb(section['unzipped_bytes'])} unzipped, "
            f"{section['files']} files",
        )
    )
    largest = ", ".join(
        f"{name} {_mb(unzipped)} ({_mb(zipped)} zipped)"
        for name, unzipped, zipped in use["packages"][:5]
    )
    lines.append(f"  largest (unzipped): {largest}")
    lines.append(
        _row(
            "unusedBytes (never imported by any handler)",
            f"{use['unused_bytes']:,}",
            _target(LAYER_UNUSED_BYTES, ceiling=False),
            verdict(use["unused_bytes"], LAYER_UNUSED_BYTES),
            f"{use['modules_loaded']} modules loaded by {use['entry_modules']} handler modules "
            f"and {len(use['first_invoke_imports'])} first-invoke imports",
        )
    )
    for entry in use["unused"]:
        lines.append(f"    {entry['package']:<46} {entry['unzipped_bytes']:>9,}")
        lines.append(f"      stays: {entry['stays'] or 'nothing known keeps it: prune it'}")
    lines.append(f"  source: {section['source']}")
    return lines
