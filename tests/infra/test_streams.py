"""The table stream's consumer, the event projection: its mapping (filter, batching, retries,
on-failure queue) and its grants (item writes on the table, nothing else of the table)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tenx_email import keys
from tenx_email.resources import (
    EVENT_PROJECTION,
    TRIGGER_JOBS_QUEUE,
    WEBHOOK_FANOUT,
    WEBHOOK_QUEUE,
    queue_name,
    stream_dead_letter_queue_name,
)
from tests.infra.cfn import (
    as_list,
    one,
    queue_named,
    resources,
    role_statements,
    target,
)
from tests.infra.conftest import STAGE

pytestmark = pytest.mark.infra

HANDLER = f"{EVENT_PROJECTION.module}.handler"


def _function(template: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    (found,) = [
        (logical_id, function["Properties"])
        for logical_id, function in resources(template, "AWS::Lambda::Function").items()
        if function["Properties"]["Handler"] == HANDLER
    ]
    return found


def _mapping(template: dict[str, Any]) -> dict[str, Any]:
    function_id, _ = _function(template)
    (mapping,) = [
        m["Properties"]
        for m in resources(template, "AWS::Lambda::EventSourceMapping").values()
        if target(m["Properties"]["FunctionName"]) == function_id
    ]
    return mapping


def test_event_projection_reads_the_table_stream_from_its_oldest_record_in_whole_batches(
    template: dict[str, Any],
) -> None:
    # Given the projection function, its one mapping and the table
    _, function = _function(template)
    mapping = _mapping(template)
    table_id, _ = one(template, "AWS::DynamoDB::Table")
    # Then it reads the table's stream, from the oldest record it still keeps, one batch of a
    # shard at a time
    assert mapping["EventSourceArn"] == {"Fn::GetAtt": [table_id, "StreamArn"]}
    assert mapping["StartingPosition"] == "TRIM_HORIZON"
    assert mapping["ParallelizationFactor"] == 1
    # And batches as the spec says, retrying a failed batch whole (never split, no partial
    # success) a bounded number of times
    assert mapping["BatchSize"] == EVENT_PROJECTION.batch_size
    assert mapping["MaximumBatchingWindowInSeconds"] == EVENT_PROJECTION.batching_window_seconds
    assert mapping["MaximumRetryAttempts"] == EVENT_PROJECTION.retry_attempts
    assert mapping["BisectBatchOnFunctionError"] is False
    assert "FunctionResponseTypes" not in mapping
    assert function["Timeout"] == EVENT_PROJECTION.timeout_seconds


def test_only_changes_of_message_and_enrollment_items_invoke_the_event_projection(
    template: dict[str, Any],
) -> None:
    # Given the projection's mapping
    criteria = _mapping(template)["FilterCriteria"]["Filters"]
    # Then its filters pass only records whose sort key starts with the messages' prefix,
    # the enrollments' (sequence stats) or the sequences' (their cascades)
    assert EVENT_PROJECTION.sort_key_prefixes == (
        keys.MESSAGE_PREFIX,
        keys.ENROLLMENT_PREFIX,
        keys.SEQUENCE_PREFIX,
    )
    assert [json.loads(criterion["Pattern"]) for criterion in criteria] == [
        {"dynamodb": {"Keys": {"SK": {"S": [{"prefix": prefix}]}}}}
        for prefix in ("MSG#", "ENROLL#", "SEQ#")
    ]


def test_failed_batches_go_to_the_event_projections_own_dead_letter_queue(
    template: dict[str, Any],
) -> None:
    # Given the projection's mapping and its dead-letter queue
    mapping = _mapping(template)
    dlq_id, dlq = queue_named(template, stream_dead_letter_queue_name(STAGE, EVENT_PROJECTION))
    # Then a batch it gave up on is recorded there (encryption and TLS: test_data_and_queues)
    assert target(mapping["DestinationConfig"]["OnFailure"]["Destination"]) == dlq_id
    assert dlq["Properties"]["QueueName"] == f"tenx-email-{STAGE}-project-events-dlq"


def test_event_projection_may_only_put_items_in_the_table_and_read_its_stream(
    template: dict[str, Any],
) -> None:
    # Given the projection's grants, the table and the dead-letter queue
    _, function = _function(template)
    statements = role_statements(template, target(function["Role"]))
    table_id, _ = one(template, "AWS::DynamoDB::Table")
    dlq_id, _ = queue_named(template, stream_dead_letter_queue_name(STAGE, EVENT_PROJECTION))
    granted = {
        (action, json.dumps(resource, sort_keys=True))
        for statement in statements
        if statement["Effect"] == "Allow"
        for action in as_list(statement["Action"])
        for resource in as_list(statement["Resource"])
    }
    table = json.dumps({"Fn::GetAtt": [table_id, "Arn"]})
    stream = json.dumps({"Fn::GetAtt": [table_id, "StreamArn"]})
    # Then its table actions are PutItem, BatchWriteItem, UpdateItem (usage, reputation, a
    # pause), Query (a handle's last feed page) and GetItem (the reputation counts) on the
    # table itself (no deletes or indexes), plus what its event source needs to read the stream
    assert {grant for grant in granted if grant[0].startswith("dynamodb:")} == {
        ("dynamodb:PutItem", table),
        ("dynamodb:BatchWriteItem", table),
        ("dynamodb:UpdateItem", table),
        ("dynamodb:Query", table),
        ("dynamodb:GetItem", table),
        ("dynamodb:DescribeStream", stream),
        ("dynamodb:GetRecords", stream),
        ("dynamodb:GetShardIterator", stream),
        # Takes no resource (IAM has no stream-level permission for it).
        ("dynamodb:ListStreams", '"*"'),
    }
    # And its queues are its dead-letter queue and the trigger-jobs queue (which it only sends
    # to: sequences' cascades), and nothing else is granted but its logs and traces
    trigger_id, _ = queue_named(template, queue_name(STAGE, TRIGGER_JOBS_QUEUE))
    queues = {target(json.loads(r)) for a, r in granted if a.startswith("sqs:")}
    assert queues == {dlq_id, trigger_id}
    to_trigger_jobs = {
        a for a, r in granted if a.startswith("sqs:") and target(json.loads(r)) == trigger_id
    }
    assert {a for a in to_trigger_jobs if not a.startswith("sqs:SendMessage")} <= {
        "sqs:GetQueueAttributes",
        "sqs:GetQueueUrl",
    }
    assert target(function["Environment"]["Variables"]["TRIGGER_JOBS_QUEUE_URL"]) == trigger_id
    assert {action.split(":")[0] for action, _ in granted} == {"dynamodb", "sqs", "logs", "xray"}


def test_the_webhook_fan_out_reads_messages_and_runs_and_only_queues_deliveries(
    template: dict[str, Any],
) -> None:
    # Given the fan-out's function, mapping and grants
    ((function_id, function),) = [
        (logical_id, f["Properties"])
        for logical_id, f in resources(template, "AWS::Lambda::Function").items()
        if f["Properties"]["Handler"] == f"{WEBHOOK_FANOUT.module}.handler"
    ]
    (mapping,) = [
        m["Properties"]
        for m in resources(template, "AWS::Lambda::EventSourceMapping").values()
        if target(m["Properties"]["FunctionName"]) == function_id
    ]
    # Then its filter passes message items' and rule runs' changes, nothing else
    patterns = [json.loads(f["Pattern"]) for f in mapping["FilterCriteria"]["Filters"]]
    assert [p["dynamodb"]["Keys"]["SK"]["S"][0]["prefix"] for p in patterns] == [
        "MSG#",
        "RULERUN#",
    ]
    # And it may read endpoints and write nothing to the table, and send to the webhook queue
    # only
    statements = role_statements(template, target(function["Role"]))
    table_actions = {
        action
        for s in statements
        for action in as_list(s["Action"])
        if action.startswith("dynamodb:") and "Stream" not in json.dumps(s["Resource"])
    } - {"dynamodb:ListStreams"}  # the event source's (it takes no resource)
    assert table_actions == {"dynamodb:Query"}
    (queue_id, _) = queue_named(template, queue_name(STAGE, WEBHOOK_QUEUE))
    sends = [s for s in statements if "sqs:SendMessage" in as_list(s["Action"])]
    (dlq_id, _) = queue_named(template, stream_dead_letter_queue_name(STAGE, WEBHOOK_FANOUT))
    sent_to = {target(r) for s in sends for r in as_list(s["Resource"])}
    assert sent_to == {queue_id, dlq_id}  # the DLQ: the event source's on-failure destination
    assert function["Environment"]["Variables"]["WEBHOOK_QUEUE_URL"] == {"Ref": queue_id}
