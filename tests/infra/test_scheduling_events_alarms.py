"""The Scheduler's role, the SES event destination, and the dead-letter alarms."""

from __future__ import annotations

from typing import Any

import pytest

from tenx_email.resources import (
    HANDLE_PAUSED_METRIC,
    QUEUES,
    STREAM_CONSUMERS,
    TRIGGER_JOBS_QUEUE,
    StreamConsumerSpec,
    configuration_set_name,
    event_bus_name,
    queue_name,
    schedule_group_name,
    stream_dead_letter_queue_name,
)
from tests.infra.cfn import actions, as_list, one, resources, role_statements, target
from tests.infra.conftest import STAGE

pytestmark = pytest.mark.infra

# Every sending event that tells us something delivery did not record itself (not "send").
SES_EVENT_TYPES = {
    "delivery",
    "bounce",
    "complaint",
    "reject",
    "deliveryDelay",
    "renderingFailure",
}


def _queue_id(template: dict[str, Any], name: str) -> str:
    (found,) = [
        logical_id
        for logical_id, queue in resources(template, "AWS::SQS::Queue").items()
        if queue["Properties"]["QueueName"] == name
    ]
    return found


def _scheduler_role(template: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    (found,) = [
        (logical_id, role["Properties"])
        for logical_id, role in resources(template, "AWS::IAM::Role").items()
        if any(
            statement["Principal"].get("Service") == "scheduler.amazonaws.com"
            for statement in role["Properties"]["AssumeRolePolicyDocument"]["Statement"]
        )
    ]
    return found


def test_schedule_group_is_named_for_the_stage(template: dict[str, Any]) -> None:
    _, group = one(template, "AWS::Scheduler::ScheduleGroup")
    assert group["Properties"]["Name"] == schedule_group_name(STAGE)


def test_scheduler_role_is_trusted_by_this_accounts_schedule_group_only(
    template: dict[str, Any],
) -> None:
    # Given the role delayed schedules run as, and the schedule group
    _, role = _scheduler_role(template)
    group_id, _ = one(template, "AWS::Scheduler::ScheduleGroup")
    (trust,) = role["AssumeRolePolicyDocument"]["Statement"]
    # Then only EventBridge Scheduler, for this account and this group, may assume it
    assert trust["Principal"] == {"Service": "scheduler.amazonaws.com"}
    assert trust["Condition"]["StringEquals"]["aws:SourceAccount"] == {"Ref": "AWS::AccountId"}
    assert target(trust["Condition"]["ArnEquals"]["aws:SourceArn"]) == group_id


def test_scheduler_role_may_only_send_to_the_trigger_jobs_queue(template: dict[str, Any]) -> None:
    # Given the role delayed schedules run as
    role_id, _ = _scheduler_role(template)
    statements = role_statements(template, role_id)
    trigger_jobs = _queue_id(template, queue_name(STAGE, TRIGGER_JOBS_QUEUE))
    dead_letters = _queue_id(template, queue_name(STAGE, TRIGGER_JOBS_QUEUE, dead_letter=True))
    # Then its one permission is SendMessage on the trigger-jobs queue (and its DLQ, where the
    # Scheduler puts jobs it could not deliver)
    assert actions(statements) == {"sqs:SendMessage"}
    assert all(statement["Effect"] == "Allow" for statement in statements)
    resources_granted = {
        target(resource) for statement in statements for resource in as_list(statement["Resource"])
    }
    assert resources_granted == {trigger_jobs, dead_letters}


def test_campaign_event_bus_is_named_for_the_stage(template: dict[str, Any]) -> None:
    _, bus = one(template, "AWS::Events::EventBus")
    assert bus["Properties"]["Name"] == event_bus_name(STAGE)


def test_configuration_set_reports_the_sending_events_feedback_needs_to_the_default_bus(
    template: dict[str, Any],
) -> None:
    # Given the SES configuration set and its event destination
    configuration_set_id, configuration_set = one(template, "AWS::SES::ConfigurationSet")
    _, destination = one(template, "AWS::SES::ConfigurationSetEventDestination")
    props = destination["Properties"]
    event_destination = props["EventDestination"]
    # Then it belongs to the stage's configuration set
    assert configuration_set["Properties"]["Name"] == configuration_set_name(STAGE)
    assert target(props["ConfigurationSetName"]) == configuration_set_id
    # And sends the outcome events (not Send) to the default bus (the only one SES targets)
    assert event_destination["Enabled"] is True
    bus_arn_parts = event_destination["EventBridgeDestination"]["EventBusArn"]["Fn::Join"][1]
    assert bus_arn_parts[-1].endswith(":event-bus/default")
    assert set(event_destination["MatchingEventTypes"]) == SES_EVENT_TYPES


def test_every_dead_letter_queue_alarms_on_its_first_message(template: dict[str, Any]) -> None:
    # Given the dead-letter queues (the work queues' and the event projection's) and the topic
    topic_id, _ = one(template, "AWS::SNS::Topic")
    dlq_ids = {_queue_id(template, queue_name(STAGE, spec, dead_letter=True)) for spec in QUEUES}
    for consumer in STREAM_CONSUMERS:
        dlq_ids.add(_queue_id(template, stream_dead_letter_queue_name(STAGE, consumer)))
    alarms = [a["Properties"] for a in resources(template, "AWS::CloudWatch::Alarm").values()]
    # Then each DLQ has an alarm on visible messages >= 1 that notifies the topic
    watched = set()
    for alarm in alarms:
        if alarm["MetricName"] != "ApproximateNumberOfMessagesVisible":
            continue
        (dimension,) = alarm["Dimensions"]
        watched.add(target(dimension["Value"]))
        assert alarm["Namespace"] == "AWS/SQS"
        assert alarm["Threshold"] == 1
        assert alarm["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"
        assert [target(action) for action in alarm["AlarmActions"]] == [topic_id]
    assert watched == dlq_ids


@pytest.mark.parametrize("consumer", STREAM_CONSUMERS, ids=lambda spec: spec.module)
def test_each_stream_consumer_alarms_when_it_falls_behind_its_stream(
    template: dict[str, Any], consumer: StreamConsumerSpec
) -> None:
    # Given the consumer's function and the alarm topic
    topic_id, _ = one(template, "AWS::SNS::Topic")
    (function_id,) = [
        function_id
        for function_id, function in resources(template, "AWS::Lambda::Function").items()
        if function["Properties"]["Handler"] == f"{consumer.module}.handler"
    ]
    alarms = [a["Properties"] for a in resources(template, "AWS::CloudWatch::Alarm").values()]
    # Then one alarm watches its iterator age: over 10 minutes for 15, to the topic
    (alarm,) = [
        alarm
        for alarm in alarms
        if alarm["MetricName"] == "IteratorAge"
        and target(alarm["Dimensions"][0]["Value"]) == function_id
    ]
    assert alarm["Namespace"] == "AWS/Lambda"
    (dimension,) = alarm["Dimensions"]
    assert dimension["Name"] == "FunctionName"
    assert alarm["Statistic"] == "Maximum"
    assert alarm["Threshold"] == 10 * 60 * 1000
    assert alarm["EvaluationPeriods"] * alarm["Period"] == 15 * 60
    assert [target(action) for action in alarm["AlarmActions"]] == [topic_id]


def test_a_handle_paused_by_the_reputation_guard_raises_an_alarm(
    template: dict[str, Any],
) -> None:
    # Given the alarm topic
    topic_id, _ = one(template, "AWS::SNS::Topic")
    alarms = [a["Properties"] for a in resources(template, "AWS::CloudWatch::Alarm").values()]
    # Then one alarm watches the guard's metric, as Powertools emits it, from its first pause
    (alarm,) = [alarm for alarm in alarms if alarm["MetricName"] == HANDLE_PAUSED_METRIC]
    assert alarm["Namespace"] == "TenxEmail"
    assert alarm["Dimensions"] == [{"Name": "service", "Value": "tenx-email"}]
    assert (alarm["Statistic"], alarm["Threshold"]) == ("Sum", 1)
    assert alarm["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"
    assert [target(action) for action in alarm["AlarmActions"]] == [topic_id]


def test_alarm_topic_is_encrypted_and_ssl_only(template: dict[str, Any]) -> None:
    # Given the alarm topic and its policy
    topic_id, topic = one(template, "AWS::SNS::Topic")
    _, policy = one(template, "AWS::SNS::TopicPolicy")
    # Then it is KMS-encrypted and refuses publishes without TLS
    assert "KmsMasterKeyId" in topic["Properties"]
    assert [target(ref) for ref in policy["Properties"]["Topics"]] == [topic_id]
    assert any(
        statement["Effect"] == "Deny"
        and statement.get("Condition") == {"Bool": {"aws:SecureTransport": "false"}}
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
    )
