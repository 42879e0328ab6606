"""The webhook sender: fed by the webhook queue with partial batch responses, and granted
only what it uses: key reads and updates on the table itself, Decrypt on the secrets key,
its own queue; the DLQ behind that queue is alarmed on like every work queue's."""

from __future__ import annotations

from typing import Any

import pytest

from infra.constants import WEBHOOK_SENDER_TABLE_ACTIONS
from tenx_email.resources import WEBHOOK_QUEUE, queue_name
from tests.infra.cfn import (
    actions,
    as_list,
    functions_by_handler,
    one,
    queue_named,
    resources,
    role_statements,
    target,
)
from tests.infra.conftest import STAGE

pytestmark = pytest.mark.infra

HANDLER = "send_webhooks.handler"


def _sender(template: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    (found,) = [
        (logical_id, function["Properties"])
        for logical_id, function in resources(template, "AWS::Lambda::Function").items()
        if function["Properties"]["Handler"] == HANDLER
    ]
    return found


def test_the_sender_reads_the_webhook_queue_in_small_batches(template: dict[str, Any]) -> None:
    # Given the sender and the webhook queue
    function_id, function = _sender(template)
    queue_id, queue = queue_named(template, queue_name(STAGE, WEBHOOK_QUEUE))
    (mapping,) = [
        m["Properties"]
        for m in resources(template, "AWS::Lambda::EventSourceMapping").values()
        if target(m["Properties"]["FunctionName"]) == function_id
    ]
    # Then one mapping feeds it small batches, settled record by record
    assert target(mapping["EventSourceArn"]) == queue_id
    assert mapping["BatchSize"] == WEBHOOK_QUEUE.batch_size == 10
    assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    # And a record stays invisible six times as long as the function may run, and the
    # receives allow the schedule's eight attempts before the dead-letter queue
    assert function["Timeout"] == WEBHOOK_QUEUE.consumer_timeout_seconds
    assert queue["Properties"]["VisibilityTimeout"] >= 6 * function["Timeout"]
    assert queue["Properties"]["RedrivePolicy"]["maxReceiveCount"] >= 8
    assert function["Environment"]["Variables"]["STAGE"] == STAGE


def test_the_sender_may_only_read_update_and_log_decrypt_and_use_its_queue(
    template: dict[str, Any],
) -> None:
    # Given the sender's grants, the table, the key and the queue
    _, function = _sender(template)
    statements = role_statements(template, target(function["Role"]))
    table_id, _ = one(template, "AWS::DynamoDB::Table")
    (key_id,) = [
        logical_id
        for logical_id, key in resources(template, "AWS::KMS::Key").items()
        if "webhook" in key["Properties"].get("Description", "")
    ]
    queue_id, _ = queue_named(template, queue_name(STAGE, WEBHOOK_QUEUE))
    # Then its table actions are reads by key, updates and puts, on the table itself only
    table_actions = {a for a in actions(statements) if a.startswith("dynamodb:")}
    assert table_actions == {*WEBHOOK_SENDER_TABLE_ACTIONS, "dynamodb:PutItem"}
    for statement in statements:
        granted = as_list(statement["Action"])
        if any(a.startswith("dynamodb:") for a in granted):
            assert [target(r) for r in as_list(statement["Resource"])] == [table_id]
        # And it puts only in the delivery logs' partitions
        if "dynamodb:PutItem" in granted:
            assert granted == ["dynamodb:PutItem"]
            assert statement["Condition"] == {
                "ForAllValues:StringLike": {"dynamodb:LeadingKeys": ["HANDLE#*#WH#*"]}
            }
        # And it decrypts with the webhook secrets key alone
        if any(a.startswith("kms:") for a in granted):
            assert granted == ["kms:Decrypt"]
            assert [target(r) for r in as_list(statement["Resource"])] == [key_id]
        if any(a.startswith("sqs:") for a in granted):
            assert [target(r) for r in as_list(statement["Resource"])] == [queue_id]
    assert "kms:Decrypt" in actions(statements)
    # And nothing else: no SES, no secrets, no sending to any queue
    services = {a.split(":")[0] for a in actions(statements)}
    assert services == {"dynamodb", "kms", "sqs", "logs", "xray"}
    assert "sqs:SendMessage" not in actions(statements)


def test_no_other_function_may_decrypt_webhook_secrets(template: dict[str, Any]) -> None:
    for handler, function in functions_by_handler(template).items():
        statements = role_statements(template, target(function["Properties"]["Role"]))
        assert ("kms:Decrypt" in actions(statements)) is (handler == HANDLER), handler
