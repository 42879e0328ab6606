"""The real handlers on moto, in this process: AWS calls, DynamoDB request units, durations and
log volume per API request, per email delivered, per rule message and per SES event.

Everything runs against a seeded tenant (the demo seed, the contract's sender and template, a
campaign rule, a few delivered messages). Each route gets one warm-up call and then `rounds`
measured calls with a representative successful request; the first measured call's AWS calls
are its figure (the others must agree, else the spread is reported) and the median duration
feeds the cost model. Consumers are measured on batches of ten SQS records, as the event source
mappings deliver them.

Call `measure()` from a process that has not imported `tenx_email` yet: the environment the
functions read (and the stdout Powertools logs to) must be in place before they load.

This module measures; harness.py runs the handlers and counts what they do, scenario.py
seeds the tenant and says what to request, results.py holds the figures.
"""

from __future__ import annotations

import os
import sys
import time
import warnings
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from devstack.bench import burst, first_invoke, sequences
from devstack.bench.burst import BurstFigure
from devstack.bench.harness import (
    ACCOUNT_ID,
    BATCH_SIZE,
    JWT_AUDIENCE,
    JWT_ISSUER,
    OPERATOR,
    REGION,
    STAGE,
    TABLE_NAME,
    CountingSink,
    Harness,
    JwksServer,
    RouteRequest,
    WebhookReceiver,
    isolate_environment,
    lambda_context,
)
from devstack.bench.heat import HeatFigure, heat_figure
from devstack.bench.results import (
    AuthorizerFigure,
    ConsumerFigure,
    InProcessResult,
    RouteFigure,
    WebhookFigure,
    consumer_figure,
    median,
)
from devstack.bench.scenario import (
    CAMPAIGN,
    DELAYED_CAMPAIGN,
    HANDLE,
    SCHEDULE_GROUP,
    WEBHOOK_EVENTS,
    Scenario,
    send_body,
)


def route_requests(scenario: Scenario) -> dict[str, Callable[[int], RouteRequest]]:
    """Every route's representative request, the n-th of each (made once: making them seeds
    what they need)."""
    return {**scenario.route_requests(), **sequences.route_requests(scenario)}


def measure_routes(
    scenario: Scenario, requests: dict[str, Callable[[int], RouteRequest]]
) -> list[RouteFigure]:
    from tenx_email.routes import ROUTES

    missing = {r.route_id for r in ROUTES} - requests.keys()
    if missing:
        raise RuntimeError(f"bench: no representative request for {sorted(missing)}")
    figures = []
    for spec in ROUTES:
        make = requests[spec.route_id]
        scenario.h.route_sample(spec.route_id, make(0))  # warm-up
        samples = [
            scenario.h.route_sample(spec.route_id, make(i)) for i in range(1, scenario.rounds + 1)
        ]
        first = samples[0]
        figures.append(
            RouteFigure(
                route_id=spec.route_id,
                read_only=spec.read_only,
                calls=first.total_calls,
                calls_min=min(s.total_calls for s in samples),
                calls_max=max(s.total_calls for s in samples),
                by_call=first.calls,
                duration_ms=median([s.duration_ms for s in samples]),
                own_ms=median([s.own_ms for s in samples]),
                read_units=first.read_units,
                write_units=first.write_units,
                index_write_units=first.index_write_units,
                write_units_by_call=first.write_units_by_call,
                max_item_bytes=max(first.item_sizes, default=0),
                log_bytes=first.log_bytes,
                metric_log_bytes=first.metric_log_bytes,
                info_log_bytes=first.info_log_bytes,
                botocore_ms=median([s.botocore_ms for s in samples]),
            )
        )
    # Whatever the send route queued is delivered now, so the delivery figure starts clean.
    scenario.drain("delivery")
    scenario.drain("trigger-jobs")
    return figures


def measure_authorizer(scenario: Scenario, idp: Any, jwks: JwksServer) -> AuthorizerFigure:
    from functions import authorizer
    from tenx_email.services import authentication

    authentication.reset()
    token = idp.mint(OPERATOR)
    event = {
        "type": "TOKEN",
        "authorizationToken": f"Bearer {token}",
        "methodArn": f"arn:aws:execute-api:{REGION}:{ACCOUNT_ID}:api/{STAGE}/GET/v2/handles",
    }

    def work() -> int:
        answer = authorizer.handler(event, lambda_context("authorizer"))
        effect = answer["policyDocument"]["Statement"][0]["Effect"]
        if effect != "Allow":
            raise RuntimeError(f"bench: the authorizer refused the bench token: {answer}")
        return 200

    fetched = jwks.fetches
    cold = scenario.h.measure(work)
    cold_fetches, fetched = jwks.fetches - fetched, jwks.fetches
    warm = [scenario.h.measure(work) for _ in range(scenario.rounds)]
    return AuthorizerFigure(
        cold_calls=cold.total_calls,
        cold_jwks_fetches=cold_fetches,
        warm_calls=max(s.total_calls for s in warm),
        warm_jwks_fetches=jwks.fetches - fetched,
        warm_rounds=len(warm),
        duration_ms=median([s.duration_ms for s in warm]),
        own_ms=median([s.own_ms for s in warm]),
        log_bytes=warm[0].log_bytes,
        metric_log_bytes=warm[0].metric_log_bytes,
        info_log_bytes=warm[0].info_log_bytes,
        botocore_ms=median([s.botocore_ms for s in warm]),
    )


def measure_delivery(scenario: Scenario) -> tuple[ConsumerFigure, list[tuple[dict[str, Any], str]]]:
    from tenx_email.adapters import ses_account

    count = scenario.batches * BATCH_SIZE
    with scenario.h.uncounted():
        # A warm function has read SES's send rate already (it does every 10 minutes).
        ses_account.max_send_rate(REGION)
        for i in range(count):
            scenario.h.ok(
                "send_message", RouteRequest({"handle": HANDLE}, body=send_body(i, "load"))
            )
    already = len(scenario.h.ses.sent)
    samples, records = [], []
    for _ in range(scenario.batches):
        batch = scenario.receive("delivery", BATCH_SIZE)
        records.append(len(batch))
        samples.append(scenario.run_delivery_batch(batch))
    sent = scenario.h.ses.sent[already:]
    figure = consumer_figure(
        "deliver",
        "email sent",
        samples,
        records,
        [s.calls.get("sesv2:SendEmail", 0) for s in samples],
    )
    return figure, sent


def measure_feedback(scenario: Scenario, sent: list[tuple[dict[str, Any], str]]) -> ConsumerFigure:
    samples = scenario.apply_ses_events(sent)
    records = [min(BATCH_SIZE, 2 * len(sent) - i * BATCH_SIZE) for i in range(len(samples))]
    return consumer_figure("feedback", "SES event", samples, records, records)


def measure_trigger(scenario: Scenario) -> ConsumerFigure:
    count = scenario.batches * BATCH_SIZE
    scenario.capture_leads(CAMPAIGN, count)
    samples, records, made = [], [], []
    scenario.drain("delivery")
    for _ in range(scenario.batches):
        batch = scenario.receive("trigger-jobs", BATCH_SIZE)
        records.append(len(batch))
        samples.append(scenario.run_trigger_batch(batch))
        made.append(scenario.drain("delivery"))  # each rule message is queued for delivery
    return consumer_figure("trigger", "rule message", samples, records, made)


def measure_trigger_delayed(scenario: Scenario) -> ConsumerFigure:
    """A delayed rule: the event's pass makes one schedule per lead; the Scheduler later
    puts each schedule's job on the queue, and that pass makes the message."""
    import boto3

    scheduler = boto3.client("scheduler", region_name=REGION)
    scenario.capture_leads(DELAYED_CAMPAIGN, BATCH_SIZE)
    scenario.drain("delivery")
    first = scenario.run_trigger_batch(scenario.receive("trigger-jobs", BATCH_SIZE))
    made_first = scenario.drain("delivery")  # none: this pass only schedules
    with scenario.h.uncounted():
        names = [s["Name"] for s in scheduler.list_schedules(GroupName=SCHEDULE_GROUP)["Schedules"]]
        inputs = [
            scheduler.get_schedule(Name=name, GroupName=SCHEDULE_GROUP)["Target"]["Input"]
            for name in names
        ]
        for body in inputs:
            scenario.sqs.send_message(QueueUrl=scenario.queues["trigger-jobs"], MessageBody=body)
    fired = scenario.run_trigger_batch(scenario.receive("trigger-jobs", len(inputs)))
    samples = [first, fired]
    made = [made_first, scenario.drain("delivery")]
    return consumer_figure(
        "trigger (delayed)", "delayed rule message", samples, [BATCH_SIZE, len(inputs)], made
    )


def measure_projection(scenario: Scenario) -> ConsumerFigure:
    """The event projection over everything the scenario wrote, as its stream event source
    hands it over: message items' changes only, in batches of the mapping's size."""
    import boto3
    from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import (
        DynamoDBRecord,
    )

    from devstack.streams import StreamPoller, stream_arn
    from functions import project_events
    from tenx_email.adapters.table_stream import streams_client
    from tenx_email.dal.feeds import recipient_messages
    from tenx_email.resources import EVENT_PROJECTION
    from tenx_email.services.projection import message_change
    from tenx_email.services.sequence_stats import is_enrollment, is_sequence

    samples, records, events = [], [], []

    def consume(event: dict[str, Any]) -> None:
        # The stream's sequence and enrollment items go to the projection too (its stats and
        # cascades); only the messages' changes are events.
        batch = [DynamoDBRecord(record) for record in event["Records"]]
        changes = [message_change(r) for r in batch if not (is_enrollment(r) or is_sequence(r))]
        records.append(len(batch))
        events.append(sum(len(change.events) for change in changes))
        # The items naming new messages under their recipients, and rule messages' runs,
        # are charged by the cost model (one write each, under 1 KB) per recipient and per
        # rule message; the figure keeps the feed pages and usage charges.
        stored = [change.stored for change in changes if change.stored]
        named = sum(len(recipient_messages(message)) for message in stored)
        named += sum(1 for message in stored if message.rule_run() is not None)

        def work() -> int:
            project_events.handler(
                event, lambda_context("project_events", EVENT_PROJECTION.timeout_seconds)
            )
            return 0

        sample = scenario.h.measure(work)
        samples.append(replace(sample, write_units=sample.write_units - named))

    with scenario.h.uncounted():
        arn = stream_arn(boto3.client("dynamodb", region_name=REGION), TABLE_NAME)
        poller = StreamPoller(streams_client(REGION), arn, EVENT_PROJECTION, consume)
    # The poller's own stream reads are counted too, but outside any sample: Lambda's
    # event source reads the stream at no charge to the function.
    poller.drain()
    scenario.stream_poller = poller
    return consumer_figure("project_events", "event projected", samples, records, events)


def measure_heat(scenario: Scenario, emails: int, shards: int) -> HeatFigure:
    """`emails` emails through the whole path in one capacity window: the send route, delivery,
    SES's Delivery events, the projection; each to a recipient of its own, from a handle
    whose messages are spread over `shards` (as an operator sets a high-volume handle up)."""
    from tenx_email.services import tenancy

    assert scenario.stream_poller is not None, "measure_projection runs first"
    h = scenario.h
    with h.uncounted():
        if shards > 1:
            tenancy.set_message_shards(HANDLE, shards)
    with h.meter.window() as window:
        already = len(h.ses.sent)
        for i in range(emails):
            body = {**send_body(i, "heat"), "to": [f"reader+{i}@example.com"]}
            h.ok("send_message", RouteRequest({"handle": HANDLE}, body=body))
        scenario.deliver_all(emails)
        events = scenario.ses_events(h.ses.sent[already:])
        for start in range(0, len(events), BATCH_SIZE):
            scenario.run_feedback_batch(events[start : start + BATCH_SIZE])
        scenario.stream_poller.drain()
    return heat_figure(window.item_units, emails, shards)


def measure_burst(scenario: Scenario) -> BurstFigure:
    """The paced burst (burst.py): its recipients queued through the send route, then drained
    by the delivery consumer against the local SES at burst.MAX_SEND_RATE (uncounted)."""
    from devstack.environment import DEFAULT_MAX_SEND_RATE
    from devstack.pollers import SqsPoller
    from functions import deliver
    from tenx_email import resources
    from tenx_email.adapters import ses_account
    from tenx_email.services import quotas

    h, spec = scenario.h, resources.DELIVERY_QUEUE
    per_message = burst.RECIPIENTS_PER_MESSAGE
    with h.uncounted():
        quotas.set_daily_limit(HANDLE, quotas.MAX_DAILY_LIMIT)
        for m in range(burst.RECIPIENTS // per_message):
            to = [f"burst{m}-{k}@example.com" for k in range(per_message)]
            body = {**send_body(m, "burst"), "to": to}
            h.ok("send_message", RouteRequest({"handle": HANDLE}, body=body))
        h.ses_rate.max_send_rate = burst.MAX_SEND_RATE
        ses_account.reset()  # delivery reads the lowered rate
        dead_letters = scenario.sqs.get_queue_url(
            QueueName=resources.queue_name(STAGE, spec, dead_letter=True)
        )["QueueUrl"]

        def dead_lettered() -> int:
            attributes = scenario.sqs.get_queue_attributes(
                QueueUrl=dead_letters, AttributeNames=["ApproximateNumberOfMessages"]
            )["Attributes"]
            return int(attributes["ApproximateNumberOfMessages"])

        poller = SqsPoller(
            scenario.sqs,
            spec,
            scenario.queues[spec.key],
            scenario.queue_arns[spec.key],
            lambda event: deliver.handler(event, lambda_context("deliver")),
            wait_seconds=0,
        )
        figure = burst.drain(poller.poll_once, h.ses_rate, burst.RECIPIENTS, dead_lettered)
        h.ses_rate.max_send_rate = DEFAULT_MAX_SEND_RATE
        ses_account.reset()
    return figure


def measure_webhooks(scenario: Scenario, receiver: WebhookReceiver, emails: int) -> WebhookFigure:
    """`emails` direct sends, delivered and with SES's Delivery events applied (uncounted),
    then the real fan-out over the stream records they made, in the stream event source's
    batches, and the real sender over the deliveries it queued, in the queue's batches. The
    time the sender spends in its POSTs (to the loopback receiver) is taken out of its own
    time: the cost model assumes a receiver's answer time instead."""
    from tenx_email import resources
    from tenx_email.adapters import secret_box, webhook_http

    h, poller = scenario.h, scenario.fan_out_poller
    assert poller is not None, "seed made the fan-out's poller"
    with h.uncounted():
        # What earlier phases queued (replays, test events) and wrote is not this figure's.
        poller.drain()
        scenario.drain("webhooks")
        already = len(h.ses.sent)
        for i in range(emails):
            h.ok("send_message", RouteRequest({"handle": HANDLE}, body=send_body(i, "hooks")))
        scenario.deliver_all(emails)
        scenario.apply_ses_events(h.ses.sent[already:])

    def depth() -> int:
        with h.uncounted():
            attributes = scenario.sqs.get_queue_attributes(
                QueueUrl=scenario.queues["webhooks"],
                AttributeNames=["ApproximateNumberOfMessages"],
            )["Attributes"]
        return int(attributes["ApproximateNumberOfMessages"])

    fan_out_samples, fan_out_records, queued = [], [], []

    def fan_out(event: dict[str, Any]) -> None:
        before = depth()
        fan_out_samples.append(scenario.run_fan_out_batch(event))
        fan_out_records.append(len(event["Records"]))
        queued.append(depth() - before)

    scenario.fan_out_consumer = fan_out
    poller.drain()
    scenario.fan_out_consumer = lambda event: None

    posting: list[tuple[float, float]] = []  # each POST's (start, end), in the sender's threads
    real_post = webhook_http.post

    def timed_post(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return real_post(*args, **kwargs)
        finally:
            posting.append((started, time.perf_counter()))

    # As a container started for this traffic: it decrypts the endpoint's secret once (the
    # seed's deliveries had it cached already).
    secret_box.reset()
    size = resources.WEBHOOK_QUEUE.batch_size
    sender_samples, sender_records, posted = [], [], []
    webhook_http.post = timed_post
    try:
        while batch := scenario.receive("webhooks", size):
            posts = receiver.posts
            posting.clear()
            sample = scenario.run_sender_batch(batch)
            waited = _covered_seconds(posting) * 1000
            sender_samples.append(replace(sample, duration_ms=sample.duration_ms - waited))
            sender_records.append(len(batch))
            posted.append(receiver.posts - posts)
    finally:
        webhook_http.post = real_post
    deliveries = sum(queued)
    if sum(posted) != deliveries:
        raise RuntimeError(f"bench: {deliveries} webhook deliveries queued, {sum(posted)} POSTed")
    return WebhookFigure(
        subscribed_types=list(WEBHOOK_EVENTS),
        emails=emails,
        deliveries=deliveries,
        fan_out=consumer_figure(
            "fan_out_webhooks", "webhook delivery", fan_out_samples, fan_out_records, queued
        ),
        sender=consumer_figure(
            "send_webhooks", "webhook delivery", sender_samples, sender_records, posted
        ),
    )


def _covered_seconds(intervals: list[tuple[float, float]]) -> float:
    """How long at least one of the (start, end) intervals was under way (the sender's POSTs
    overlap: the batch waits for their union, not their sum)."""
    covered, reached = 0.0, float("-inf")
    for start, end in sorted(intervals):
        if end > reached:
            covered += end - max(start, reached)
            reached = end
    return covered


# Emails the webhook figure fans out: 3 stream records each, so the fan-out's batches of 50
# are mostly full, as at volume.
WEBHOOK_EMAILS = 50

# What `make bench` gives the heat run's handle: the most one handle needs for the target
# (docs/operations.md, "One handle at high volume").
HEAT_SHARDS = 16


def measure(
    rounds: int = 7, batches: int = 3, heat_emails: int = 200, first_invoke_runs: int = 3
) -> InProcessResult:
    """Run the whole in-process scenario on a fresh moto; see the module docstring."""
    from devstack.idp import LocalIdentityProvider

    idp = LocalIdentityProvider(JWT_ISSUER, JWT_AUDIENCE)
    sink = CountingSink()
    real_stdout = sys.stdout
    saved_environment = dict(os.environ)
    with (
        JwksServer(idp.jwks()) as jwks,
        WebhookReceiver() as receiver,
        warnings.catch_warnings(),
    ):
        warnings.simplefilter("ignore")
        isolate_environment(jwks.url)
        sys.stdout = sink
        try:
            from moto import mock_aws

            with mock_aws():
                harness = Harness(sink)
                harness.attach()
                scenario = Scenario(
                    harness, rounds=rounds, batches=batches, webhook_url=receiver.url
                )
                scenario.provision()
                scenario.seed()
                requests = route_requests(scenario)
                routes = measure_routes(scenario, requests)
                # Early, while moto holds little: its emulation slows as the table grows.
                first_invokes = first_invoke.measure_in(scenario, requests, first_invoke_runs)
                authorizer = measure_authorizer(scenario, idp, jwks)
                delivery, sent = measure_delivery(scenario)
                feedback = measure_feedback(scenario, sent)
                trigger = measure_trigger(scenario)
                trigger_delayed = measure_trigger_delayed(scenario)
                projection = measure_projection(scenario)
                heat = measure_heat(scenario, heat_emails, HEAT_SHARDS)
                paced_burst = measure_burst(scenario)
                webhooks = measure_webhooks(scenario, receiver, WEBHOOK_EMAILS)
                sequence_steps = sequences.measure_sequence_steps(scenario)  # moves the clock
        finally:
            sys.stdout = real_stdout
            os.environ.clear()
            os.environ.update(saved_environment)
    return InProcessResult(
        routes=routes,
        authorizer=authorizer,
        delivery=delivery,
        trigger=trigger,
        trigger_delayed=trigger_delayed,
        projection=projection,
        feedback=feedback,
        ses_events_per_email=scenario.ses_events_per_email,
        heat=heat,
        burst=paced_burst,
        webhooks=webhooks,
        sequence_steps=sequence_steps,
        first_invokes=first_invokes,
    )
