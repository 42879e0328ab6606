"""The delivery and feedback consumers: event source mappings, timeouts against visibility,
least-privilege grants, and the rule that brings SES events to the feedback queue."""

from __future__ import annotations

import json
from typing import Any

import pytest
from aws_cdk import App
from constructs import Node

from infra.config import DeployConfig
from infra.constants import DELIVERY_MAX_CONCURRENCY
from tenx_email.resources import (
    CAMPAIGN_EVENT_DETAIL_TYPES,
    CAMPAIGN_EVENT_SOURCE,
    DELIVERY_QUEUE,
    FEEDBACK_QUEUE,
    SES_EVENT_DETAIL_TYPES,
    SES_EVENT_SOURCE,
    TRIGGER_JOBS_QUEUE,
    QueueSpec,
    queue_name,
)
from tests.infra.cfn import (
    DYNAMODB_WRITES,
    actions,
    as_list,
    functions_by_handler,
    one,
    resources,
    role_statements,
    target,
)
from tests.infra.conftest import CONTEXT, STAGE

pytestmark = pytest.mark.infra

CONSUMERS = {
    "deliver.handler": DELIVERY_QUEUE,
    "feedback.handler": FEEDBACK_QUEUE,
    "trigger.handler": TRIGGER_JOBS_QUEUE,
}


def _queue(template: dict[str, Any], name: str) -> tuple[str, dict[str, Any]]:
    (found,) = [
        (logical_id, queue["Properties"])
        for logical_id, queue in resources(template, "AWS::SQS::Queue").items()
        if queue["Properties"]["QueueName"] == name
    ]
    return found


def _function(template: dict[str, Any], handler: str) -> tuple[str, dict[str, Any]]:
    (found,) = [
        (logical_id, function["Properties"])
        for logical_id, function in resources(template, "AWS::Lambda::Function").items()
        if function["Properties"]["Handler"] == handler
    ]
    return found


def _ses_rule(template: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    (found,) = [
        (logical_id, rule["Properties"])
        for logical_id, rule in resources(template, "AWS::Events::Rule").items()
        if rule["Properties"].get("EventPattern", {}).get("source") == [SES_EVENT_SOURCE]
    ]
    return found


def _statements(template: dict[str, Any], handler: str) -> list[dict[str, Any]]:
    return role_statements(
        template, target(functions_by_handler(template)[handler]["Properties"]["Role"])
    )


@pytest.mark.parametrize(("handler", "spec"), CONSUMERS.items(), ids=CONSUMERS.keys())
def test_each_consumer_reads_its_queue_and_reports_partial_batch_failures(
    template: dict[str, Any], handler: str, spec: QueueSpec
) -> None:
    # Given a consumer function and its queue
    function_id, function = _function(template, handler)
    queue_id, queue = _queue(template, queue_name(STAGE, spec))
    (mapping,) = [
        m["Properties"]
        for m in resources(template, "AWS::Lambda::EventSourceMapping").values()
        if target(m["Properties"]["FunctionName"]) == function_id
    ]
    # Then one mapping feeds it batches from that queue and settles records one by one
    assert target(mapping["EventSourceArn"]) == queue_id
    assert mapping["BatchSize"] == spec.batch_size
    assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    # And a record stays invisible for six times as long as the function may run
    assert function["Timeout"] == spec.consumer_timeout_seconds
    assert queue["VisibilityTimeout"] >= 6 * function["Timeout"]


def test_delivery_survives_a_long_throttle_before_the_dead_letter_queue(
    template: dict[str, Any],
) -> None:
    # Given the delivery queue's redrive policy
    _, queue = _queue(template, queue_name(STAGE, DELIVERY_QUEUE))
    # Then a throttled message gets the receives the backoff arithmetic counts on
    assert queue["RedrivePolicy"]["maxReceiveCount"] == DELIVERY_QUEUE.max_receive_count >= 10


def test_delivery_may_send_email_only_through_this_stages_configuration_set(
    template: dict[str, Any],
) -> None:
    # Given the delivery function's grants and the configuration set
    _, function = _function(template, "deliver.handler")
    configuration_set_id, _ = one(template, "AWS::SES::ConfigurationSet")
    statements = _statements(template, "deliver.handler")
    (send,) = [s for s in statements if "ses:SendEmail" in as_list(s["Action"])]
    # Then SendEmail is its only sending action, on this account's identities in the SES
    # region and on the configuration set it names in every send; GetAccount reads the send
    # rate, and GetTenant, on this stage's tenants only, tells a paused tenant from another pause
    ses_actions = {a for a in actions(statements) if a.startswith("ses:")}
    assert ses_actions == {"ses:SendEmail", "ses:GetAccount", "ses:GetTenant"}
    (get_tenant,) = [s for s in statements if "ses:GetTenant" in as_list(s["Action"])]
    assert as_list(get_tenant["Action"]) == ["ses:GetTenant"]
    assert f":tenant/tenx-{STAGE}_*" in json.dumps(get_tenant["Resource"])
    granted = json.dumps(send["Resource"])
    assert f"arn:aws:ses:{CONTEXT['sesRegion']}:" in granted
    assert ":identity/*" in granted
    assert ":configuration-set/" in granted
    assert configuration_set_id in granted
    assert target(function["Environment"]["Variables"]["SES_CONFIGURATION_SET"]) == (
        configuration_set_id
    )


def test_delivery_runs_at_most_its_configured_concurrency_and_paces_to_that_share(
    template: dict[str, Any],
) -> None:
    # Given the delivery function and its event source mapping
    function_id, function = _function(template, "deliver.handler")
    (mapping,) = [
        m["Properties"]
        for m in resources(template, "AWS::Lambda::EventSourceMapping").values()
        if target(m["Properties"]["FunctionName"]) == function_id
    ]
    # Then at most deliveryMaxConcurrency invocations run at once, and each knows that number
    # to take its share of SES's send rate
    concurrency = mapping["ScalingConfig"]["MaximumConcurrency"]
    assert concurrency == DELIVERY_MAX_CONCURRENCY
    assert function["Environment"]["Variables"]["DELIVERY_MAX_CONCURRENCY"] == str(concurrency)
    # And it may read the rate: GetAccount, like X-Ray's, has no resource type, and nothing
    # else rides on "*"
    on_anything = {
        action
        for statement in _statements(template, "deliver.handler")
        if "*" in as_list(statement["Resource"])
        for action in as_list(statement["Action"])
    }
    assert "ses:GetAccount" in on_anything
    assert on_anything <= {"ses:GetAccount", "xray:PutTraceSegments", "xray:PutTelemetryRecords"}


@pytest.mark.parametrize(
    ("given", "concurrency"),
    [(None, DELIVERY_MAX_CONCURRENCY), (2, 2), ("1000", 1000), ("40", 40)],
)
def test_delivery_concurrency_comes_from_context(given: object, concurrency: int) -> None:
    config = DeployConfig.from_context(_context_node(deliveryMaxConcurrency=given))
    assert config.delivery_max_concurrency == concurrency


@pytest.mark.parametrize("given", [1, "0", 1001, "five", True, 2.5])
def test_delivery_concurrency_outside_what_sqs_allows_is_refused(given: object) -> None:
    # An SQS event source's maximum concurrency is 2 to 1000
    with pytest.raises(ValueError, match="deliveryMaxConcurrency"):
        DeployConfig.from_context(_context_node(deliveryMaxConcurrency=given))


def _context_node(**context: object) -> Node:
    return App(context={**CONTEXT, **context}).node


def test_delivery_links_to_the_stages_api_and_reads_only_the_token_keys_secret(
    template: dict[str, Any],
) -> None:
    # Given the delivery function and the stage's secret and API
    _, function = _function(template, "deliver.handler")
    secret_id, _ = one(template, "AWS::SecretsManager::Secret")
    rest_api_id, _ = one(template, "AWS::ApiGateway::RestApi")
    variables = function["Environment"]["Variables"]
    # Then its unsubscribe links lead to this stage's API
    assert rest_api_id in json.dumps(variables["PUBLIC_API_URL"])
    assert STAGE in json.dumps(variables["PUBLIC_API_URL"])
    assert "TOKEN_KEYS_SECRET" in variables
    # And it may read exactly that secret, and change nothing in Secrets Manager
    statements = _statements(template, "deliver.handler")
    secret_actions = {a for a in actions(statements) if a.startswith("secretsmanager:")}
    assert secret_actions == {"secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"}
    for statement in statements:
        if any(a.startswith("secretsmanager:") for a in as_list(statement["Action"])):
            assert [target(r) for r in as_list(statement["Resource"])] == [secret_id]


@pytest.mark.parametrize(
    ("handler", "spec"),
    [(h, s) for h, s in CONSUMERS.items() if s is not TRIGGER_JOBS_QUEUE],
    ids=["deliver.handler", "feedback.handler"],
)
def test_consumers_touch_only_the_table_and_their_own_queue(
    template: dict[str, Any], handler: str, spec: QueueSpec
) -> None:
    # Given a consumer's grants
    table_id, _ = one(template, "AWS::DynamoDB::Table")
    queue_id, _ = _queue(template, queue_name(STAGE, spec))
    statements = _statements(template, handler)
    # Then it writes the table, changes visibility on its own queue, and no other queue
    assert actions(statements) >= DYNAMODB_WRITES | {"sqs:ChangeMessageVisibility"}
    for statement in statements:
        granted = json.dumps(statement["Resource"])
        if any(action.startswith("sqs:") for action in as_list(statement["Action"])):
            assert [target(r) for r in as_list(statement["Resource"])] == [queue_id]
        if any(action.startswith("dynamodb:") for action in as_list(statement["Action"])):
            assert table_id in granted
    # And the feedback consumer has no SES access at all
    if spec is FEEDBACK_QUEUE:
        assert not [a for a in actions(statements) if a.startswith("ses:")]


def test_ses_events_of_this_configuration_set_reach_the_feedback_queue(
    template: dict[str, Any],
) -> None:
    # Given the feedback rule, the configuration set and the feedback queues
    _, props = _ses_rule(template)
    configuration_set_id, _ = one(template, "AWS::SES::ConfigurationSet")
    queue_id, _ = _queue(template, queue_name(STAGE, FEEDBACK_QUEUE))
    dlq_id, _ = _queue(template, queue_name(STAGE, FEEDBACK_QUEUE, dead_letter=True))
    pattern = props["EventPattern"]
    # Then it listens on the default bus (SES publishes nowhere else) for every SES sending
    # event the feedback service maps, of this stage's configuration set only
    assert "EventBusName" not in props
    assert pattern["source"] == [SES_EVENT_SOURCE]
    assert sorted(pattern["detail-type"]) == sorted(SES_EVENT_DETAIL_TYPES.values())
    (tag,) = pattern["detail"]["mail"]["tags"]["ses:configuration-set"]
    assert target(tag) == configuration_set_id
    # And it targets the feedback queue, with the DLQ for events it cannot deliver
    (rule_target,) = props["Targets"]
    assert target(rule_target["Arn"]) == queue_id
    assert target(rule_target["DeadLetterConfig"]["Arn"]) == dlq_id


def test_only_this_rule_may_send_to_the_feedback_queue(template: dict[str, Any]) -> None:
    # Given the feedback queue's policy and the rule
    rule_id, _ = _ses_rule(template)
    queue_id, _ = _queue(template, queue_name(STAGE, FEEDBACK_QUEUE))
    (policy,) = [
        p["Properties"]
        for p in resources(template, "AWS::SQS::QueuePolicy").values()
        if [target(q) for q in p["Properties"]["Queues"]] == [queue_id]
    ]
    allows = [s for s in policy["PolicyDocument"]["Statement"] if s["Effect"] == "Allow"]
    # Then EventBridge may send to it only on behalf of that rule
    (allow,) = allows
    assert allow["Principal"] == {"Service": "events.amazonaws.com"}
    assert "sqs:SendMessage" in as_list(allow["Action"])
    assert target(allow["Condition"]["ArnEquals"]["aws:SourceArn"]) == rule_id


def test_the_trigger_consumer_schedules_in_its_group_and_queues_deliveries(
    template: dict[str, Any],
) -> None:
    # Given the trigger function, its grants, the queues and the scheduler's role
    _, function = _function(template, "trigger.handler")
    environment = function["Environment"]["Variables"]
    statements = _statements(template, "trigger.handler")
    delivery_id, _ = _queue(template, queue_name(STAGE, DELIVERY_QUEUE))
    trigger_id, _ = _queue(template, queue_name(STAGE, TRIGGER_JOBS_QUEUE))
    dead_letter_id, _ = _queue(template, queue_name(STAGE, TRIGGER_JOBS_QUEUE, dead_letter=True))
    # Then it knows where to queue deliveries and how to schedule delayed rules
    assert target(environment["DELIVERY_QUEUE_URL"]) == delivery_id
    assert target(environment["TRIGGER_JOBS_QUEUE_ARN"]) == trigger_id
    assert target(environment["TRIGGER_JOBS_DLQ_ARN"]) == dead_letter_id
    assert target(environment["TRIGGER_JOBS_QUEUE_URL"]) == trigger_id  # sequences' own jobs
    assert "SCHEDULER_ROLE_ARN" in environment
    assert "SCHEDULE_GROUP_NAME" in environment
    # And it may create and delete schedules only in this stage's group, pass only the
    # scheduler's role, and send only to the delivery queue and its own
    (create,) = [s for s in statements if "scheduler:CreateSchedule" in as_list(s["Action"])]
    assert f":schedule/tenx-email-{STAGE}-campaign-delays/*" in json.dumps(create["Resource"])
    assert "scheduler:DeleteSchedule" in as_list(create["Action"])
    (pass_role,) = [s for s in statements if "iam:PassRole" in as_list(s["Action"])]
    assert "SchedulingRole" in json.dumps(pass_role["Resource"])
    send_targets = {
        target(resource)
        for statement in statements
        if "sqs:SendMessage" in as_list(statement["Action"])
        for resource in as_list(statement["Resource"])
    }
    assert send_targets == {delivery_id, trigger_id}


def test_campaign_bus_events_reach_the_trigger_jobs_queue(template: dict[str, Any]) -> None:
    # Given the rule on the campaign bus
    (rule,) = [
        r["Properties"]
        for r in resources(template, "AWS::Events::Rule").values()
        if r["Properties"].get("EventPattern", {}).get("source") == [CAMPAIGN_EVENT_SOURCE]
    ]
    trigger_id, _ = _queue(template, queue_name(STAGE, TRIGGER_JOBS_QUEUE))
    bus_id, _ = one(template, "AWS::Events::EventBus")
    # Then lead captures and conversions go to the trigger-jobs queue, with a DLQ
    assert rule["EventPattern"]["detail-type"] == list(CAMPAIGN_EVENT_DETAIL_TYPES)
    assert target(rule["EventBusName"]) == bus_id
    (destination,) = rule["Targets"]
    assert target(destination["Arn"]) == trigger_id
    assert "DeadLetterConfig" in destination
