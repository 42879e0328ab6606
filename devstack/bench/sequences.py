"""Sequences in the in-process bench: the sequence and campaign-settings routes' representative
requests, and the sequence-step figure (issue 17: AWS calls per step, target <= 3, like a rule
message).

A sequence on a campaign of its own (an email now, a wait, a second email; it exits on a
conversion): leads are captured on the campaign, the enrolling trigger pass runs (counted,
apart: the cost model spreads it over the enrollment's email steps), then the step jobs it
queued are measured as one batch, and, with the clock past the wait, the jobs of the schedules
that batch made (their `Target.Input`, as the Scheduler puts them on the queue) as another.

Runs last: it moves the service's clock forward, and nothing measured after it reads the clock.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from devstack.bench.harness import BATCH_SIZE, REGION, RouteRequest
from devstack.bench.results import Sample, SequenceStepFigure, consumer_figure
from devstack.bench.scenario import (
    HANDLE,
    RULE,
    SCHEDULE_GROUP,
    SENDER_ID,
    TEMPLATE_ID,
    Scenario,
    lead_body,
)

SEQUENCE_CAMPAIGN = "cmp_bench_sequence"  # the step figure's sequence, alone on its campaign
SEQUENCE_ROUTES_CAMPAIGN = "cmp_bench_sequence_routes"  # what the sequence routes change
WAIT_MINUTES = 20
EMAIL_STEP = {
    "type": "email",
    "templateId": TEMPLATE_ID,
    "senderId": SENDER_ID,
    "variableMappings": RULE["variableMappings"],
}
# Lead captured -> an email now -> wait 20 minutes -> a second email.
STEPS = [EMAIL_STEP, {"type": "wait", "minutes": WAIT_MINUTES}, EMAIL_STEP]
EMAIL_STEPS_PER_ENROLLMENT = sum(1 for step in STEPS if step["type"] == "email")
CREATED_NAME = "Bench created"  # what the create route makes and the delete route removes


def sequence_body(name: str = "Bench drip") -> dict[str, Any]:
    return {"name": name, "trigger": "LEAD_CAPTURED", "steps": STEPS, "exitOn": ["CONVERSION"]}


def route_requests(scenario: Scenario) -> dict[str, Callable[[int], RouteRequest]]:
    """The campaign settings, sequence and enrollment routes' requests, on a campaign of their
    own: the delete route removes what the create route made (the campaign has room for 20);
    each round enrolls a lead captured for it, which the stop route then stops."""
    from tenx_email.services import tenancy

    h = scenario.h
    path = {"handle": HANDLE, "campaignId": SEQUENCE_ROUTES_CAMPAIGN}
    with h.uncounted():
        tenancy.register_campaign(HANDLE, SEQUENCE_ROUTES_CAMPAIGN, "Bench sequence routes")
        made = h.ok("create_sequence", RouteRequest(path, body=sequence_body()))
    one = {**path, "sequenceId": made["sequence"]["sequenceId"]}

    enrolled: dict[int, str] = {}  # round -> the lead enroll_lead enrolled, for stop_enrollment

    def enroll(i: int) -> RouteRequest:
        with h.uncounted():
            lead = h.ok("capture_lead", RouteRequest(path, body=lead_body(i + 2000)))["leadId"]
        enrolled[i] = lead
        return RouteRequest(one, body={"leadId": lead})

    def created(_: int) -> RouteRequest:
        listed = h.ok("list_sequences", RouteRequest(path))["sequences"]
        found = next(s for s in listed if s["name"] == CREATED_NAME)
        return RouteRequest({**path, "sequenceId": found["sequenceId"]})

    return {
        "get_campaign_settings": lambda i: RouteRequest(path),
        "put_campaign_settings": lambda i: RouteRequest(
            path, body={"contactCooldownMinutes": i % 2}
        ),
        "list_sequences": lambda i: RouteRequest(path),
        "create_sequence": lambda i: RouteRequest(path, body=sequence_body(CREATED_NAME)),
        "get_sequence": lambda i: RouteRequest(one),
        "update_sequence": lambda i: RouteRequest(one, body=sequence_body(f"Bench drip {i}")),
        "delete_sequence": created,
        "get_sequence_stats": lambda i: RouteRequest(one),
        "list_enrollments": lambda i: RouteRequest(one),
        "enroll_lead": enroll,
        "stop_enrollment": lambda i: RouteRequest({**one, "leadId": enrolled[i]}),
    }


def _schedule_names(scheduler: Any) -> set[str]:
    pages = scheduler.get_paginator("list_schedules").paginate(GroupName=SCHEDULE_GROUP)
    return {s["Name"] for page in pages for s in page["Schedules"]}


def _fire(scenario: Scenario, scheduler: Any, names: set[str]) -> list[Any]:
    """Put each schedule's job on the trigger-jobs queue, as the Scheduler does when it fires
    (uncounted: the Scheduler's own delivery, which the cost model charges), and receive them."""
    with scenario.h.uncounted():
        for name in sorted(names):
            target = scheduler.get_schedule(Name=name, GroupName=SCHEDULE_GROUP)["Target"]
            scenario.sqs.send_message(
                QueueUrl=scenario.queues["trigger-jobs"], MessageBody=target["Input"]
            )
    return scenario.receive("trigger-jobs", len(names))


def _step_batch(scenario: Scenario, jobs: list[Any]) -> tuple[Sample, int]:
    """One batch of step jobs, measured; and the emails it queued for delivery."""
    kinds = {json.loads(job["Body"]).get("kind") for job in jobs}
    if kinds != {"sequence-step"}:
        raise RuntimeError(f"bench: expected sequence-step jobs, received {sorted(kinds)}")
    sample = scenario.run_trigger_batch(jobs)
    return sample, scenario.drain("delivery")


def measure_sequence_steps(scenario: Scenario) -> SequenceStepFigure:
    import boto3

    from tenx_email import clock
    from tenx_email.services import tenancy

    h = scenario.h
    scheduler = boto3.client("scheduler", region_name=REGION)
    with h.uncounted():
        # The bench's receives leave records in flight, as a mapping does until the function
        # returns; earlier phases' would come back within this one's batches.
        for key in ("trigger-jobs", "delivery"):
            scenario.sqs.purge_queue(QueueUrl=scenario.queues[key])
        tenancy.register_campaign(HANDLE, SEQUENCE_CAMPAIGN, "Bench sequence")
        h.ok(
            "create_sequence",
            RouteRequest({"handle": HANDLE, "campaignId": SEQUENCE_CAMPAIGN}, body=sequence_body()),
        )
        before = _schedule_names(scheduler)
    scenario.capture_leads(SEQUENCE_CAMPAIGN, BATCH_SIZE)
    events = scenario.receive("trigger-jobs", BATCH_SIZE)
    enrolling = scenario.run_trigger_batch(events)
    first, made_first = _step_batch(scenario, scenario.receive("trigger-jobs", BATCH_SIZE))
    with h.uncounted():
        scheduled = _schedule_names(scheduler) - before
    clock.advance(timedelta(minutes=WAIT_MINUTES + 1))
    later_jobs = _fire(scenario, scheduler, scheduled)
    later, made_later = _step_batch(scenario, later_jobs)
    steps = [BATCH_SIZE, len(later_jobs)]
    if [made_first, made_later] != steps:
        raise RuntimeError(f"bench: step batches of {steps} made {[made_first, made_later]} emails")
    unit = "sequence step"
    return SequenceStepFigure(
        steps=consumer_figure("trigger (sequence steps)", unit, [first, later], steps, steps),
        first=consumer_figure("trigger (first steps)", unit, [first], steps[:1], steps[:1]),
        later=consumer_figure("trigger (later steps)", unit, [later], steps[1:], steps[1:]),
        enrollment=consumer_figure(
            "trigger (enrollment)", "enrollment", [enrolling], [len(events)], [len(events)]
        ),
        email_steps_per_enrollment=EMAIL_STEPS_PER_ENROLLMENT,
    )
