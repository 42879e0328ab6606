"""The table and the queues match the shared resource specs."""

from __future__ import annotations

from typing import Any

import pytest

from tenx_email.resources import (
    QUEUES,
    STREAM_CONSUMERS,
    TABLE,
    QueueSpec,
    queue_name,
    table_name,
)
from tests.infra.cfn import one, resources, target
from tests.infra.conftest import STAGE

pytestmark = pytest.mark.infra


def test_table_has_the_spec_keys_indexes_and_ttl(template: dict[str, Any]) -> None:
    # Given the single table
    _, table = one(template, "AWS::DynamoDB::Table")
    props = table["Properties"]
    # Then its keys, indexes (projecting everything) and TTL come from TABLE
    assert props["TableName"] == table_name(STAGE)
    assert props["KeySchema"] == [
        {"AttributeName": TABLE.partition_key, "KeyType": "HASH"},
        {"AttributeName": TABLE.sort_key, "KeyType": "RANGE"},
    ]
    indexes = {index["IndexName"]: index for index in props["GlobalSecondaryIndexes"]}
    assert set(indexes) == {spec.name for spec in TABLE.indexes}
    for spec in TABLE.indexes:
        assert indexes[spec.name]["KeySchema"] == [
            {"AttributeName": spec.partition_key, "KeyType": "HASH"},
            {"AttributeName": spec.sort_key, "KeyType": "RANGE"},
        ]
        assert indexes[spec.name]["Projection"] == {"ProjectionType": "ALL"}
    assert all(a["AttributeType"] == "S" for a in props["AttributeDefinitions"])
    assert props["TimeToLiveSpecification"] == {
        "AttributeName": TABLE.ttl_attribute,
        "Enabled": True,
    }


def test_table_streams_its_changes_as_the_spec_says(template: dict[str, Any]) -> None:
    # Given the single table
    _, table = one(template, "AWS::DynamoDB::Table")
    # Then it has a change stream with the view type the stream consumers read
    assert TABLE.stream_view_type == "NEW_AND_OLD_IMAGES"
    assert table["Properties"]["StreamSpecification"] == {"StreamViewType": "NEW_AND_OLD_IMAGES"}


def test_table_is_recoverable_encrypted_on_demand_and_retained(template: dict[str, Any]) -> None:
    # Given the single table
    _, table = one(template, "AWS::DynamoDB::Table")
    props = table["Properties"]
    # Then it survives mistakes: PITR, encryption, and no deletion with the stack
    assert props["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True
    assert props["SSESpecification"]["SSEEnabled"] is True
    assert props["BillingMode"] == "PAY_PER_REQUEST"
    assert table["DeletionPolicy"] == "Retain"
    assert table["UpdateReplacePolicy"] == "Retain"


def _queue(template: dict[str, Any], name: str) -> tuple[str, dict[str, Any]]:
    (found,) = [
        (logical_id, queue["Properties"])
        for logical_id, queue in resources(template, "AWS::SQS::Queue").items()
        if queue["Properties"]["QueueName"] == name
    ]
    return found


@pytest.mark.parametrize("spec", QUEUES, ids=lambda spec: spec.key)
def test_each_queue_redrives_to_a_dead_letter_queue_that_keeps_messages_longer(
    template: dict[str, Any], spec: QueueSpec
) -> None:
    # Given a work queue from the spec and its dead-letter queue
    _, queue = _queue(template, queue_name(STAGE, spec))
    dlq_id, dlq = _queue(template, queue_name(STAGE, spec, dead_letter=True))
    # Then failures move to the DLQ only after at least five receives
    assert target(queue["RedrivePolicy"]["deadLetterTargetArn"]) == dlq_id
    assert queue["RedrivePolicy"]["maxReceiveCount"] >= 5
    # And a message stays invisible for six consumer timeouts while one is processing it
    assert queue["VisibilityTimeout"] >= 6 * spec.consumer_timeout_seconds
    # And a moved message (which keeps its enqueue time) outlives the source's retention
    assert queue["MessageRetentionPeriod"] == spec.retention_seconds
    assert dlq["MessageRetentionPeriod"] > queue["MessageRetentionPeriod"]


def test_every_queue_is_encrypted_and_refuses_plain_http(template: dict[str, Any]) -> None:
    # Given every queue and every queue policy
    queues = resources(template, "AWS::SQS::Queue")
    ssl_only = {
        target(queue_ref)
        for policy in resources(template, "AWS::SQS::QueuePolicy").values()
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
        if statement["Effect"] == "Deny"
        and statement.get("Condition") == {"Bool": {"aws:SecureTransport": "false"}}
        for queue_ref in policy["Properties"]["Queues"]
    }
    # Then each one is SQS-encrypted and denies requests without TLS (each work queue and its
    # DLQ, and each stream consumer's DLQ)
    assert len(queues) == 2 * len(QUEUES) + len(STREAM_CONSUMERS)
    assert all(queue["Properties"]["SqsManagedSseEnabled"] is True for queue in queues.values())
    assert ssl_only == set(queues)
