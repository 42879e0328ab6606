"""API Gateway event builders for invoking the real function handlers in tests."""

from __future__ import annotations

import importlib
import json
import time
import uuid
from dataclasses import dataclass
from typing import Any

from tenx_email import routes


@dataclass
class FakeLambdaContext:
    function_name: str = "test-function"
    memory_limit_in_mb: int = 256
    invoked_function_arn: str = "arn:aws:lambda:us-east-1:123456789012:function:test-function"
    aws_request_id: str = "00000000-0000-0000-0000-000000000000"


def rest_event(
    method: str,
    resource: str,
    path_parameters: dict[str, str],
    *,
    sub: str | None,
    body: Any = None,
    query: dict[str, str] | None = None,
    expires_at: int | None = None,
) -> dict[str, Any]:
    """A REST proxy event as API Gateway sends it after the authorizer allowed `sub`."""
    path = resource
    for name, value in path_parameters.items():
        path = path.replace("{" + name + "}", value)
    authorizer = (
        {"principalId": sub, "sub": sub, "exp": str(expires_at or int(time.time()) + 3600)}
        if sub
        else None
    )
    return {
        "resource": resource,
        "path": path,
        "httpMethod": method,
        "headers": {"Content-Type": "application/json"},
        "multiValueHeaders": {"Content-Type": ["application/json"]},
        "queryStringParameters": query,
        "multiValueQueryStringParameters": {k: [v] for k, v in query.items()} if query else None,
        "pathParameters": path_parameters,
        "stageVariables": None,
        "requestContext": {
            "resourcePath": resource,
            "httpMethod": method,
            "path": f"/test{path}",
            "stage": "test",
            "requestId": str(uuid.uuid4()),
            "identity": {"sourceIp": "127.0.0.1"},
            "authorizer": authorizer,
        },
        "body": json.dumps(body) if body is not None else None,
        "isBase64Encoded": False,
    }


def response_json(response: dict[str, Any]) -> Any:
    return json.loads(response["body"])


def invoke(
    route_id: str,
    path_parameters: dict[str, str],
    *,
    sub: str | None,
    body: Any = None,
    query: dict[str, str] | None = None,
    raw_body: str | None = None,
    headers: dict[str, str] | None = None,
) -> tuple[int, Any]:
    """Call a route's real Lambda handler as API Gateway would; returns (status, JSON body)."""
    route = routes.route(route_id)
    module = importlib.import_module(f"functions.{route.handler_module}")
    event = rest_event(route.method, route.path, path_parameters, sub=sub, body=body, query=query)
    if raw_body is not None:
        event["body"] = raw_body
    for name, value in (headers or {}).items():
        event["headers"][name] = value
        event["multiValueHeaders"][name] = [value]
    response = module.handler(event, FakeLambdaContext())
    return response["statusCode"], json.loads(response["body"]) if response["body"] else None
