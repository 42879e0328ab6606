"""Templates through the real handlers on moto: the contract's step 3, versioning, preview,
pagination and the refusals."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from tenx_email.roles import Role
from tenx_email.services import tenancy
from tests.events import invoke
from tests.integration.conftest import MEMBERS, OUTSIDER

OPERATOR = MEMBERS[Role.OPERATOR]
ACME = {"handle": "acme"}
CONTRACT_BODY = {
    "templateId": "tmpl_lead_followup",
    "name": "Lead follow-up",
    "subject": "Thanks for reaching out, {{firstName}}",
    "html": "<p>Hi {{firstName}}, thanks for your interest in {{service}}.</p>",
    "text": "Hi {{firstName}}, thanks for your interest in {{service}}.",
}
ONE = {"handle": "acme", "templateId": "tmpl_lead_followup"}

pytestmark = pytest.mark.usefixtures("tenant")


def create(body: Any = None, sub: str = OPERATOR) -> tuple[int, Any]:
    return invoke("create_template", ACME, sub=sub, body=CONTRACT_BODY if body is None else body)


def update(body: dict[str, Any], template: dict[str, str] = ONE) -> tuple[int, Any]:
    return invoke("update_template", template, sub=OPERATOR, body=body)


def preview(body: dict[str, Any]) -> tuple[int, Any]:
    return invoke("preview_template", ONE, sub=OPERATOR, body=body)


def test_the_contract_example_creates_version_1() -> None:
    assert create() == (
        201,
        {
            "template": {
                "handle": "acme",
                "templateId": "tmpl_lead_followup",
                "name": "Lead follow-up",
                "activeVersion": 1,
                "status": "ACTIVE",
            }
        },
    )


def test_a_duplicate_id_is_a_conflict_and_keeps_the_original() -> None:
    create()
    status, body = create({**CONTRACT_BODY, "subject": "Other"})
    assert (status, body["error"]) == (409, "email_template_already_exists")
    _, detail = invoke("get_template", ONE, sub=OPERATOR)
    assert detail["versions"][0]["subject"] == CONTRACT_BODY["subject"]


def test_changing_content_adds_an_immutable_version_and_activates_it() -> None:
    create()
    assert update({"subject": "Still there, {{firstName}}?"})[1]["template"]["activeVersion"] == 2
    status, detail = invoke("get_template", ONE, sub=OPERATOR)
    assert status == 200
    assert [v["version"] for v in detail["versions"]] == [2, 1]
    assert detail["versions"][1]["subject"] == CONTRACT_BODY["subject"]
    assert detail["versions"][0]["html"] == CONTRACT_BODY["html"]
    assert detail["template"]["activeVersion"] == 2


def test_name_and_status_changes_and_repeats_add_no_version() -> None:
    create()
    assert update({"name": "Renamed"})[1]["template"]["activeVersion"] == 1
    assert update({"subject": CONTRACT_BODY["subject"]})[1]["template"]["activeVersion"] == 1
    paused = update({"status": "PAUSED"})[1]["template"]
    assert (paused["status"], paused["name"], paused["activeVersion"]) == ("PAUSED", "Renamed", 1)


def test_removing_the_last_body_is_refused() -> None:
    create({**CONTRACT_BODY, "html": None})
    status, body = update({"text": None})
    assert (status, body["error"]) == (400, "template_body_required")


def test_the_create_body_can_be_put_again_to_change_the_template() -> None:
    # Its templateId is the path's: checked, then ignored (it was refused as an extra input).
    create()
    status, body = update({**CONTRACT_BODY, "subject": "Still there, {{firstName}}?"})
    assert (status, body["template"]["activeVersion"]) == (200, 2)
    assert body["template"]["templateId"] == ONE["templateId"]


def test_a_templateid_other_than_the_paths_is_refused_and_changes_nothing() -> None:
    create()
    status, body = update({**CONTRACT_BODY, "templateId": "tmpl_other", "subject": "Changed"})
    assert (status, body["error"]) == (400, "template_id_mismatch")
    assert "tmpl_other" in body["message"]
    assert ONE["templateId"] in body["message"]
    _, detail = invoke("get_template", ONE, sub=OPERATOR)
    assert [v["subject"] for v in detail["versions"]] == [CONTRACT_BODY["subject"]]


def test_a_malformed_path_id_is_named_before_a_mismatch() -> None:
    status, body = update(
        {"templateId": "tmpl_other"}, {"handle": "acme", "templateId": "lead_followup"}
    )
    assert (status, body["error"]) == (400, "invalid_template_id")


def test_updating_a_missing_template_is_not_found() -> None:
    status, body = update({"name": "x"}, {"handle": "acme", "templateId": "tmpl_nope"})
    assert (status, body["error"]) == (404, "email_template_not_found")


@pytest.mark.parametrize(
    ("changes", "status", "code"),
    [
        ({"templateId": "lead_followup"}, 400, "invalid_template_id"),
        ({"templateId": "tmpl_a b"}, 400, "invalid_template_id"),
        ({"html": None, "text": None}, 400, "template_body_required"),
        ({"html": "", "text": ""}, 400, "template_body_required"),
        ({"subject": ""}, 400, "invalid_header_value"),
        ({"subject": "Hi\r\nBcc: victim@example.com"}, 400, "invalid_header_value"),
        ({"subject": "Hi\u2028there"}, 400, "invalid_header_value"),
        ({"html": "x" * (256 * 1024)}, 413, "template_too_large"),
        ({"activeVersion": 7}, 400, "invalid_request"),
        ({"handle": "globex"}, 400, "invalid_request"),
        ({"status": "ACTIVE"}, 400, "invalid_request"),
        ({"name": None}, 400, "invalid_request"),
    ],
)
def test_bad_templates_are_refused_with_a_code(
    changes: dict[str, Any], status: int, code: str
) -> None:
    result_status, body = create({**CONTRACT_BODY, **changes})
    assert (result_status, body["error"]) == (status, code)


def test_the_list_pages_with_a_next_token() -> None:
    for index in range(3):
        create({**CONTRACT_BODY, "templateId": f"tmpl_{index}"})
    seen, token = [], None
    for _ in range(5):
        query = {"limit": "2", **({"nextToken": token} if token else {})}
        status, body = invoke("list_templates", ACME, sub=OPERATOR, query=query)
        assert status == 200
        seen += [template["templateId"] for template in body["templates"]]
        token = body["nextToken"]
        if token is None:
            break
    assert seen == ["tmpl_0", "tmpl_1", "tmpl_2"]


def _token(key: dict[str, str]) -> str:
    return base64.urlsafe_b64encode(json.dumps(key).encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    "token",
    [
        "not-a-token",
        _token({"PK": "HANDLE#globex", "SK": "TEMPLATE#tmpl_0"}),
        _token({"PK": "HANDLE#acme", "SK": "MEMBER#user_owner"}),
        _token({"PK": "HANDLE#acme", "SK": 5}),  # type: ignore[dict-item]
        "A" * 3000,
    ],
)
def test_a_forged_or_foreign_next_token_is_refused(token: str) -> None:
    status, body = invoke("list_templates", ACME, sub=OPERATOR, query={"nextToken": token})
    assert (status, body["error"]) == (400, "invalid_next_token")


@pytest.mark.parametrize("limit", ["0", "101", "ten"])
def test_the_page_size_is_bounded(limit: str) -> None:
    status, body = invoke("list_templates", ACME, sub=OPERATOR, query={"limit": limit})
    assert (status, body["error"]) == (400, "invalid_request")


def test_preview_renders_and_names_missing_variables() -> None:
    create()
    status, body = preview({"variables": {"firstName": "<Asha>"}})
    assert status == 200
    assert body["preview"] == {
        "templateId": "tmpl_lead_followup",
        "version": 1,
        "subject": "Thanks for reaching out, <Asha>",
        "html": "<p>Hi &lt;Asha&gt;, thanks for your interest in .</p>",
        "text": "Hi <Asha>, thanks for your interest in .",
        "missingVariables": ["service"],
    }


def test_preview_of_an_older_version_and_of_a_missing_one() -> None:
    create()
    update({"subject": "v2 {{firstName}}"})
    assert preview({"version": 1})[1]["preview"]["subject"] == "Thanks for reaching out, "
    status, body = preview({"version": 9})
    assert (status, body["error"]) == (404, "email_template_version_not_found")


def test_preview_keeps_expressions_inert_and_refuses_injected_subjects() -> None:
    create({**CONTRACT_BODY, "text": "{{7*7}} {{a.__class__}} {{firstName}}"})
    assert preview({"variables": {"firstName": True}})[1]["preview"]["text"] == (
        "{{7*7}} {{a.__class__}} true"
    )
    status, body = preview({"variables": {"firstName": "x\r\nBcc: victim@example.com"}})
    assert (status, body["error"]) == (400, "rendered_subject_unsafe")


@pytest.mark.parametrize(
    "variables",
    [
        {f"v{index}": "x" for index in range(101)},
        {"bad-name": "x"},
        {"v": "x" * 10_001},
        {"v": {"nested": "x"}},
    ],
)
def test_preview_bounds_its_variables(variables: dict[str, Any]) -> None:
    create()
    status, body = preview({"variables": variables})
    assert (status, body["error"]) == (400, "invalid_request")


def test_other_handles_templates_are_invisible_through_your_own_handle() -> None:
    create()
    tenancy.grant_membership("globex", OPERATOR, Role.OPERATOR)
    other = {"handle": "globex", "templateId": "tmpl_lead_followup"}
    status, body = invoke("get_template", other, sub=OPERATOR)
    assert (status, body["error"]) == (404, "email_template_not_found")


@pytest.mark.parametrize(
    "route_id",
    ["list_templates", "create_template", "get_template", "update_template", "preview_template"],
)
def test_every_template_route_refuses_creators_and_outsiders(route_id: str) -> None:
    params = (
        {**ONE}
        if "{templateId}" in __import__("tenx_email.routes").routes.route(route_id).path
        else ACME
    )
    for sub, code in ((MEMBERS[Role.CREATOR], "insufficient_role"), (OUTSIDER, "forbidden")):
        status, body = invoke(route_id, params, sub=sub, body={})
        assert (status, body["error"]) == (403, code)
