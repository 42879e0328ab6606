"""`make bench`: measure, print a table, write `.local/bench.json`. Always exits 0 once the
figures are in, whatever they show: targets are reported, not asserted."""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from devstack.bench import (
    burst,
    bytecode,
    heat,
    imports,
    layer,
    load,
    load_plan,
    model,
    report,
    startup,
    targets,
    traffic,
)
from devstack.bench.cost import Mix

REPO = Path(__file__).resolve().parents[2]
DEFAULT_OUTPUT = REPO / ".local" / "bench.json"


def _progress(message: str) -> None:
    print(f"bench: {message}", file=sys.stderr, flush=True)


def _calls_per_request(result: Any) -> dict[str, Any]:
    routes = {}
    for figure in result.routes:
        target = targets.route_target(figure.route_id, figure.read_only)
        routes[figure.route_id] = {
            "calls": figure.calls,
            "readOnly": figure.read_only,
            "target": target,
            "verdict": targets.verdict(figure.calls, target),
            "byCall": figure.by_call,
            "range": [figure.calls_min, figure.calls_max],
            "medianMs": figure.duration_ms,
            "ownMs": figure.own_ms,
            "readUnits": figure.read_units,
            "writeUnits": figure.write_units,
            "indexWriteUnits": figure.index_write_units,
            "writeUnitsByCall": figure.write_units_by_call,
        }
    auth = result.authorizer
    warm = auth.warm_calls + auth.warm_jwks_fetches
    return {
        "routes": routes,
        "authorizer": {
            "warmCalls": auth.warm_calls,
            "warmJwksFetches": auth.warm_jwks_fetches,
            "warmRounds": auth.warm_rounds,
            "coldCalls": auth.cold_calls,
            "coldJwksFetches": auth.cold_jwks_fetches,
            "target": targets.AUTHORIZER_CALLS_WHEN_WARM,
            "verdict": targets.verdict(warm, targets.AUTHORIZER_CALLS_WHEN_WARM),
            "medianMs": auth.duration_ms,
        },
    }


def _entry(figure: Any, target: float | None) -> dict[str, Any]:
    """A consumer's figure, per unit, beside its target."""
    return {
        "value": figure.calls_per_unit,
        "unit": figure.unit,
        "target": target,
        "verdict": targets.verdict(figure.calls_per_unit, target),
        "byCall": figure.by_call_per_unit,
        "units": figure.units,
        "batches": figure.batches,
        "readUnitsPerUnit": figure.read_units_per_unit,
        "writeUnitsPerUnit": figure.write_units_per_unit,
        "indexWriteUnitsPerUnit": figure.index_write_units_per_unit,
        "writeUnitsByCallPerUnit": figure.write_units_by_call_per_unit,
        "medianBatchMs": figure.duration_ms_per_batch,
        "ownBatchMs": figure.own_ms_per_batch,
    }


def _calls_per_email(result: Any) -> dict[str, Any]:
    return {
        "delivery": _entry(result.delivery, targets.DELIVERY_CALLS_PER_EMAIL),
        "trigger": _entry(result.trigger, targets.TRIGGER_CALLS_PER_RULE_MESSAGE),
        "feedback": _entry(result.feedback, targets.FEEDBACK_CALLS_PER_SES_EVENT),
        "triggerDelayed": _entry(result.trigger_delayed, None),
        "projection": _entry(result.projection, None),
        "sesEventsPerEmail": result.ses_events_per_email,
        "webhooks": None if result.webhooks is None else _webhooks(result.webhooks, _entry),
    }


def calls_per_sequence_step(figure: Any) -> dict[str, Any] | None:
    """Both batches of step jobs per step, against the target; per invocation (a batch); each
    batch apart, and the enrolling pass per enrollment (no target: it is the event's pass)."""
    if figure is None:
        return None
    target = targets.SEQUENCE_CALLS_PER_STEP
    per_batch = figure.steps.units / figure.steps.batches
    return {
        **_entry(figure.steps, target),
        "callsPerInvocation": figure.calls_per_invocation,
        "byCallPerInvocation": {k: v * per_batch for k, v in figure.steps.by_call_per_unit.items()},
        "firstSteps": _entry(figure.first, target),
        "laterSteps": _entry(figure.later, target),
        "enrollment": _entry(figure.enrollment, None),
        "emailStepsPerEnrollment": figure.email_steps_per_enrollment,
    }


def _webhooks(figure: Any, entry: Any) -> dict[str, Any]:
    """What one endpoint subscribed to `subscribedTypes` adds per email, and per delivery."""
    return {
        "subscribedTypes": figure.subscribed_types,
        "emails": figure.emails,
        "deliveries": figure.deliveries,
        "deliveriesPerEmail": figure.deliveries_per_email,
        "callsPerEmail": figure.calls_per_email,
        "fanOut": entry(figure.fan_out, None),
        "sender": entry(figure.sender, None),
    }


def _sequence_cost(result: Any, inputs: Any) -> dict[str, Any] | None:
    """Per 1,000 sequence emails, against the same cost target as every email."""
    steps = model.sequence_steps(result)
    if steps is None:
        return None
    document = model.sequence_cost_document(inputs, steps, Mix())
    document["target"] = targets.COST_PCT_OF_SES
    document["verdict"] = targets.verdict(document["value"], targets.COST_PCT_OF_SES)
    return document


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m devstack.bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="skip the load run and the layer")
    parser.add_argument("--load", type=int, default=300, metavar="N", help="sends in the load run")
    parser.add_argument("--concurrency", type=int, default=16, help="concurrent sends")
    parser.add_argument("--rounds", type=int, default=7, help="measured calls per route")
    parser.add_argument(
        "--import-runs", type=int, default=5, help="fresh imports per module (0 skips the phase)"
    )
    parser.add_argument(
        "--first-invoke-runs",
        type=int,
        default=3,
        help="fresh interpreters per route for its first invocation (0 skips them)",
    )
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    options = parser.parse_args(argv)
    if (
        options.load < 1
        or options.concurrency < 1
        or options.rounds < 1
        or min(options.import_runs, options.first_invoke_runs) < 0
    ):
        parser.error("--load, --concurrency and --rounds must be at least 1")

    started = time.monotonic()
    details: dict[str, Any] = {}
    phases: dict[str, float] = {}

    def phase_done(name: str, since: float) -> float:
        now = time.monotonic()
        phases[name] = round(now - since, 1)
        return now

    details["imports"] = details["sourceOnlyLayer"] = None
    if options.import_runs:
        _progress("cold imports (a fresh interpreter per import)")
        details["imports"] = startup.imports_document(imports.measure(runs=options.import_runs))
        details["sourceOnlyLayer"] = [
            asdict(figure) for figure in bytecode.measure(runs=options.import_runs)
        ]
    mark = phase_done("imports", started)

    details["layer"] = None
    if not options.quick:
        _progress("the layer, bundled as the CDK bundles it")
        details["layer"] = asdict(layer.measure())
    mark = phase_done("layer", mark)

    _progress("the handlers on moto, in process")
    from devstack.bench import inprocess  # loads nothing of the service until measure()

    result = inprocess.measure(rounds=options.rounds, first_invoke_runs=options.first_invoke_runs)
    details["firstInvokes"] = startup.first_invokes_document(result.first_invokes)
    details["callsPerRequest"] = _calls_per_request(result)
    details["callsPerEmail"] = _calls_per_email(result)
    details["callsPerSequenceStep"] = calls_per_sequence_step(result.sequence_steps)
    details["partitionHeat"] = heat.document(result.heat)
    details["pacedBurst"] = burst.document(result.burst)

    inputs = model.measured(result, model.configured_memory_mb())
    cost_doc = model.cost_document(inputs, Mix())
    cost_doc["target"] = targets.COST_PCT_OF_SES
    cost_doc["verdict"] = targets.verdict(cost_doc["value"], targets.COST_PCT_OF_SES)
    cost_doc["scenarios"] = {}
    for scenario, target in (
        (traffic.HIGH_VOLUME, targets.COST_HIGH_VOLUME_PCT_OF_SES),
        (traffic.LOW_TRAFFIC, targets.COST_LOW_TRAFFIC_PCT_OF_SES),
    ):
        figure = model.scenario_document(inputs, scenario, details["imports"])
        figure.update(target=target, verdict=targets.verdict(figure["value"], target))
        cost_doc["scenarios"][scenario.name] = figure
    details["cost"] = cost_doc
    details["sequenceCost"] = _sequence_cost(result, inputs)
    mark = phase_done("inProcess", mark)

    details["load"] = None
    if not options.quick:
        _progress(f"load: the local stack, {options.load} direct sends over HTTP")
        details["load"] = asdict(load.run(options.load, options.concurrency, progress=_progress))
    phase_done("load", mark)
    details["phaseSeconds"] = phases

    document = _document(options.quick, details, time.monotonic() - started)
    options.output.parent.mkdir(parents=True, exist_ok=True)
    options.output.write_text(json.dumps(document, indent=2) + "\n")
    print(report.render(document))
    print(f"\nwritten to {options.output} in {document['seconds']:.0f} s")
    return 0


def _document(quick: bool, details: dict[str, Any], seconds: float) -> dict[str, Any]:
    """The figures at the top (plain numbers, as named in docs/development.md), targets and verdicts
    beside them, and everything they were computed from under `details`."""
    per_request = details["callsPerRequest"]
    per_email = details["callsPerEmail"]
    per_step = details["callsPerSequenceStep"]
    imported = details["imports"]
    first = details["firstInvokes"]
    load_run = details["load"]
    figures: dict[str, Any] = {
        "awsCallsPerRequest": {
            **{route: f["calls"] for route, f in per_request["routes"].items()},
            "authorizer": per_request["authorizer"]["warmCalls"]
            + per_request["authorizer"]["warmJwksFetches"],
        },
        "awsCallsPerEmail": {
            **{key: per_email[key]["value"] for key in ("delivery", "trigger", "feedback")},
            # The fan-out's and sender's calls for one endpoint with two subscribed types.
            "webhooks": None
            if per_email["webhooks"] is None
            else per_email["webhooks"]["callsPerEmail"],
        },
        "coldImportRatioToFloor": None
        if imported is None
        else {
            module.removeprefix("functions."): f["ratioToFloor"]
            for module, f in imported["modules"].items()
        },
        "firstInvokeMs": None
        if first is None
        else {route: f["firstInvokeMs"] for route, f in first["routes"].items()},
        "firstInvokeRatio": None
        if first is None
        else {route: f["ratio"] for route, f in first["routes"].items()},
        "firstInvokeToFloor": None
        if first is None
        else {route: f["toFloor"] for route, f in first["routes"].items()},
        "layer": layer.figures(details["layer"]),
        # Logs, traces and metrics included, per scenario (details.cost.scenarios).
        "costPer1000EmailsPctOfSes": {
            name: {key: figure[key] for key in ("value", "target", "verdict", "inputs")}
            for name, figure in details["cost"]["scenarios"].items()
        },
        "awsCallsPerSequenceStep": None if per_step is None else per_step["value"],
        "costPer1000SequenceEmailsPctOfSes": None
        if details["sequenceCost"] is None
        else details["sequenceCost"]["value"],
        "webhooks": None
        if per_email["webhooks"] is None
        else {
            "subscribedTypes": per_email["webhooks"]["subscribedTypes"],
            "awsCallsPerEmail": per_email["webhooks"]["callsPerEmail"],
            "costPer1000EmailsPctOfSes": details["cost"]["webhooks"]["pctOfSes"],
        },
        "maxEmailsPerSecondPerHandle": details["partitionHeat"]["max_emails_per_second"],
        "hottestItemUnitsPerSecond": {
            "read": details["partitionHeat"]["hottest_item_read_units_per_second"],
            "write": details["partitionHeat"]["hottest_item_write_units_per_second"],
        },
        "pacedBurst": {
            key: details["pacedBurst"][key]
            for key in (
                "recipients",
                "maxSendRate",
                "drainSeconds",
                "achievedRate",
                "throttled",
                "deadLettered",
            )
        },
        "load": None
        if load_run is None
        else {
            "requests": load_run["requests"],
            "accepted": load_run["accepted"],
            "replayed": load_run["replayed"],
            "conflicts": load_run["conflicts"],
            "sent": load_run["sent"],
            "lost": load_run["lost"],
            "duplicates": load_run["duplicates"],
            "p50Ms": load_run["p50_ms"],
            "p99Ms": load_run["p99_ms"],
        },
    }
    verdicts: dict[str, Any] = {
        "awsCallsPerRequest": {
            **{route: f["verdict"] for route, f in per_request["routes"].items()},
            "authorizer": per_request["authorizer"]["verdict"],
        },
        "awsCallsPerEmail": {
            key: per_email[key]["verdict"] for key in ("delivery", "trigger", "feedback")
        },
        "coldImportRatioToFloor": None
        if imported is None
        else {
            module.removeprefix("functions."): f["verdict"]
            for module, f in imported["modules"].items()
        },
        "firstInvokeRatio": None
        if first is None
        else {route: f["verdict"] for route, f in first["routes"].items()},
        "firstInvokeToFloor": None
        if first is None
        else {route: f["verdictToFloor"] for route, f in first["routes"].items()},
        "costPer1000EmailsPctOfSes": {
            name: figure["verdict"] for name, figure in details["cost"]["scenarios"].items()
        },
        "awsCallsPerSequenceStep": None if per_step is None else per_step["verdict"],
        "costPer1000SequenceEmailsPctOfSes": None
        if details["sequenceCost"] is None
        else details["sequenceCost"]["verdict"],
        "maxEmailsPerSecondPerHandle": details["partitionHeat"]["verdict"],
        "layerUnusedBytes": None
        if details["layer"] is None
        else targets.verdict(details["layer"]["use"]["unused_bytes"], targets.LAYER_UNUSED_BYTES),
        "pacedBurst": {
            "throttledPct": details["pacedBurst"]["verdict"],
            "deadLettered": details["pacedBurst"]["deadLetteredVerdict"],
        },
    }
    if load_run is not None:
        verdicts["load"] = load_plan.verdicts(load_run)
    return {
        "generatedAt": datetime.now(UTC).isoformat(timespec="seconds"),
        "quick": quick,
        "seconds": round(seconds, 1),
        "host": {
            "python": platform.python_version(),
            "machine": platform.machine(),
            "note": "measured on this host's CPython and moto; Lambda runs arm64 / CPython 3.14",
        },
        **figures,
        "targets": {
            "sendMessageCallsPerRequest": targets.SEND_CALLS_PER_REQUEST,
            "readOnlyCallsPerRequest": targets.READ_ONLY_CALLS_PER_REQUEST,
            "authorizerCallsWhenWarm": targets.AUTHORIZER_CALLS_WHEN_WARM,
            "deliveryCallsPerEmail": targets.DELIVERY_CALLS_PER_EMAIL,
            "triggerCallsPerRuleMessage": targets.TRIGGER_CALLS_PER_RULE_MESSAGE,
            "sequenceCallsPerStep": targets.SEQUENCE_CALLS_PER_STEP,
            "feedbackCallsPerSesEvent": targets.FEEDBACK_CALLS_PER_SES_EVENT,
            "coldImportRatioToFloor": targets.COLD_IMPORT_RATIO_TO_FLOOR,
            "firstInvokeRatioReadRoute": targets.FIRST_INVOKE_RATIO_READ_ROUTE,
            "firstInvokeToFloorReadRoute": targets.FIRST_INVOKE_TO_FLOOR_READ_ROUTE,
            "costPer1000EmailsPctOfSes": {
                traffic.HIGH_VOLUME.name: targets.COST_HIGH_VOLUME_PCT_OF_SES,
                traffic.LOW_TRAFFIC.name: targets.COST_LOW_TRAFFIC_PCT_OF_SES,
            },
            "costPer1000SequenceEmailsPctOfSes": targets.COST_PCT_OF_SES,
            "minEmailsPerSecondPerHandle": targets.MIN_EMAILS_PER_SECOND_PER_HANDLE,
            "pacedBurstThrottledPct": targets.PACED_BURST_THROTTLED_PCT,
            "pacedBurstDeadLettered": 0,
            "layerUnusedBytes": targets.LAYER_UNUSED_BYTES,
            "loadLost": 0,
            "loadDuplicates": 0,
        },
        "verdicts": verdicts,
        "details": details,
    }


if __name__ == "__main__":
    sys.exit(main())
