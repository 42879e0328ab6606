"""The printed table's cost headline: both traffic scenarios (traffic.py), each against its
target, with every input it was computed from and each lever's effect."""

from __future__ import annotations

from typing import Any

from devstack.bench import report


def _inputs(inputs: dict[str, Any]) -> list[str]:
    batches = ", ".join(
        f"{name} {value:.1f}"
        for name, value in inputs["sqsRecordsPerBatch"].items()
        if value is not None
    )
    api = inputs["api_sampling"]
    tracing = "consumers PassThrough" if inputs["consumers_pass_through"] else "all Active"
    return [
        f"  traffic: {inputs['description']}; {inputs['handles']} handles, "
        f"{inputs['emails_per_second']:.3g} emails/s ({inputs['monthlyEmails']:,.0f} a month), "
        f"{inputs['requestsPerSecond']:.3g} API requests/s",
        f"  SQS records per batch: {batches} (scenario mean {inputs['records_per_sqs_batch']:g}, "
        f"batching window {inputs['sqs_batching_window_seconds']:g} s); stream events per "
        f"projection batch {inputs['streamEventsPerProjectionBatch']:.1f} (window "
        f"{inputs['stream_batching_window_seconds']:g} s)",
        f"  authorizer runs per request {inputs['authorizerRunsPerRequest']:.2f} (cache TTL "
        f"{inputs['authorizer_cache_ttl_seconds']:g} s: the cache misses on that share); cold "
        f"starts {inputs['cold_start_share']:.1%} of invocations x {inputs['coldStartMs']:.0f} ms "
        f"({inputs['coldStartBasis']})",
        f"  X-Ray: API stage rule {api['reservoir_per_second']:g}/s + {api['fixed_rate']:.0%}, "
        f"{inputs['lambdaSampling']}; {tracing}; {inputs['tracesPer1000Emails']:.0f} traces and "
        f"{inputs['invocationsPer1000Emails']:.0f} invocations per 1,000 emails",
        f"  logs: level {inputs['log_level']}, + {inputs['lambdaPlatformLogBytes']} B Lambda "
        f"lines per invocation, + {inputs['xrayReportLogBytes']} B per traced REPORT; "
        f"{inputs['custom_metrics']} custom metrics stored all month",
        f"  Lambda duration: {inputs['lambdaDuration']} (x{inputs['cpuScaleUsed']:.2f})",
        *(f"  note: {note}" for note in inputs["notes"]),
    ]


def scenarios(section: dict[str, Any]) -> list[str]:
    lines: list[str] = []
    for name, figure in section.get("scenarios", {}).items():
        lines.append(
            report._title(
                f"Cost per 1,000 emails, {name}: logs, traces and metrics included, % of SES"
            )
        )
        ranked = sorted(figure["lines"], key=lambda line: -line["usd"])
        lines += [report._cost_line(line) for line in ranked]
        lines.append(
            report._row(
                f"costPer1000EmailsPctOfSes.{name}",
                f"{figure['value']:.2f} %",
                report._target(figure["target"]),
                figure["verdict"],
                f"${figure['usdPer1000Emails']:.5f} per 1,000 emails",
            )
        )
        lines += _inputs(figure["inputs"])
        levers = ", ".join(
            f"{lever} {effect['effect']:+.2f}" for lever, effect in figure["levers"].items()
        )
        lines.append(f"  levers (points of SES's price): {levers}")
    return lines
