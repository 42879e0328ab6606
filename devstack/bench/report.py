"""The printed table: every figure beside its target, from the same document as bench.json."""

from __future__ import annotations

from typing import Any

from devstack.bench import load_plan

WIDTH = 100


def _target(target: float | None, ceiling: bool = True) -> str:
    if target is None:
        return "-"
    text = f"{target:g}"
    return f"<= {text}" if ceiling and target else text


def _calls(by_call: dict[str, float]) -> str:
    return ", ".join(f"{name} {count:g}" for name, count in by_call.items())


def _row(label: str, value: str, target: str, verdict: str, detail: str = "") -> str:
    line = f"  {label:<48} {value:>9}  {target:>7}  {verdict:<4}"
    return f"{line}  {detail}" if detail else line


def _title(text: str) -> str:
    return f"\n{text}\n{'-' * min(WIDTH, len(text))}"


def _per_request(section: dict[str, Any]) -> list[str]:
    lines = [_title("AWS calls per request (warm, one representative success each, on moto)")]
    for route_id, figure in section["routes"].items():
        label = f"{route_id}{' (read-only)' if figure['readOnly'] else ''}"
        low, high = figure["range"]
        spread = "" if low == high else f" [{low}-{high}]"
        lines.append(
            _row(
                label,
                f"{figure['calls']}{spread}",
                _target(figure["target"]),
                figure["verdict"],
                _calls(figure["byCall"]),
            )
        )
    auth = section["authorizer"]
    lines.append(
        _row(
            "authorizer, warm (AWS calls + JWKS fetches)",
            str(auth["warmCalls"] + auth["warmJwksFetches"]),
            _target(auth["target"], ceiling=False),
            auth["verdict"],
            f"over {auth['warmRounds']} warm calls; cold: {auth['coldCalls']} AWS calls, "
            f"{auth['coldJwksFetches']} JWKS fetch",
        )
    )
    return lines


def _per_email(section: dict[str, Any]) -> list[str]:
    lines = [_title("AWS calls per email / message / event (batches of 10, SES calls included)")]
    for key, label in (
        ("delivery", "deliver, per email sent"),
        ("trigger", "trigger, per rule message"),
        ("feedback", "feedback, per SES event"),
        ("triggerDelayed", "trigger, per delayed rule message (both passes)"),
    ):
        figure = section[key]
        lines.append(
            _row(
                label,
                f"{figure['value']:.2f}",
                _target(figure["target"]),
                figure["verdict"],
                _calls(figure["byCall"]),
            )
        )
        writes = ", ".join(
            f"{name.removeprefix('dynamodb:')} {units:.1f}"
            for name, units in figure["writeUnitsByCallPerUnit"].items()
        )
        lines.append(
            f"  {'':<48} {'':>9}  {'':>7}  {'':<4}  DynamoDB per unit: "
            f"{figure['readUnitsPerUnit']:.1f} RRU, {figure['writeUnitsPerUnit']:.1f} WRU "
            f"({figure['indexWriteUnitsPerUnit']:.1f} of them GSI writes; by call: {writes})"
        )
    events = section["sesEventsPerEmail"]
    lines.append(f"  SES events per email: {events:g} (Delivery; Send is not subscribed)")
    hooks = section.get("webhooks")
    if hooks is not None:
        types = " + ".join(hooks["subscribedTypes"])
        lines.append(
            _row(
                f"webhooks, per email ({types})",
                f"{hooks['callsPerEmail']:.2f}",
                "-",
                "-",
                f"{hooks['deliveriesPerEmail']:g} deliveries per email over {hooks['emails']} "
                "emails",
            )
        )
        for key, label in (("fanOut", "fan-out"), ("sender", "sender")):
            figure = hooks[key]
            lines.append(
                _row(
                    f"  {label}, per delivery",
                    f"{figure['value']:.2f}",
                    "-",
                    "-",
                    f"{_calls(figure['byCall'])}; {figure['readUnitsPerUnit']:.2f} RRU, "
                    f"{figure['writeUnitsPerUnit']:.2f} WRU; "
                    f"{figure['units'] / figure['batches']:.1f} deliveries a batch",
                )
            )
    return lines

    return lines


def _price(dollars: float) -> str:
    """Small unit prices per million units, as AWS publishes them."""
    text = f"${dollars * 1e6:.4g}/M" if dollars < 1e-3 else f"${dollars:.4g}"
    return f"{text:>10}"


def _cost_line(line: dict[str, Any]) -> str:
    return (
        f"  {line['component']:<28} {line['quantityPer1000Emails']:>9.4g} {line['unit']:<10}"
        f" x {_price(line['unitPriceUsd'])} = ${line['usd']:.5f} {line['pctOfSes']:6.2f} %"
        + (f"  ({line['note']})" if line["note"] else "")
    )


def _cost(section: dict[str, Any]) -> list[str]:
    lines = [_title("Cost per 1,000 emails besides SES (us-east-1 list prices), % of SES's $0.10")]
    hooks = section.get("webhooks")
    hook_lines = [] if hooks is None else hooks["lines"]
    lines += [_cost_line(line) for line in section["lines"] + hook_lines + section["notInTarget"]]
    lines.append(
        _row(
            "full batches, logs and traces out",
            f"{section['value']:.2f} %",
            _target(section["target"]),
            section["verdict"],
            f"${section['usdPer1000Emails']:.5f} per 1,000 emails; with logs "
            f"{section['pctOfSesWithLogs']:.2f} %",
        )
    )
    if hooks is not None:
        lines.append(
            f"  webhooks add {hooks['pctOfSes']:.2f} % (without them "
            f"{hooks['pctOfSesWithoutWebhooks']:.2f} %): one endpoint subscribed to "
            f"{' and '.join(hooks['subscribedTypes'])}, {hooks['deliveriesPerEmail']:g} "
            f"deliveries per email; fan-out batches of {hooks['deliveriesPerFanOutBatch']:.1f} "
            f"deliveries (stream batches of 50 records), sender batches of "
            f"{hooks['deliveriesPerSenderBatch']:g}; an assumed {hooks['assumedPostLatencyMs']:g}"
            " ms per receiver's answer"
        )
    sensitivity = section["sensitivity"]
    mix = section["inputs"]["mix"]
    lines.append(
        f"  assumptions: {mix['direct_share']:.0%} direct sends (1 recipient each), rest campaign "
        f"rules ({mix['delayed_share_of_rules']:.0%} delayed); authorizer runs per request "
        f"{mix['authorizer_runs_per_request']:g}; {mix['ses_events_per_email']:g} SES events per "
        f"email; batches of {mix['batch_size']}"
    )
    lines.append(
        f"  Lambda: own time x{sensitivity['cpuScaleUsed']:.2f} (CPU share at "
        f"{section['inputs']['memoryMb']} MB) + assumed call latency; at this machine's CPU "
        f"speed the total would be {sensitivity['pctOfSesAtBenchCpuSpeed']:.2f} %"
    )
    billed = ", ".join(f"{k} {v:.1f}" for k, v in section["lambdaBilledMsPerEmail"].items())
    lines.append(f"  billed Lambda ms per email: {billed}")
    units = ", ".join(
        f"{k} {v['read']:.1f}/{v['write']:.1f}" for k, v in section["dynamodbUnitsPerEmail"].items()
    )
    lines.append(f"  DynamoDB RRU/WRU per email: {units}")
    return lines


def _load(section: dict[str, Any] | None) -> list[str]:
    lines = [_title("Load: direct sends over HTTP against the local stack")]
    if section is None:
        return [*lines, "  skipped (--quick)"]
    verdicts = load_plan.verdicts(section)
    unexpected = ", ".join(f"{k} x{v}" for k, v in section["unexpected"].items()) or "none"
    finals = ", ".join(f"{k} {v}" for k, v in section["final_statuses"].items())
    fresh = section["requests"] - section["planned_repeats"] - section["planned_conflicts"]
    lines += [
        _row(
            "requests (concurrency)", f"{section['requests']} ({section['concurrency']})", "-", "-"
        ),
        _row(
            "accepted (202, a key's first)",
            str(section["accepted"]),
            str(fresh),
            verdicts["accepted"],
        ),
        _row(
            "replayed (202, the key's message)",
            str(section["replayed"]),
            str(section["planned_repeats"]),
            verdicts["replayed"],
            f"answers not planned: {unexpected}",
        ),
        _row(
            "conflicts (409 idempotency_key_conflict)",
            str(section["conflicts"]),
            str(section["planned_conflicts"]),
            verdicts["conflicts"],
        ),
        _row(
            "replays naming another message",
            str(section["replay_mismatches"]),
            "0",
            verdicts["replayMismatches"],
        ),
        _row("sent", str(section["sent"]), "-", "-", f"{section['messages']} messages: {finals}"),
        _row("lost", str(section["lost"]), "0", verdicts["lost"]),
        _row(
            "duplicates",
            str(section["duplicates"]),
            "0",
            verdicts["duplicates"],
            f"{section['ses_mails']} SES sends for the run's messages",
        ),
        _row(
            "latency p50 / p99 (ms), all requests",
            f"{section['p50_ms']:.0f} / {section['p99_ms']:.0f}",
            "-",
            "-",
            f"max {section['max_ms']:.0f} ms",
        ),
        _row(
            "send phase / settle / stop (s)",
            f"{section['send_seconds']:.0f} / {section['settle_seconds']:.0f} / "
            f"{section['stop_seconds']:.0f}",
            "-",
            "-",
            f"stack exit code after SIGINT: {section['stop_exit_code']}",
        ),
    ]
    lines += [f"  note: {note}" for note in section["notes"]]
    return lines


def _heat(section: dict[str, Any]) -> list[str]:
    lines = [
        _title(
            f"Partition heat: one handle ({section['message_shards']} message shards), "
            f"{section['emails']} emails through the whole path"
        )
    ]
    binding, hot = section["binding"], section["hottest_item"]
    unit = "time-ordered collection" if section["binding_is_collection"] else "item"
    if binding["kind"] == "MSG#*":
        unit = f"messages over {section['message_shards']} shards, a time-ordered collection"
    lines.append(
        _row(
            "maxEmailsPerSecondPerHandle",
            f"{section['max_emails_per_second']:,.0f}",
            f">= {section['target']:,.0f}",
            section["verdict"],
            f"bound by the {unit} {binding['partition']} {binding['kind']}",
        )
    )
    lines.append(
        _row(
            "hottest item, units/s at that rate (read/write)",
            f"{section['hottest_item_read_units_per_second']:,.0f} / "
            f"{section['hottest_item_write_units_per_second']:,.0f}",
            "-",
            "-",
            f"{hot['partition']} {hot['kind']}",
        )
    )
    lines.append("  per 1,000 emails (read units / write units, items touched):")
    for row in section["kinds"][:12]:
        lines.append(
            f"    {row['partition'] + ' ' + row['kind']:<58} "
            f"{row['read_units_per_1000']:>9,.1f} / {row['write_units_per_1000']:>9,.1f}"
            f"  ({row['items']})"
        )
    lines += [f"  assumption: {text}" for text in section["assumptions"]]
    return lines


def _burst(section: dict[str, Any]) -> list[str]:
    lines = [
        _title(
            f"Paced burst: {section['recipients']} recipients against a local SES of "
            f"{section['maxSendRate']:g} sends/s"
        ),
        _row(
            "throttled SendEmail calls (% of calls)",
            f"{section['throttledPct']:g}",
            _target(section["target"]),
            section["verdict"],
            f"{section['throttled']} throttled, {section['sent']} sent",
        ),
        _row(
            "dead-lettered records",
            str(section["deadLettered"]),
            _target(0, ceiling=False),
            section["deadLetteredVerdict"],
        ),
        _row(
            "drain seconds / achieved sends a second",
            f"{section['drainSeconds']:.1f} / {section['achievedRate']:g}",
            "-",
            "-",
        ),
    ]
    lines += [f"  assumption: {text}" for text in section["assumptions"]]
    return lines


def render(document: dict[str, Any]) -> str:
    from devstack.bench import cost_report, layer_report, sequence_report, startup_report

    details = document["details"]
    lines = [f"tenx-email bench ({document['generatedAt']}; {document['host']['note']})"]
    lines += _per_request(details["callsPerRequest"])
    lines += _per_email(details["callsPerEmail"])
    lines += sequence_report.per_step(details.get("callsPerSequenceStep"))
    lines += startup_report.imports(details["imports"])
    lines += startup_report.source_only_layer(details.get("sourceOnlyLayer"))
    lines += startup_report.first_invokes(details.get("firstInvokes"))
    lines += layer_report.render(details["layer"])
    lines += _cost(details["cost"])
    lines += cost_report.scenarios(details["cost"])
    lines += sequence_report.cost(details.get("sequenceCost"))
    lines += _heat(details["partitionHeat"])
    lines += _burst(details["pacedBurst"])
    lines += _load(details["load"])
    phases = ", ".join(
        f"{name} {seconds:.0f} s" for name, seconds in details["phaseSeconds"].items()
    )
    lines.append(f"\nphases: {phases}")
    return "\n".join(lines)
