"""docs/openapi.json: generated from the route functions, committed up to date, covering every
route of the route table with the bearer scheme, and a valid OpenAPI 3 document."""

from __future__ import annotations

import difflib
import json
from pathlib import Path
from typing import Any

import pytest
from openapi_spec_validator import validate

from tenx_email import openapi, openapi_errors
from tenx_email.routes import PUBLIC_ROUTES, ROUTES

DOCUMENT = Path(__file__).resolve().parents[2] / "docs" / "openapi.json"
METHODS = {"get", "put", "post", "delete", "patch", "head", "options", "trace"}


@pytest.fixture(scope="module")
def generated() -> str:
    return openapi.render(openapi.build_document())


@pytest.fixture(scope="module")
def document(generated: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(generated)
    return loaded


def operations(document: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    return {
        (method.upper(), path): operation
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if method in METHODS
    }


def test_the_committed_document_is_the_generated_one(generated: str) -> None:
    committed = DOCUMENT.read_text(encoding="utf-8") if DOCUMENT.exists() else ""

    if committed != generated:
        diff = difflib.unified_diff(
            committed.splitlines(), generated.splitlines(), "committed", "generated", lineterm=""
        )
        shown = "\n".join(list(diff)[:40])
        pytest.fail(f"docs/openapi.json is out of date: run `make openapi` and commit it\n{shown}")


def test_generating_twice_gives_the_same_text(generated: str) -> None:
    assert openapi.render(openapi.build_document()) == generated


def test_every_route_is_documented_with_its_method_path_and_id(document: dict[str, Any]) -> None:
    documented = operations(document)

    assert set(documented) == {(route.method, route.path) for route in (*ROUTES, *PUBLIC_ROUTES)}
    for route in PUBLIC_ROUTES:
        assert documented[(route.method, route.path)]["operationId"] == route.route_id
    for route in ROUTES:
        operation = documented[(route.method, route.path)]
        assert operation["operationId"] == route.route_id
        assert operation["x-min-role"] == route.min_role.value
        assert operation["tags"], route.route_id


def test_every_operation_requires_the_bearer_jwt_but_the_public_links(
    document: dict[str, Any],
) -> None:
    scheme = document["components"]["securitySchemes"][openapi.BEARER_SCHEME]
    public = {(route.method, route.path) for route in PUBLIC_ROUTES}

    assert (scheme["type"], scheme["scheme"], scheme["bearerFormat"]) == ("http", "bearer", "JWT")
    assert document["security"] == [{openapi.BEARER_SCHEME: []}]
    for key, operation in operations(document).items():
        expected = [] if key in public else [{openapi.BEARER_SCHEME: []}]
        assert operation["security"] == expected, key


def test_every_operation_has_one_success_and_error_bodies_of_the_error_schema(
    document: dict[str, Any],
) -> None:
    error_ref = {"$ref": f"#/components/schemas/{openapi.ERROR_SCHEMA}"}
    public = {(route.method, route.path) for route in PUBLIC_ROUTES}
    for key, operation in operations(document).items():
        responses = operation["responses"]
        successes = [status for status in responses if status.startswith("2")]
        assert len(successes) == 1, key
        refusals = {"400", "404", "429"} if key in public else {"401", "403", "404", "429"}
        assert refusals <= set(responses), key
        assert "422" not in responses, key  # the resolver answers 400 invalid_request instead
        for status, response in responses.items():
            if not status.startswith("2"):
                assert response["content"]["application/json"]["schema"] == error_ref, key
    error = document["components"]["schemas"][openapi.ERROR_SCHEMA]
    assert set(error["required"]) == {"error", "message", "requestId"}


def test_status_codes_match_the_handlers(document: dict[str, Any]) -> None:
    # docs/api.md's route table: creations answer 201, queued work 202, deletions 204.
    expected = {
        "create_template": "201",
        "create_email_rule": "201",
        "create_sequence": "201",
        "create_webhook": "201",
        "reconcile_domain_identity": "202",
        "send_message": "202",
        "capture_lead": "202",
        "record_conversion": "202",
        "replay_webhook_delivery": "202",
        "replay_webhook_deliveries": "202",
        "send_webhook_test": "202",
        "delete_suppression": "204",
        "delete_email_rule": "204",
        "delete_sequence": "204",
        "enroll_lead": "202",
        "stop_enrollment": "204",
        "delete_webhook": "204",
    }
    for route in ROUTES:
        responses = operations(document)[(route.method, route.path)]["responses"]
        (success,) = (status for status in responses if status.startswith("2"))
        assert success == expected.get(route.route_id, "200"), route.route_id
        if success == "204":
            assert "content" not in responses[success], route.route_id


def test_the_document_is_valid_openapi_3(document: dict[str, Any]) -> None:
    assert document["openapi"].startswith("3.")
    validate(document)  # raises on an invalid document


def test_every_listed_error_code_exists() -> None:
    statuses = openapi_errors.error_statuses()

    for route_id, codes in openapi_errors.ROUTE_ERRORS.items():
        assert set(codes) <= set(statuses), route_id
    assert statuses["email_quota_exceeded"] == 429
    assert statuses["missing_bearer_token"] == 401
    assert statuses["route_not_found"] == 404


def test_a_schema_name_used_for_two_definitions_fails_loudly() -> None:
    merged: dict[str, Any] = {"Thing": {"type": "string"}}
    openapi.merge_schemas(merged, {"Thing": {"type": "string"}}, "same")

    with pytest.raises(openapi.OpenApiError, match="collision: Thing"):
        openapi.merge_schemas(merged, {"Thing": {"type": "integer"}}, "other")
