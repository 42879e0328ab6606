"""Campaign trigger jobs through the real routes and the real trigger Lambda, on moto:
immediate and conversion rules, delayed rules through EventBridge Scheduler, the bus path,
and every way a job can repeat."""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from devstack.pollers import sqs_event
from devstack.resources import create_queue
from functions import trigger
from tenx_email import clock, resources
from tenx_email.dal import messages as message_store
from tenx_email.dal import triggers as store
from tenx_email.roles import Role
from tenx_email.services import tenancy
from tenx_email.services.delayed_rules import schedule_name
from tenx_email.services.rule_messages import rule_message_id
from tenx_email.services.trigger_jobs import CampaignEventJob
from tests.events import FakeLambdaContext, invoke
from tests.integration.conftest import MEMBERS
from tests.integration.test_send_routes import SENDER, TEMPLATE

OPERATOR = MEMBERS[Role.OPERATOR]
CAMPAIGN = {"handle": "acme", "campaignId": "cmp_welcome"}
GROUP = "tenx-email-test-campaign-delays"
LEAD = {"email": "asha@example.com", "name": "Asha Rao", "fields": {"service": "AI workflow setup"}}
IMMEDIATE = {
    "trigger": "LEAD_CAPTURED",
    "templateId": "tmpl_lead_followup",
    "senderId": "sender_notifications",
    "enabled": True,
    "variableMappings": {"firstName": "firstName", "service": "fields.service"},
}


@pytest.fixture
def trigger_queue(
    tenant: None, delivery_queue: str, monkeypatch: pytest.MonkeyPatch
) -> Iterator[str]:
    from tenx_email.settings import trigger_settings

    sqs = boto3.client("sqs")
    urls = create_queue(sqs, "test", resources.TRIGGER_JOBS_QUEUE)
    arn = sqs.get_queue_attributes(QueueUrl=urls.queue_url, AttributeNames=["QueueArn"])
    dlq = sqs.get_queue_attributes(QueueUrl=urls.dead_letter_url, AttributeNames=["QueueArn"])
    boto3.client("scheduler").create_schedule_group(Name=GROUP)
    monkeypatch.setenv("TRIGGER_JOBS_QUEUE_URL", urls.queue_url)
    monkeypatch.setenv("TRIGGER_JOBS_QUEUE_ARN", arn["Attributes"]["QueueArn"])
    monkeypatch.setenv("TRIGGER_JOBS_DLQ_ARN", dlq["Attributes"]["QueueArn"])
    monkeypatch.setenv("SCHEDULE_GROUP_NAME", GROUP)
    monkeypatch.setenv("SCHEDULER_ROLE_ARN", "arn:aws:iam::123456789012:role/scheduler")
    trigger_settings.cache_clear()
    tenancy.register_campaign("acme", "cmp_welcome", "Welcome")
    invoke(
        "put_sender",
        {"handle": "acme", "senderId": "sender_notifications"},
        sub=OPERATOR,
        body=SENDER,
    )
    invoke("create_template", {"handle": "acme"}, sub=OPERATOR, body=TEMPLATE)
    yield urls.queue_url
    trigger_settings.cache_clear()


def create_rule(body: dict[str, Any]) -> dict[str, Any]:
    status, created = invoke("create_email_rule", CAMPAIGN, sub=OPERATOR, body=body)
    assert status == 201, created
    return dict(created["rule"])


def capture(lead: dict[str, Any] | None = None) -> dict[str, Any]:
    status, accepted = invoke("capture_lead", CAMPAIGN, sub=OPERATOR, body=lead or LEAD)
    assert status == 202, accepted
    return dict(accepted)


def drain(queue_url: str, wait_seconds: int = 0) -> list[dict[str, Any]]:
    """Everything waiting on a queue, as raw SQS messages (waiting out a send delay)."""
    sqs, found = boto3.client("sqs"), []
    receive = {"QueueUrl": queue_url, "MaxNumberOfMessages": 10, "WaitTimeSeconds": wait_seconds}
    while batch := sqs.receive_message(**receive).get("Messages"):
        found += batch
        for message in batch:
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
    return found


def run_trigger(queue_url: str, messages: list[dict[str, Any]]) -> dict[str, Any]:
    arn = boto3.client("sqs").get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])
    return trigger.handler(sqs_event(messages, arn["Attributes"]["QueueArn"]), FakeLambdaContext())


def rule_messages() -> list[Any]:
    return message_store.list_messages(
        "acme", status=None, purpose=None, limit=100, next_token=None, shards=1
    ).items


def schedules() -> list[dict[str, Any]]:
    client = boto3.client("scheduler")
    listed = client.list_schedules(GroupName=GROUP)["Schedules"]
    return [client.get_schedule(Name=s["Name"], GroupName=GROUP) for s in listed]


def as_received(message_id: str, body: str) -> dict[str, Any]:
    """A queue message as SQS hands it out (for jobs that reach the queue from elsewhere)."""
    md5 = hashlib.md5(body.encode(), usedforsecurity=False).hexdigest()
    return {"MessageId": message_id, "ReceiptHandle": "rh", "Body": body, "MD5OfBody": md5}


def fire(queue_url: str, schedule: dict[str, Any]) -> dict[str, Any]:
    """What the Scheduler does when the schedule is due: its input lands on the queue."""
    return run_trigger(
        queue_url, [as_received(f"sched-{schedule['Name']}", schedule["Target"]["Input"])]
    )


def test_an_immediate_rule_makes_one_rendered_message_per_lead(
    trigger_queue: str, delivery_queue: str
) -> None:
    rule = create_rule(IMMEDIATE)
    accepted = capture()
    assert accepted["eventId"].startswith("evt_")

    jobs = drain(trigger_queue)
    assert run_trigger(trigger_queue, jobs) == {"batchItemFailures": []}

    (message,) = rule_messages()
    assert message.subject == "Thanks for reaching out, Asha"
    assert (message.rule_id, message.rule_version, message.template_version) == (
        rule["ruleId"],
        1,
        1,
    )
    assert message.purpose.value == "PRODUCT_NOTIFICATION"
    assert [r.email for r in message.recipients] == ["asha@example.com"]
    assert message.variables["service"] == "AI workflow setup"
    queued = [json.loads(m["Body"]) for m in drain(delivery_queue, wait_seconds=2)]
    assert queued == [{"handle": "acme", "messageId": message.message_id}]


def test_the_same_event_twice_makes_one_message_per_rule(
    trigger_queue: str, delivery_queue: str
) -> None:
    create_rule(IMMEDIATE)
    create_rule({**IMMEDIATE, "variableMappings": {}})
    capture()
    jobs = drain(trigger_queue)
    run_trigger(trigger_queue, jobs)
    run_trigger(trigger_queue, jobs)
    assert len(rule_messages()) == 2


def test_rules_created_after_the_event_do_not_apply(trigger_queue: str) -> None:
    capture()
    jobs = drain(trigger_queue)
    create_rule(IMMEDIATE)
    run_trigger(trigger_queue, jobs)
    assert rule_messages() == []


def test_disabled_and_deleted_rules_do_not_fire(trigger_queue: str) -> None:
    create_rule({**IMMEDIATE, "enabled": False})
    deleted = create_rule(IMMEDIATE)
    invoke("delete_email_rule", {**CAMPAIGN, "ruleId": deleted["ruleId"]}, sub=OPERATOR)
    capture()
    run_trigger(trigger_queue, drain(trigger_queue))
    assert rule_messages() == []


def test_a_conversion_rule_fires_on_a_conversion_not_on_a_capture(trigger_queue: str) -> None:
    create_rule({**IMMEDIATE, "trigger": "CONVERSION"})
    lead_id = capture()["leadId"]
    run_trigger(trigger_queue, drain(trigger_queue))
    assert rule_messages() == []

    status, accepted = invoke("record_conversion", CAMPAIGN, sub=OPERATOR, body={"leadId": lead_id})
    assert (status, accepted["type"]) == (202, "CONVERSION")
    run_trigger(trigger_queue, drain(trigger_queue))
    assert len(rule_messages()) == 1


def test_a_conversion_needs_a_lead_captured_on_that_campaign(trigger_queue: str) -> None:
    status, body = invoke(
        "record_conversion", CAMPAIGN, sub=OPERATOR, body={"leadId": "lead_unknown"}
    )
    assert (status, body["error"]) == (404, "lead_not_found")
    missing = {"handle": "acme", "campaignId": "cmp_nope"}
    status, body = invoke("capture_lead", missing, sub=OPERATOR, body=LEAD)
    assert (status, body["error"]) == (404, "campaign_not_found")


@pytest.mark.parametrize(
    "lead",
    [
        {"email": "not-an-address"},
        {"email": "a@example.com\r\nBcc: victim@example.com"},
        {"email": "a@example.com", "status": "VIP"},
        {"email": "a@example.com", "fields": {"bad key": "x"}},
        {"email": "a@example.com", "message": "x" * 2001},
    ],
)
def test_bad_leads_are_refused(trigger_queue: str, lead: dict[str, Any]) -> None:
    status, body = invoke("capture_lead", CAMPAIGN, sub=OPERATOR, body=lead)
    assert (status, body["error"]) == (400, "invalid_request")


def test_a_lead_whose_name_would_break_the_subject_is_skipped_and_recorded(
    trigger_queue: str,
) -> None:
    rule = create_rule(IMMEDIATE)
    capture({**LEAD, "firstName": "Asha\r\nBcc: victim@example.com"})
    run_trigger(trigger_queue, drain(trigger_queue))
    assert rule_messages() == []
    status, runs = invoke("list_rule_runs", {**CAMPAIGN, "ruleId": rule["ruleId"]}, sub=OPERATOR)
    assert status == 200
    assert [(run["outcome"], run["reason"]) for run in runs["runs"]] == [
        ("SKIPPED", "the lead's data would break the subject line")
    ]


def test_a_lead_whose_data_would_make_the_message_too_large_is_skipped_and_recorded(
    trigger_queue: str,
) -> None:
    # Given a rule whose template repeats the lead's message in its subject (90 times, within
    # the subject's 998 characters), and a lead whose message is 2,000 emoji (8,000 bytes)
    template = {
        "templateId": "tmpl_echo",
        "name": "Echo",
        "subject": "{{message}}" * 90,
        "text": "Hi",
    }
    assert invoke("create_template", {"handle": "acme"}, sub=OPERATOR, body=template)[0] == 201
    rule = create_rule({**IMMEDIATE, "templateId": "tmpl_echo"})

    # When the lead is captured and its job runs
    capture({**LEAD, "message": "🚀" * 2000})
    run_trigger(trigger_queue, drain(trigger_queue))

    # Then no message was made (720 KB of subject could never be stored), and the run says why
    assert rule_messages() == []
    status, runs = invoke("list_rule_runs", {**CAMPAIGN, "ruleId": rule["ruleId"]}, sub=OPERATOR)
    assert status == 200
    assert [(run["outcome"], run["reason"]) for run in runs["runs"]] == [
        ("SKIPPED", "the lead's data would make the message too large to store (message_too_large)")
    ]


def test_a_delayed_rule_makes_one_schedule_and_one_message_when_it_fires_twice(
    trigger_queue: str, project_events: Callable[[], int]
) -> None:
    rule = create_rule({**IMMEDIATE, "trigger": "LEAD_CAPTURED_DELAYED", "delayMinutes": 1440})
    event_id = capture()["eventId"]
    jobs = drain(trigger_queue)
    run_trigger(trigger_queue, jobs)
    run_trigger(trigger_queue, jobs)  # the capture job delivered twice

    (schedule,) = schedules()
    assert schedule["Name"] == schedule_name(rule["ruleId"], event_id)
    assert schedule["ActionAfterCompletion"] == "DELETE"
    assert schedule["Target"]["DeadLetterConfig"]["Arn"].endswith("trigger-jobs-dlq")
    assert schedule["Target"]["RetryPolicy"]["MaximumRetryAttempts"] > 0
    due = clock.now() + timedelta(minutes=1440)
    fires_at = schedule["ScheduleExpression"].removeprefix("at(").removesuffix(")")
    assert (
        abs(
            (
                due.replace(tzinfo=None) - __import__("datetime").datetime.fromisoformat(fires_at)
            ).total_seconds()
        )
        < 120
    )
    assert rule_messages() == []

    assert fire(trigger_queue, schedule) == {"batchItemFailures": []}
    assert fire(trigger_queue, schedule) == {"batchItemFailures": []}
    (message,) = rule_messages()
    assert message.subject == "Thanks for reaching out, Asha"
    # And once its run has moved on (the projection saw the message), a late copy of the
    # schedule's job is a no-op too, not a failure
    project_events()
    assert [run["outcome"] for run in runs_of(rule["ruleId"])] == ["MESSAGE_CREATED"]
    assert fire(trigger_queue, schedule) == {"batchItemFailures": []}
    assert len(rule_messages()) == 1


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ("delete", "the rule was deleted before its delay ran out"),
        ("disable", "the rule was disabled before its delay ran out"),
        ("retrigger", "the rule's trigger changed to LEAD_CAPTURED"),
    ],
)
def test_a_delayed_rule_changed_before_it_fires_sends_nothing(
    trigger_queue: str, change: str, reason: str
) -> None:
    delayed = {**IMMEDIATE, "trigger": "LEAD_CAPTURED_DELAYED", "delayMinutes": 15}
    rule = create_rule(delayed)
    capture()
    run_trigger(trigger_queue, drain(trigger_queue))
    (schedule,) = schedules()
    path = {**CAMPAIGN, "ruleId": rule["ruleId"]}
    if change == "delete":
        invoke("delete_email_rule", path, sub=OPERATOR)
    elif change == "disable":
        invoke("update_email_rule", path, sub=OPERATOR, body={**delayed, "enabled": False})
    else:
        invoke("update_email_rule", path, sub=OPERATOR, body=IMMEDIATE)

    fire(trigger_queue, schedule)
    assert rule_messages() == []
    _, runs = invoke("list_rule_runs", path, sub=OPERATOR)
    assert [(run["outcome"], run["reason"]) for run in runs["runs"]] == [("SKIPPED", reason)]


def bus_event(
    detail_type: str, detail: dict[str, Any], event_id: str = "1b2c3d4e"
) -> dict[str, Any]:
    body = {
        "version": "0",
        "id": event_id,
        "detail-type": detail_type,
        "source": "tenx.campaigns",
        "account": "123456789012",
        "time": "2026-11-21T10:00:00Z",
        "region": "us-east-1",
        "resources": [],
        "detail": detail,
    }
    return as_received(f"bus-{event_id}", json.dumps(body))


def test_a_lead_from_the_campaign_bus_runs_the_rules_once(trigger_queue: str) -> None:
    rule = create_rule(IMMEDIATE)
    # The bus event happened after the rule was made (rules never apply retroactively).
    when = (clock.now() + timedelta(seconds=1)).isoformat()
    event = bus_event(
        "LeadCaptured",
        {"handle": "acme", "campaignId": "cmp_welcome", "occurredAt": when, "lead": LEAD},
    )
    assert run_trigger(trigger_queue, [event]) == {"batchItemFailures": []}
    assert run_trigger(trigger_queue, [event]) == {"batchItemFailures": []}
    (message,) = rule_messages()
    assert message.rule_id == rule["ruleId"]


def test_an_unusable_job_fails_so_the_dlq_keeps_it(trigger_queue: str) -> None:
    good = bus_event("LeadCaptured", {"handle": "acme", "campaignId": "cmp_welcome", "lead": LEAD})
    bad = [
        as_received("junk", "{not json"),
        bus_event("LeadCaptured", {"handle": "acme", "campaignId": "cmp_nope", "lead": LEAD}, "x1"),
        bus_event(
            "ConversionRecorded",
            {"handle": "acme", "campaignId": "cmp_welcome", "leadId": "lead_never"},
            "x2",
        ),
    ]
    result = run_trigger(trigger_queue, [good, *bad])
    assert sorted(f["itemIdentifier"] for f in result["batchItemFailures"]) == sorted(
        m["MessageId"] for m in bad
    )


def test_runs_are_listed_for_operators_only(
    trigger_queue: str, project_events: Callable[[], int]
) -> None:
    rule = create_rule(IMMEDIATE)
    capture()
    run_trigger(trigger_queue, drain(trigger_queue))
    project_events()  # a MESSAGE_CREATED run is recorded when the projection sees the message
    path = {**CAMPAIGN, "ruleId": rule["ruleId"]}
    _, runs = invoke("list_rule_runs", path, sub=OPERATOR)
    assert [run["outcome"] for run in runs["runs"]] == ["MESSAGE_CREATED"]
    assert runs["runs"][0]["messageId"] == rule_messages()[0].message_id
    status, body = invoke("list_rule_runs", path, sub=MEMBERS[Role.CREATOR])
    assert (status, body["error"]) == (403, "insufficient_role")


# --- a batch of jobs, together -------------------------------------------------------------

CALL_HOOK = "test-trigger-calls"


@contextmanager
def calls_made() -> Iterator[Counter[str]]:
    """The AWS calls the trigger Lambda makes, by `service:Operation`, counted by botocore's
    before-call event on the clients it uses (the table's, SQS's and the Scheduler's)."""
    from tenx_email.adapters import queues, scheduler
    from tenx_email.dal.table import table

    counted: Counter[str] = Counter()

    def count(event_name: str, **_: Any) -> None:
        _, service, operation = event_name.split(".", 2)
        counted[f"{service}:{operation}"] += 1

    clients = (table().meta.client, queues._client(), scheduler._client())
    for client in clients:
        client.meta.events.register("before-call", count, unique_id=CALL_HOOK)
    try:
        yield counted
    finally:
        for client in clients:
            client.meta.events.unregister("before-call", unique_id=CALL_HOOK)


@contextmanager
def sqs_refuses(message_ids: set[str]) -> Iterator[None]:
    """SQS refuses the SendMessageBatch entries that queue these messages: each is given a
    DelaySeconds over SQS's 900, which moto refuses entry by entry (SenderFault), as SQS does."""
    from tenx_email.adapters import queues

    def refuse(params: dict[str, Any], **_: Any) -> None:
        for entry in params.get("Entries", []):
            if json.loads(entry["MessageBody"])["messageId"] in message_ids:
                entry["DelaySeconds"] = 901

    events = queues._client().meta.events
    events.register("before-parameter-build.sqs.SendMessageBatch", refuse, unique_id="refuse")
    try:
        yield
    finally:
        events.unregister("before-parameter-build.sqs.SendMessageBatch", unique_id="refuse")


@contextmanager
def dynamodb_enforces_key_sizes() -> Iterator[None]:
    """DynamoDB refuses a BatchGetItem naming a sort key over 1,024 bytes (moto does not)."""
    from tenx_email.dal.table import table

    def check(params: dict[str, Any], **_: Any) -> None:
        body = json.loads(params.get("body") or b"{}")
        for request in body.get("RequestItems", {}).values():
            if any(len(key["SK"]["S"].encode()) > 1024 for key in request["Keys"]):
                raise ClientError(
                    {
                        "Error": {"Code": "ValidationException", "Message": "key too large"},
                        "ResponseMetadata": {"HTTPStatusCode": 400},
                    },
                    "BatchGetItem",
                )

    events = table().meta.client.meta.events
    events.register("before-call.dynamodb.BatchGetItem", check, unique_id="key-sizes")
    try:
        yield
    finally:
        events.unregister("before-call.dynamodb.BatchGetItem", unique_id="key-sizes")


def lead(i: int) -> dict[str, Any]:
    return {**LEAD, "email": f"lead{i}@example.com", "name": f"Lead {i}"}


def runs_of(rule_id: str) -> list[dict[str, Any]]:
    status, runs = invoke("list_rule_runs", {**CAMPAIGN, "ruleId": rule_id}, sub=OPERATOR)
    assert status == 200, runs
    return list(runs["runs"])


def message_id_of(rule_id: str, job: dict[str, Any]) -> str:
    event = CampaignEventJob.model_validate(json.loads(job["Body"])).event
    return rule_message_id(rule_id, event, shards=1)


def test_a_batch_reads_each_campaigns_rules_once_and_queues_and_stores_together(
    trigger_queue: str, delivery_queue: str, project_events: Callable[[], int]
) -> None:
    # Given rules on two campaigns and a batch of 10 leads across them
    other = {"handle": "acme", "campaignId": "cmp_other"}
    tenancy.register_campaign("acme", "cmp_other", "Other")
    create_rule(IMMEDIATE)
    status, _ = invoke("create_email_rule", other, sub=OPERATOR, body=IMMEDIATE)
    assert status == 201
    for i in range(10):
        status, _ = invoke("capture_lead", CAMPAIGN if i < 6 else other, sub=OPERATOR, body=lead(i))
        assert status == 202
    jobs = drain(trigger_queue)
    assert len(jobs) == 10

    # When the trigger Lambda takes the batch
    with calls_made() as calls:
        assert run_trigger(trigger_queue, jobs) == {"batchItemFailures": []}

    # Then each campaign's rules were read once, the shared items once, the 10 messages queued
    # in one call and stored with a conditional put each
    assert calls == {
        "dynamodb:Query": 2,
        "dynamodb:BatchGetItem": 1,
        "sqs:SendMessageBatch": 1,
        "dynamodb:PutItem": 10,
    }
    made = rule_messages()
    assert len(made) == 10
    queued = [json.loads(m["Body"])["messageId"] for m in drain(delivery_queue, wait_seconds=2)]
    assert sorted(queued) == sorted(message.message_id for message in made)
    # And the projection charged them to the day's usage
    project_events()
    _, quota = invoke("get_quota", {"handle": "acme"}, sub=OPERATOR)
    assert quota["quota"]["usedToday"] == 10


def test_delayed_rules_that_fire_together_read_their_events_and_rule_once(
    trigger_queue: str, project_events: Callable[[], int]
) -> None:
    rule = create_rule({**IMMEDIATE, "trigger": "LEAD_CAPTURED_DELAYED", "delayMinutes": 15})
    for i in range(3):
        capture(lead(i))
    with calls_made() as scheduling:
        assert run_trigger(trigger_queue, drain(trigger_queue)) == {"batchItemFailures": []}
    # One Query for the rules, one read of the campaign (has it sequences?); a run (keeping
    # its event) and a schedule each
    assert scheduling == {
        "dynamodb:Query": 1,
        "dynamodb:BatchGetItem": 1,
        "scheduler:CreateSchedule": 3,
        "dynamodb:PutItem": 3,
    }

    fired = [as_received(f"sched-{s['Name']}", s["Target"]["Input"]) for s in schedules()]
    with calls_made() as firing:
        assert run_trigger(trigger_queue, fired) == {"batchItemFailures": []}
    # The runs (with their events), the rule and the quota in one read, its sender and
    # template in a second; a put per message
    assert firing == {
        "dynamodb:BatchGetItem": 2,
        "sqs:SendMessageBatch": 1,
        "dynamodb:PutItem": 3,
    }
    assert len(rule_messages()) == 3
    project_events()
    assert [run["outcome"] for run in runs_of(rule["ruleId"])] == ["MESSAGE_CREATED"] * 3


def test_a_rule_message_sqs_refuses_is_not_stored_and_only_its_job_is_retried(
    trigger_queue: str, delivery_queue: str, project_events: Callable[[], int]
) -> None:
    # Given two leads' jobs in one batch, and SQS refusing the second one's message
    rule_id = create_rule(IMMEDIATE)["ruleId"]
    capture(lead(1))
    capture(lead(2))
    jobs = drain(trigger_queue)
    kept, refused = (message_id_of(rule_id, job) for job in jobs)
    with sqs_refuses({refused}):
        result = run_trigger(trigger_queue, jobs)

    # Then only the second job is reported for a retry, and its message was not stored
    assert result == {"batchItemFailures": [{"itemIdentifier": jobs[1]["MessageId"]}]}
    assert [message.message_id for message in rule_messages()] == [kept]
    project_events()
    assert [run["messageId"] for run in runs_of(rule_id)] == [kept]
    queued = [json.loads(m["Body"])["messageId"] for m in drain(delivery_queue, wait_seconds=2)]
    assert queued == [kept]

    # And its retry makes it
    assert run_trigger(trigger_queue, [jobs[1]]) == {"batchItemFailures": []}
    assert sorted(message.message_id for message in rule_messages()) == sorted([kept, refused])
    queued = [json.loads(m["Body"])["messageId"] for m in drain(delivery_queue, wait_seconds=2)]
    assert queued == [refused]


def test_a_delivery_queue_that_takes_nothing_fails_every_job_and_stores_nothing(
    trigger_queue: str, delivery_queue: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tenx_email.settings import delivery_settings

    rule_id = create_rule(IMMEDIATE)["ruleId"]
    capture(lead(1))
    capture(lead(2))
    jobs = drain(trigger_queue)
    monkeypatch.setenv("DELIVERY_QUEUE_URL", f"{delivery_queue}-gone")
    delivery_settings.cache_clear()

    result = run_trigger(trigger_queue, jobs)

    assert sorted(f["itemIdentifier"] for f in result["batchItemFailures"]) == sorted(
        job["MessageId"] for job in jobs
    )
    assert rule_messages() == []
    assert runs_of(rule_id) == []


def test_a_job_twice_in_one_batch_makes_one_message_and_both_records_succeed(
    trigger_queue: str, delivery_queue: str
) -> None:
    create_rule(IMMEDIATE)
    capture()
    jobs = drain(trigger_queue)
    assert run_trigger(trigger_queue, jobs + jobs) == {"batchItemFailures": []}
    assert len(rule_messages()) == 1
    assert len(drain(delivery_queue, wait_seconds=2)) == 1


@pytest.mark.parametrize("limit", [0, 2])
def test_a_batch_past_the_daily_quota_makes_messages_until_it_is_full_then_skips(
    trigger_queue: str, limit: int, project_events: Callable[[], int]
) -> None:
    from tenx_email.services import quotas

    quotas.set_daily_limit("acme", limit)
    rule_id = create_rule(IMMEDIATE)["ruleId"]
    for i in range(3):
        capture(lead(i))
    assert run_trigger(trigger_queue, drain(trigger_queue)) == {"batchItemFailures": []}

    assert len(rule_messages()) == limit
    project_events()
    outcomes = sorted((run["outcome"], run.get("reason")) for run in runs_of(rule_id))
    assert outcomes == sorted(
        [("MESSAGE_CREATED", None)] * limit
        + [("SKIPPED", "the handle's daily quota was used up")] * (3 - limit)
    )
    _, quota = invoke("get_quota", {"handle": "acme"}, sub=OPERATOR)
    assert quota["quota"]["usedToday"] == limit


def test_a_repeated_job_on_a_day_its_own_message_filled_ends_message_created(
    trigger_queue: str, project_events: Callable[[], int]
) -> None:
    from tenx_email.services import quotas

    # Given a day with room for one message, a job that made it, and the projection that
    # recorded its run and charged it: the day is full
    quotas.set_daily_limit("acme", 1)
    rule_id = create_rule(IMMEDIATE)["ruleId"]
    capture(lead(1))
    jobs = drain(trigger_queue)
    assert run_trigger(trigger_queue, jobs) == {"batchItemFailures": []}
    project_events()
    assert [run["outcome"] for run in runs_of(rule_id)] == ["MESSAGE_CREATED"]

    # When SQS delivers the job again
    assert run_trigger(trigger_queue, jobs) == {"batchItemFailures": []}
    project_events()

    # Then there is still one message, its run still says it was made, and the day counts it
    # once
    assert len(rule_messages()) == 1
    assert [run["outcome"] for run in runs_of(rule_id)] == ["MESSAGE_CREATED"]
    assert invoke("get_quota", {"handle": "acme"}, sub=OPERATOR)[1]["quota"]["usedToday"] == 1


def test_a_skip_written_before_the_projection_saw_the_message_is_replaced_by_its_run(
    trigger_queue: str, project_events: Callable[[], int]
) -> None:
    from tenx_email.services import quotas

    # Given a job that stored its message, and its repeat (SQS delivered it twice) that found
    # the day full by then and recorded the rule as SKIPPED, before the projection ran
    rule_id = create_rule(IMMEDIATE)["ruleId"]
    capture(lead(1))
    jobs = drain(trigger_queue)
    assert run_trigger(trigger_queue, jobs) == {"batchItemFailures": []}
    quotas.set_daily_limit("acme", 0)
    assert run_trigger(trigger_queue, jobs) == {"batchItemFailures": []}
    assert [run["outcome"] for run in runs_of(rule_id)] == ["SKIPPED"]

    # When the projection sees the stored message
    project_events()

    # Then the run says what happened: the rule made the message
    (run,) = runs_of(rule_id)
    assert (run["outcome"], run["messageId"]) == ("MESSAGE_CREATED", rule_messages()[0].message_id)


def test_a_job_that_breaks_a_read_shared_by_the_batch_fails_alone(trigger_queue: str) -> None:
    # Given a batch with a good job and one whose key DynamoDB refuses (a forged schedule job)
    create_rule(IMMEDIATE)
    capture()
    good = drain(trigger_queue)
    forged = {
        "kind": "delayed-rule",
        "handle": "acme",
        "campaignId": "cmp_welcome",
        "eventId": "evt_" + "x" * 2000,
        "ruleId": "cer_x",
    }
    with dynamodb_enforces_key_sizes():
        result = run_trigger(trigger_queue, [*good, as_received("forged", json.dumps(forged))])
    # Then the batch's shared read failed, each job ran on its own, and only the forged failed
    assert result == {"batchItemFailures": [{"itemIdentifier": "forged"}]}
    assert len(rule_messages()) == 1


def test_bus_events_of_one_batch_read_and_write_together(trigger_queue: str) -> None:
    # Given a capture rule and a conversion rule, and a lead captured from the bus
    create_rule(IMMEDIATE)
    create_rule({**IMMEDIATE, "trigger": "CONVERSION"})
    when = (clock.now() + timedelta(seconds=1)).isoformat()
    where = {"handle": "acme", "campaignId": "cmp_welcome", "occurredAt": when}
    first = bus_event("LeadCaptured", {**where, "lead": {**lead(1), "leadId": "lead_1"}}, "e1")
    assert run_trigger(trigger_queue, [first]) == {"batchItemFailures": []}

    # When that lead's conversion, and another lead's capture and conversion (in any order),
    # arrive in one batch
    batch = [
        bus_event("ConversionRecorded", {**where, "leadId": "lead_2"}, "e2"),
        bus_event("LeadCaptured", {**where, "lead": {**lead(2), "leadId": "lead_2"}}, "e3"),
        bus_event("ConversionRecorded", {**where, "leadId": "lead_1"}, "e4"),
    ]
    with calls_made() as calls:
        assert run_trigger(trigger_queue, batch) == {"batchItemFailures": []}

    # Then the campaign, the stored lead, the senders, templates and quota were read in one
    # call, the new lead written in one, the three messages queued together and stored with
    # a put each
    assert calls == {
        "dynamodb:Query": 1,
        "dynamodb:BatchGetItem": 1,
        "dynamodb:BatchWriteItem": 1,
        "sqs:SendMessageBatch": 1,
        "dynamodb:PutItem": 3,
    }
    assert sorted(m.recipients[0].email for m in rule_messages()) == [
        "lead1@example.com",
        "lead1@example.com",
        "lead2@example.com",
        "lead2@example.com",
    ]
    assert store.get_lead("acme", "cmp_welcome", "lead_2") is not None


def test_a_producers_retry_under_one_idempotency_key_makes_one_event_and_one_message(
    trigger_queue: str, project_events: Callable[[], int]
) -> None:
    # Given an immediate rule, and a producer that captures a lead (no leadId of its own)
    # under an Idempotency-Key, then retries the same request (it never saw the answer)
    create_rule(IMMEDIATE)
    key = {"Idempotency-Key": "crm-form-8842:submit"}
    answers = [
        invoke("capture_lead", CAMPAIGN, sub=OPERATOR, body=LEAD, headers=key) for _ in range(2)
    ]

    # Then both answers name the same event and lead
    assert [status for status, _ in answers] == [202, 202]
    assert answers[0][1] == answers[1][1]
    # And the rule made one message, however many times the event was published
    run_trigger(trigger_queue, drain(trigger_queue))
    assert len(rule_messages()) == 1

    # When the same key comes with another request, it is refused and publishes nothing
    other = {**LEAD, "email": "someone.else@example.com"}
    status, body = invoke("capture_lead", CAMPAIGN, sub=OPERATOR, body=other, headers=key)
    assert (status, body["error"]) == (409, "idempotency_key_conflict")
    assert drain(trigger_queue) == []
    # (HTTP header names are not case-sensitive)
    lower = {"idempotency-key": key["Idempotency-Key"]}
    assert invoke("capture_lead", CAMPAIGN, sub=OPERATOR, body=other, headers=lower)[0] == 409

    # And a conversion retried under its own key converts once
    lead_id = answers[0][1]["leadId"]
    conversion_rule = create_rule({**IMMEDIATE, "trigger": "CONVERSION"})
    converted = [
        invoke(
            "record_conversion",
            CAMPAIGN,
            sub=OPERATOR,
            body={"leadId": lead_id},
            headers={"Idempotency-Key": "crm-deal-91"},
        )
        for _ in range(3)
    ]
    assert len({body["eventId"] for _, body in converted}) == 1
    run_trigger(trigger_queue, drain(trigger_queue))
    made = [m for m in rule_messages() if m.rule_id == conversion_rule["ruleId"]]
    assert len(made) == 1
    # And a key that is not one of the allowed form is refused in words
    status, body = invoke(
        "capture_lead", CAMPAIGN, sub=OPERATOR, body=LEAD, headers={"Idempotency-Key": "a b"}
    )
    assert (status, body["error"]) == (400, "invalid_request")


def test_without_a_key_every_capture_is_a_new_event(trigger_queue: str) -> None:
    first, second = (capture()["eventId"] for _ in range(2))
    assert first != second


def test_a_test_mode_rule_makes_test_sends_outside_the_quota(trigger_queue: str) -> None:
    # Given a test-mode rule beside a real one, and a handle whose quota is used up
    test_rule = create_rule({**IMMEDIATE, "testMode": True})
    real_rule = create_rule(IMMEDIATE)
    assert test_rule["testMode"] is True
    assert "testMode" not in real_rule
    from tenx_email.services import quotas

    quotas.set_daily_limit("acme", 0)

    # When a lead is captured
    capture()
    assert run_trigger(trigger_queue, drain(trigger_queue)) == {"batchItemFailures": []}

    # Then the test rule made a test send (with its unsubscribe link, as campaign mail has),
    # and the real rule was SKIPPED for the quota
    (message,) = rule_messages()
    assert (message.rule_id, message.test_mode, message.list_unsubscribe) == (
        test_rule["ruleId"],
        True,
        True,
    )
    (skipped,) = runs_of(real_rule["ruleId"])
    assert (skipped["outcome"], skipped["reason"]) == (
        "SKIPPED",
        "the handle's daily quota was used up",
    )
