"""Small readers for a synthesized CloudFormation template."""

from __future__ import annotations

from typing import Any

Resource = dict[str, Any]

DYNAMODB_WRITES = frozenset(
    {"dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:BatchWriteItem"}
)


def resources(template: dict[str, Any], resource_type: str) -> dict[str, Resource]:
    return {
        logical_id: resource
        for logical_id, resource in template["Resources"].items()
        if resource["Type"] == resource_type
    }


def one(template: dict[str, Any], resource_type: str) -> tuple[str, Resource]:
    (found,) = resources(template, resource_type).items()
    return found


def queue_named(template: dict[str, Any], name: str) -> tuple[str, Resource]:
    (found,) = [
        (logical_id, queue)
        for logical_id, queue in resources(template, "AWS::SQS::Queue").items()
        if queue["Properties"].get("QueueName") == name
    ]
    return found


def target(reference: Any) -> str:
    """The logical id behind a `Ref` or `Fn::GetAtt`."""
    if "Ref" in reference:
        return str(reference["Ref"])
    return str(reference["Fn::GetAtt"][0])


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def role_statements(template: dict[str, Any], role_id: str) -> list[dict[str, Any]]:
    """Every statement that applies to a role: its inline policies and attached policies."""
    role = template["Resources"][role_id]["Properties"]
    documents = [policy["PolicyDocument"] for policy in role.get("Policies", [])]
    documents += [
        policy["Properties"]["PolicyDocument"]
        for policy in resources(template, "AWS::IAM::Policy").values()
        if role_id in {target(ref) for ref in policy["Properties"].get("Roles", [])}
    ]
    return [statement for document in documents for statement in document["Statement"]]


def actions(statements: list[dict[str, Any]]) -> set[str]:
    return {action for statement in statements for action in as_list(statement["Action"])}


def cdk_path(resource: Resource) -> str:
    return str(resource.get("Metadata", {}).get("aws:cdk:path", ""))


def cdk_own(resource: Resource) -> bool:
    """A resource CDK adds for its own custom resources (the console's file copy, a bucket's
    emptying on delete), shared stack-wide under a `Custom::` id."""
    return "/Custom::" in cdk_path(resource)


def functions_by_handler(template: dict[str, Any]) -> dict[str, Resource]:
    """The service's functions, by handler (CDK's own are not the service's)."""
    return {
        function["Properties"]["Handler"]: function
        for function in resources(template, "AWS::Lambda::Function").values()
        if not cdk_own(function)
    }


def service_layer(template: dict[str, Any]) -> tuple[str, Resource]:
    """The layer the service's functions share (not the AWS CLI layer of CDK's file copy)."""
    (found,) = [
        (logical_id, layer)
        for logical_id, layer in resources(template, "AWS::Lambda::LayerVersion").items()
        if cdk_path(layer).endswith("/Layer/Version/Resource")
    ]
    return found
