"""The REST API: every route behind the JWT authorizer, logged, throttled, with our error bodies."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tenx_email.gateway_responses import GATEWAY_RESPONSES, GatewayResponseSpec
from tenx_email.resources import API_TRACE_SAMPLING
from tenx_email.routes import PUBLIC_ROUTES, ROUTES
from tests.infra.cfn import functions_by_handler, one, resources, target
from tests.infra.conftest import STAGE

pytestmark = pytest.mark.infra


def test_every_method_uses_the_jwt_token_authorizer(template: dict[str, Any]) -> None:
    # Given the API's one authorizer
    authorizer_id, authorizer = one(template, "AWS::ApiGateway::Authorizer")
    props = authorizer["Properties"]
    # Then it is a TOKEN authorizer on the Authorization header, cached for five minutes
    assert props["Type"] == "TOKEN"
    assert props["IdentitySource"] == "method.request.header.Authorization"
    assert props["AuthorizerResultTtlInSeconds"] == 300
    authorizer_function = functions_by_handler(template)["authorizer.handler"]
    (function_id,) = [
        logical_id
        for logical_id, function in resources(template, "AWS::Lambda::Function").items()
        if function is authorizer_function
    ]
    assert function_id in json.dumps(props["AuthorizerUri"])
    # And every method of the API goes through it, but the public unsubscribe links'
    public = {route.route_id for route in PUBLIC_ROUTES}
    methods = resources(template, "AWS::ApiGateway::Method").values()
    assert methods
    for method in methods:
        if method["Properties"]["OperationName"] in public:
            assert method["Properties"]["AuthorizationType"] == "NONE"
            assert "AuthorizerId" not in method["Properties"]
            continue
        assert method["Properties"]["AuthorizationType"] == "CUSTOM"
        assert target(method["Properties"]["AuthorizerId"]) == authorizer_id
    assert {
        method["Properties"]["OperationName"]
        for method in methods
        if method["Properties"]["AuthorizationType"] == "NONE"
    } == public


def test_one_method_per_route(template: dict[str, Any]) -> None:
    # Given the route table
    expected = sorted((route.route_id, route.method) for route in (*ROUTES, *PUBLIC_ROUTES))
    # Then each route is one method, named after the route
    methods = resources(template, "AWS::ApiGateway::Method").values()
    found = sorted(
        (method["Properties"]["OperationName"], method["Properties"]["HttpMethod"])
        for method in methods
    )
    assert found == expected


def test_stage_logs_traces_and_throttles(template: dict[str, Any]) -> None:
    # Given the deployed stage
    _, stage = one(template, "AWS::ApiGateway::Stage")
    props = stage["Properties"]
    assert props["StageName"] == STAGE
    # Then access logs are JSON lines in a log group of this stack
    destination = json.dumps(props["AccessLogSetting"]["DestinationArn"])
    log_groups = resources(template, "AWS::Logs::LogGroup")
    assert any(f'"Ref": "{log_group}"' in destination for log_group in log_groups)
    access_log = json.loads(props["AccessLogSetting"]["Format"])
    assert access_log["requestId"] == "$context.requestId"
    assert access_log["status"] == "$context.status"
    # And every method is throttled, logs errors without bodies, and is traced
    by_path = {(s["HttpMethod"], s["ResourcePath"]): s for s in props["MethodSettings"]}
    settings = by_path.pop(("*", "/*"))
    assert settings["ThrottlingRateLimit"] == 50
    assert settings["ThrottlingBurstLimit"] == 100
    assert settings["LoggingLevel"] == "ERROR"
    assert settings["DataTraceEnabled"] is False
    assert props["TracingEnabled"] is True
    # And each public route has tighter limits of its own (API Gateway writes the path's
    # slashes as ~1)
    for route in PUBLIC_ROUTES:
        public = by_path.pop((route.method, "/" + route.path.replace("/", "~1")))
        assert public["ThrottlingRateLimit"] == route.rate_limit < settings["ThrottlingRateLimit"]
        assert public["ThrottlingBurstLimit"] == route.burst_limit
        assert public["LoggingLevel"] == "ERROR"
        assert public["DataTraceEnabled"] is False
    assert not by_path


@pytest.mark.parametrize("spec", GATEWAY_RESPONSES, ids=lambda spec: spec.response_type)
def test_gateway_response_renders_our_error_body(
    template: dict[str, Any], spec: GatewayResponseSpec
) -> None:
    # Given a gateway response from the shared table
    (response,) = [
        r["Properties"]
        for r in resources(template, "AWS::ApiGateway::GatewayResponse").values()
        if r["Properties"]["ResponseType"] == spec.response_type
    ]
    # Then the API renders the same JSON body, with the status the spec asks for
    assert response["ResponseTemplates"] == {"application/json": spec.template}
    if spec.status_code is None:
        assert "StatusCode" not in response
    else:
        assert response["StatusCode"] == str(spec.status_code)


def test_the_stage_samples_its_traces_by_its_own_rule(template: dict[str, Any]) -> None:
    # Given the API and its stage
    _, api = one(template, "AWS::ApiGateway::RestApi")
    # Then one sampling rule covers exactly that stage, with the shared rate and no reservoir
    _, rule = one(template, "AWS::XRay::SamplingRule")
    props = rule["Properties"]["SamplingRule"]
    assert props["ServiceName"] == f"{api['Properties']['Name']}/{STAGE}"
    assert props["ServiceType"] == "AWS::ApiGateway::Stage"
    assert props["FixedRate"] == API_TRACE_SAMPLING.fixed_rate
    assert props["ReservoirSize"] == API_TRACE_SAMPLING.reservoir_per_second == 0
    assert len(props["RuleName"]) <= 32
    assert (props["HTTPMethod"], props["URLPath"], props["Host"]) == ("*", "*", "*")
