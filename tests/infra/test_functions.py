"""Every Lambda comes from the one factory, and each gets only the grants its route needs."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tenx_email.resources import EVENT_PROJECTION, WEBHOOK_FANOUT
from tenx_email.routes import PUBLIC_ROUTES, ROUTES, Grant, PublicRoute, Route
from tests.infra.cfn import (
    DYNAMODB_WRITES,
    actions,
    as_list,
    functions_by_handler,
    one,
    resources,
    role_statements,
    service_layer,
    target,
)
from tests.infra.conftest import CONTEXT, STAGE

pytestmark = pytest.mark.infra

AUTHORIZER_HANDLER = "authorizer.handler"
# The queue consumers (their grants and mappings: tests/infra/test_consumers.py) and the table
# stream's (tests/infra/test_streams.py).
CONSUMER_HANDLERS = {
    "deliver.handler",
    "feedback.handler",
    "trigger.handler",
    "send_webhooks.handler",
    f"{EVENT_PROJECTION.module}.handler",
    f"{WEBHOOK_FANOUT.module}.handler",
}
COMMON_ENVIRONMENT = {
    "STAGE",
    "TABLE_NAME",
    "SES_REGION",
    "POWERTOOLS_SERVICE_NAME",
    "POWERTOOLS_METRICS_NAMESPACE",
    "POWERTOOLS_LOG_LEVEL",
}


EVERY_ROUTE: list[Route | PublicRoute] = [*ROUTES, *PUBLIC_ROUTES]


def _handler(route: Route | PublicRoute) -> str:
    return f"{route.handler_module}.handler"


def test_one_function_per_route_plus_the_authorizer(template: dict[str, Any]) -> None:
    # Given the route table
    expected = {_handler(route) for route in EVERY_ROUTE} | {AUTHORIZER_HANDLER} | CONSUMER_HANDLERS
    # Then the stack has exactly one function per route, the authorizer and the consumers
    assert sorted(functions_by_handler(template)) == sorted(expected)
    assert len(functions_by_handler(template)) == len(EVERY_ROUTE) + 1 + len(CONSUMER_HANDLERS)


def test_every_function_shares_runtime_architecture_logging_tracing_and_layer(
    template: dict[str, Any],
) -> None:
    # Given the one layer
    layer_id, _ = service_layer(template)
    for handler, function in functions_by_handler(template).items():
        props = function["Properties"]
        # Then each function runs the newest Python on arm64 with the shared layer
        assert props["Runtime"] == "python3.14", handler
        assert props["Architectures"] == ["arm64"], handler
        assert [target(layer) for layer in props["Layers"]] == [layer_id], handler
        # And logs JSON to its own log group; a route traces as the stage's sampling rule
        # decides, a consumer only what arrives sampled
        assert props["LoggingConfig"]["LogFormat"] == "JSON", handler
        assert "LogGroup" in props["LoggingConfig"], handler
        mode = "PassThrough" if handler in CONSUMER_HANDLERS else "Active"
        assert props["TracingConfig"] == {"Mode": mode}, handler
        assert props["MemorySize"] == 256, handler
        # And it knows its stage, table and Powertools settings
        environment = props["Environment"]["Variables"]
        assert set(environment) >= COMMON_ENVIRONMENT, handler
        assert environment["STAGE"] == STAGE, handler
        assert environment["SES_REGION"] == CONTEXT["sesRegion"], handler


def test_api_functions_time_out_after_ten_seconds(template: dict[str, Any]) -> None:
    functions = functions_by_handler(template)
    for handler in [_handler(route) for route in EVERY_ROUTE] + [AUTHORIZER_HANDLER]:
        assert functions[handler]["Properties"]["Timeout"] == 10, handler


def test_authorizer_knows_the_issuer_and_cannot_touch_the_table(template: dict[str, Any]) -> None:
    # Given the authorizer function
    props = functions_by_handler(template)[AUTHORIZER_HANDLER]["Properties"]
    # Then it is configured with the identity provider from the CDK context
    environment = props["Environment"]["Variables"]
    assert environment["JWT_ISSUER"] == CONTEXT["jwtIssuer"]
    assert environment["JWT_AUDIENCE"] == CONTEXT["jwtAudience"]
    assert environment["JWKS_URL"] == CONTEXT["jwksUrl"]
    # And its role has no DynamoDB permission at all
    granted = actions(role_statements(template, target(props["Role"])))
    assert not [action for action in granted if action.startswith("dynamodb:")]


def expected_other_actions(route: Route | PublicRoute) -> set[str]:
    expected = set()
    if route.grants & {
        Grant.DELIVERY_QUEUE_SEND,
        Grant.TRIGGER_JOBS_SEND,
        Grant.WEBHOOK_QUEUE_SEND,
    }:
        expected |= {"sqs:SendMessage", "sqs:GetQueueAttributes", "sqs:GetQueueUrl"}
    if Grant.SES_IDENTITY_READ in route.grants:
        expected |= {"ses:GetEmailIdentity", "ses:GetIdentityMailFromDomainAttributes"}
    if Grant.SES_IDENTITY_WRITE in route.grants:
        expected |= {"ses:CreateEmailIdentity", "ses:SetIdentityMailFromDomain"}
    if Grant.TOKEN_KEYS_READ in route.grants:
        expected |= {"secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"}
    if Grant.SES_TENANT_READ in route.grants:
        expected |= {"ses:GetTenant"}
    if Grant.SES_TENANT_ASSOCIATE in route.grants:
        expected |= {"ses:CreateTenantResourceAssociation"}
    if Grant.WEBHOOK_SECRETS_SEAL in route.grants:
        expected |= {"kms:Encrypt"}  # and never Decrypt: only the sender reads a secret
    return expected


@pytest.mark.parametrize("route", EVERY_ROUTE, ids=lambda route: route.route_id)
def test_route_role_reads_or_writes_the_table_as_the_route_table_says(
    template: dict[str, Any], route: Route | PublicRoute
) -> None:
    # Given a route's function and the table
    table_id, _ = one(template, "AWS::DynamoDB::Table")
    role_id = target(functions_by_handler(template)[_handler(route)]["Properties"]["Role"])
    statements = role_statements(template, role_id)
    table_actions = actions(
        [s for s in statements if any(action.startswith("dynamodb:") for action in s["Action"])]
    )
    # Then it may read the table
    assert {"dynamodb:GetItem", "dynamodb:Query"} <= table_actions
    # And it may write only when the route is not read-only
    if route.read_only:
        assert not table_actions & DYNAMODB_WRITES
    else:
        assert table_actions >= DYNAMODB_WRITES
    # And nothing beyond its logs, traces, this table and the grants it declares
    other_actions = {
        action
        for action in actions(statements)
        if action.split(":")[0] not in {"logs", "xray", "dynamodb"}
    }
    assert other_actions == expected_other_actions(route)
    # And SES identity actions reach only this account's identities
    scoped = 0
    for statement in statements:
        if actions([statement]) & {"ses:GetEmailIdentity", "ses:CreateEmailIdentity"}:
            assert "identity/*" in json.dumps(statement["Resource"])
            scoped += 1
    assert (scoped > 0) == bool(route.grants & {Grant.SES_IDENTITY_READ, Grant.SES_IDENTITY_WRITE})
    # And SES tenant actions reach only this stage's tenants (and, to associate, identities)
    for statement in statements:
        if actions([statement]) & {"ses:GetTenant", "ses:CreateTenantResourceAssociation"}:
            granted = [json.dumps(resource) for resource in as_list(statement["Resource"])]
            assert all(f":tenant/tenx-{STAGE}_*" in r or ":identity/*" in r for r in granted)
            assert any(f":tenant/tenx-{STAGE}_*" in r for r in granted)
    table_resources = {
        str(resource)
        for statement in statements
        if any(action.startswith("dynamodb:") for action in statement["Action"])
        for resource in statement["Resource"]
    }
    assert all(table_id in resource for resource in table_resources)


def test_only_routes_that_queue_mail_know_and_may_use_the_delivery_queue(
    template: dict[str, Any],
) -> None:
    # Given the delivery queue (the one whose name is the stage's delivery queue)
    queues = resources(template, "AWS::SQS::Queue")
    (delivery_id,) = [
        queue_id
        for queue_id, queue in queues.items()
        if queue["Properties"].get("QueueName") == f"tenx-email-{STAGE}-delivery"
    ]
    for route in ROUTES:
        props = functions_by_handler(template)[_handler(route)]["Properties"]
        environment = props["Environment"]["Variables"]
        sends = Grant.DELIVERY_QUEUE_SEND in route.grants
        # Then the queue URL is configured exactly where the route table grants sending
        assert ("DELIVERY_QUEUE_URL" in environment) is sends, route.route_id
        if sends:
            assert target(environment["DELIVERY_QUEUE_URL"]) == delivery_id
            statements = role_statements(template, target(props["Role"]))
            sqs_resources = [
                target(resource)
                for statement in statements
                if "sqs:SendMessage" in as_list(statement["Action"])
                for resource in as_list(statement["Resource"])
            ]
            assert sqs_resources == [delivery_id]


def test_only_routes_that_page_know_and_may_read_the_token_keys(template: dict[str, Any]) -> None:
    # Given the token keys' secret (kept when the stack goes: tokens clients hold need it)
    ((secret_id, secret),) = resources(template, "AWS::SecretsManager::Secret").items()
    assert secret["Properties"]["Name"] == f"tenx-email-{STAGE}-token-keys"
    assert secret["DeletionPolicy"] == "Retain"
    for route in ROUTES:
        props = functions_by_handler(template)[_handler(route)]["Properties"]
        environment = props["Environment"]["Variables"]
        pages = Grant.TOKEN_KEYS_READ in route.grants
        # Then the secret is named exactly where the route table grants reading it
        assert ("TOKEN_KEYS_SECRET" in environment) is pages, route.route_id
        statements = role_statements(template, target(props["Role"]))
        readers = [
            target(resource)
            for statement in statements
            if "secretsmanager:GetSecretValue" in as_list(statement["Action"])
            for resource in as_list(statement["Resource"])
        ]
        assert readers == ([secret_id] if pages else []), route.route_id
