"""The printed table's sequence rows (issue 17): AWS calls per sequence step against their
target, and the cost per 1,000 sequence emails against the cost target, with its assumptions."""

from __future__ import annotations

from typing import Any

from devstack.bench.report import _calls, _cost_line, _row, _target, _title


def _step_row(label: str, figure: dict[str, Any]) -> str:
    return _row(
        label,
        f"{figure['value']:.2f}",
        _target(figure["target"]),
        figure["verdict"],
        _calls(figure["byCall"]),
    )


def per_step(section: dict[str, Any] | None) -> list[str]:
    lines = [_title("AWS calls per sequence step (batches of 10 step jobs, on moto)")]
    if section is None:
        return [*lines, "  not measured"]
    per_batch = section["units"] / section["batches"]
    lines += [
        _step_row("trigger, per sequence step (first and later)", section),
        _step_row("  first steps (email, next step's schedule)", section["firstSteps"]),
        _step_row("  later steps (email, the last: no schedule)", section["laterSteps"]),
        _row(
            f"trigger, per invocation ({per_batch:g} steps)",
            f"{section['callsPerInvocation']:.1f}",
            "-",
            "-",
            _calls(section["byCallPerInvocation"]),
        ),
        _row(
            "enrolling pass, per enrollment (the event's)",
            f"{section['enrollment']['value']:.2f}",
            "-",
            "-",
            _calls(section["enrollment"]["byCall"]),
        ),
        f"  DynamoDB per step: {section['readUnitsPerUnit']:.1f} RRU, "
        f"{section['writeUnitsPerUnit']:.1f} WRU (by call: "
        + ", ".join(
            f"{name.removeprefix('dynamodb:')} {units:.1f}"
            for name, units in section["writeUnitsByCallPerUnit"].items()
        )
        + f"); {section['emailStepsPerEnrollment']} email steps an enrollment",
    ]
    return lines


def cost(section: dict[str, Any] | None) -> list[str]:
    lines = [_title("Cost per 1,000 sequence emails besides SES, % of SES's $0.10")]
    if section is None:
        return [*lines, "  not measured"]
    every = section["lines"] + section["emailLines"] + section["webhookLines"]
    lines += [_cost_line(line) for line in every + section["notInTarget"]]
    lines.append(
        _row(
            "costPer1000SequenceEmailsPctOfSes",
            f"{section['value']:.2f} %",
            _target(section["target"]),
            section["verdict"],
            f"${section['usdPer1000Emails']:.5f} per 1,000 sequence emails; the sequence's "
            f"own work {section['ownPctOfSes']:.2f} %",
        )
    )
    assumed = section["assumptions"]
    lines.append(
        f"  assumptions: {assumed['emailStepsPerEnrollment']:g} email steps an enrollment (the "
        f"bench's sequence), so {assumed['firedSchedulesPerEmail']:.2f} fired schedules and "
        f"{1 / assumed['emailStepsPerEnrollment']:.2f} enrolling events per email; step batches "
        f"of {assumed['stepsPerBatch']:g}; {assumed['sesEventsPerEmail']:g} SES events per email; "
        f"{assumed['sequenceStatsWriteUnitsPerEmail']:g} WRU per email for the sequence's stats "
        "(at most); webhooks as for any email"
    )
    lines.append(
        f"  Lambda: own time x{assumed['cpuScaleUsed']:.2f} + assumed call latency; at this "
        f"machine's CPU speed the total would be {section['pctOfSesAtBenchCpuSpeed']:.2f} %"
    )
    return lines
