"""The printed table's cold-start rows (issue 18): each handler's cold import over the floor of
its kind, and each route's first invocation over its import."""

from __future__ import annotations

from typing import Any

from devstack.bench.report import _row, _target, _title


def imports(section: dict[str, Any] | None) -> list[str]:
    title = "Cold import time / the floor of the handler's kind (median of fresh interpreters)"
    if section is None:
        return [_title(title), "  skipped (--import-runs 0)"]
    lines = [_title(title)]
    for floor in section["floors"].values():
        lines.append(
            _row(
                floor["what"],
                f"{floor['ms']:.0f} ms",
                "",
                "",
                f"{floor['ratioToBoto3']:.2f} x `import boto3` ({section['baselineMs']:.0f} ms)",
            )
        )
    modules = section["modules"]
    for module, figure in sorted(modules.items(), key=lambda item: -item[1]["ratioToFloor"]):
        lines.append(
            _row(
                f"{module.removeprefix('functions.')} ({figure['kind']})",
                f"{figure['ratioToFloor']:.2f}",
                _target(section["target"]),
                figure["verdict"],
                f"{figure['ms']:.0f} ms; CPU-time ratio {figure['cpuRatioToFloor']:.2f}; "
                f"{figure['ratioToBoto3']:.2f} x boto3",
            )
        )
    misses = sum(1 for f in modules.values() if f["verdict"] == "MISS")
    top = ", ".join(
        f"{p['package']} {p['selfMs']:.0f} ms" for p in section["worstTopPackagesBeyondFloor"]
    )
    lines.append(f"  {misses} of {len(modules)} handlers miss; worst: {section['worst']}")
    lines.append(f"  its most expensive packages beyond its floor's own (self time): {top}")
    return lines


def first_invokes(section: dict[str, Any] | None) -> list[str]:
    title = "First invocation after the cold import: over the import, and over the floor's"
    if section is None:
        return [_title(title), "  skipped (--first-invoke-runs 0)"]
    lines = [_title(title)]
    floor = section["floor"]
    if floor is not None:
        lines.append(_floor_row(floor))
    routes = section["routes"]
    for route_id, figure in sorted(routes.items(), key=lambda item: -item[1]["ratio"]):
        label = f"{route_id}{' (read-only)' if figure['readOnly'] else ''}"
        if figure["error"]:
            lines.append(_row(label, "-", "", figure["verdict"], f"raised: {figure['error']}"))
            continue
        read = figure["readOnly"]
        lines.append(
            _row(
                label,
                f"{figure['ratio']:.2f}",
                _target(section["target"]) if read else "-",
                figure["verdict"],
                f"{figure['firstInvokeMs']:.0f} ms after a {figure['importMs']:.0f} ms import; "
                f"answered {figure['status']}",
            )
        )
        if figure["toFloor"] is not None:
            lines.append(
                _row(
                    "  over the floor's first invocation",
                    f"{figure['toFloor']:.2f}",
                    _target(section["targetToFloor"]) if read else "-",
                    figure["verdictToFloor"],
                    "",
                )
            )
    read_routes = [f for f in routes.values() if f["readOnly"]]
    misses = sum(1 for f in read_routes if f["verdict"] == "MISS")
    over_floor = sum(1 for f in read_routes if f["verdictToFloor"] == "MISS")
    lines.append(
        f"  read routes missing: {misses} of {len(read_routes)} over their import, "
        f"{over_floor} over the floor's first invocation"
    )
    return lines


def _floor_row(floor: dict[str, Any]) -> str:
    if floor["error"]:
        return _row("floor, route (stack only)", "-", "", "-", f"raised: {floor['error']}")
    return _row(
        "floor, route (stack only)",
        f"{floor['ratio']:.2f}",
        "",
        "",
        f"{floor['firstInvokeMs']:.0f} ms after a {floor['importMs']:.0f} ms import: "
        "the stack's own first GetItem and dispatch",
    )


def source_only_layer(figures: list[dict[str, Any]] | None) -> list[str]:
    title = "A layer shipped without byte code (synthesized without python3.14): cold import"
    if figures is None:
        return [_title(title), "  skipped (--import-runs 0)"]
    lines = [_title(title)]
    for figure in figures:
        lines.append(
            _row(
                figure["module"].removeprefix("functions."),
                f"{figure['ratio']:.2f}",
                "-",
                "-",
                f"{figure['source_ms']:.0f} ms as source, {figure['compiled_ms']:.0f} ms "
                f"byte-compiled (+{figure['extra_ms']:.0f} ms each cold start)",
            )
        )
    return lines
