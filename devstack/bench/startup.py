"""bench.json's cold-start sections: each function's cold import over the floor of its kind
(imports.py), and each route's first invocation beside its import (first_invoke.py)."""

from __future__ import annotations

from typing import Any

from devstack.bench import first_invoke, imports, targets


def imports_document(result: imports.ImportResult) -> dict[str, Any]:
    target = targets.COLD_IMPORT_RATIO_TO_FLOOR
    return {
        "baselineMs": result.baseline_ms,
        "baselineRunsMs": result.baseline_runs_ms,
        "baselineCpuMs": result.baseline_cpu_ms,
        "target": target,
        "modules": {
            figure.module: {
                "kind": figure.kind,
                "ms": figure.median_ms,
                "runsMs": figure.runs_ms,
                "ratioToFloor": figure.ratio_to_floor,
                "cpuRatioToFloor": figure.cpu_ratio_to_floor,
                "ratioToBoto3": figure.ratio,
                "cpuMs": figure.cpu_median_ms,
                "verdict": targets.verdict(figure.ratio_to_floor, target),
            }
            for figure in result.modules
        },
        "floors": {
            figure.module: {
                "what": imports.FLOORS[figure.module],
                "ms": figure.median_ms,
                "runsMs": figure.runs_ms,
                "ratioToBoto3": figure.ratio,
                "cpuMs": figure.cpu_median_ms,
            }
            for figure in result.floors
        },
        "worst": result.worst,
        "worstTopPackagesBeyondFloor": [
            {"package": name, "selfMs": ms} for name, ms in result.worst_top_packages
        ],
    }


def first_invokes_document(figures: list[first_invoke.FirstInvoke]) -> dict[str, Any] | None:
    """Each route's first invocation after its cold import, beside the import (first_invoke.py)."""
    if not figures:
        return None
    floor, routes = first_invoke.against_floor(figures)
    return {
        "target": targets.FIRST_INVOKE_RATIO_READ_ROUTE,
        "targetToFloor": targets.FIRST_INVOKE_TO_FLOOR_READ_ROUTE,
        "floor": None
        if floor is None
        else {
            "what": first_invoke.FLOOR_MODULE,
            "importMs": floor.import_ms,
            "firstInvokeMs": floor.first_invoke_ms,
            "ratio": floor.ratio,
            "status": floor.status,
            "error": floor.error,
        },
        "routes": {
            figure.route_id: {
                "readOnly": figure.read_only,
                "status": figure.status,
                "importMs": figure.import_ms,
                "firstInvokeMs": figure.first_invoke_ms,
                "ratio": figure.ratio,
                "runs": figure.runs,
                "error": figure.error,
                "verdict": first_invoke.verdict(figure),
                "toFloor": figure.to_floor,
                "verdictToFloor": first_invoke.verdict_to_floor(figure),
            }
            for figure in routes
        },
    }
