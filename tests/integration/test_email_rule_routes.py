"""Campaign email rules through the real handlers on moto: the contract's examples, every
refusal with its code and in its documented order, optimistic concurrency, soft deletes, the
per-campaign limit and tenant isolation."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import pytest

from tenx_email import clock
from tenx_email.roles import Role
from tenx_email.services import tenancy
from tests.events import invoke
from tests.integration.conftest import MEMBERS, OUTSIDER

OPERATOR, CREATOR = MEMBERS[Role.OPERATOR], MEMBERS[Role.CREATOR]
CAMPAIGN = {"handle": "acme", "campaignId": "cmp_welcome"}
SENDER = {
    "domain": "example.com",
    "localPart": "notifications",
    "displayName": "Acme Notifications",
    "purposes": ["PRODUCT_NOTIFICATION", "TRANSACTIONAL_API"],
    "enabled": True,
}
TEMPLATE = {
    "templateId": "tmpl_lead_followup",
    "name": "Lead follow-up",
    "subject": "Thanks for reaching out, {{firstName}}",
    "text": "Hi {{firstName}}, thanks for your interest in {{requestedService}}.",
}
IMMEDIATE = {
    "trigger": "LEAD_CAPTURED",
    "templateId": "tmpl_lead_followup",
    "senderId": "sender_notifications",
    "enabled": True,
    "variableMappings": {"firstName": "firstName", "service": "fields.service"},
}
DELAYED = {
    "trigger": "LEAD_CAPTURED_DELAYED",
    "delayMinutes": 1440,
    "templateId": "tmpl_lead_followup",
    "senderId": "sender_notifications",
    "enabled": True,
}
CONVERSION = {
    "trigger": "CONVERSION",
    "templateId": "tmpl_lead_followup",
    "senderId": "sender_notifications",
    "enabled": True,
}
RULE_ID = re.compile(r"^cer_[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
NEVER_EXISTED = "cer_00000000-0000-4000-8000-000000000000"
CONTRACT_TIME = datetime(2026, 6, 12, 8, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def ready_campaign(tenant: None) -> None:
    """Given acme's campaign cmp_welcome, a READY sender that allows PRODUCT_NOTIFICATION and
    an ACTIVE template."""
    tenancy.register_campaign("acme", "cmp_welcome", "Welcome")
    sender = {"handle": "acme", "senderId": "sender_notifications"}
    assert invoke("put_sender", sender, sub=OPERATOR, body=SENDER)[0] == 200
    assert invoke("create_template", {"handle": "acme"}, sub=OPERATOR, body=TEMPLATE)[0] == 201


def create(
    body: dict[str, Any], campaign: dict[str, str] = CAMPAIGN, sub: str = OPERATOR
) -> tuple[int, Any]:
    return invoke("create_email_rule", campaign, sub=sub, body=body)


def created(body: dict[str, Any] = IMMEDIATE) -> dict[str, Any]:
    status, answer = create(body)
    assert status == 201, answer
    rule: dict[str, Any] = answer["rule"]
    return rule


def update(
    rule_id: str, body: dict[str, Any], campaign: dict[str, str] = CAMPAIGN, sub: str = OPERATOR
) -> tuple[int, Any]:
    return invoke("update_email_rule", {**campaign, "ruleId": rule_id}, sub=sub, body=body)


def delete(
    rule_id: str, campaign: dict[str, str] = CAMPAIGN, sub: str = OPERATOR
) -> tuple[int, Any]:
    return invoke("delete_email_rule", {**campaign, "ruleId": rule_id}, sub=sub)


def listed(campaign: dict[str, str] = CAMPAIGN, sub: str = OPERATOR) -> list[dict[str, Any]]:
    status, body = invoke("list_email_rules", campaign, sub=sub)
    assert status == 200, body
    rules: list[dict[str, Any]] = body["rules"]
    return rules


def error(result: tuple[int, Any]) -> tuple[int, str]:
    status, body = result
    return status, body["error"]


# --- the contract's examples ---------------------------------------------------------------


def test_the_contract_immediate_rule_is_answered_in_the_contract_shape(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Given the contract's moment
    monkeypatch.setattr(clock, "now", lambda: CONTRACT_TIME)
    # When the contract's immediate lead-captured rule is created
    status, body = create(IMMEDIATE)
    # Then it is answered exactly as the contract shows, with a fresh cer_<uuid4> id
    assert status == 201
    assert RULE_ID.fullmatch(body["rule"]["ruleId"])
    assert body == {
        "rule": {
            "ruleId": body["rule"]["ruleId"],
            "campaignId": "cmp_welcome",
            "trigger": "LEAD_CAPTURED",
            "delayMinutes": None,
            "templateId": "tmpl_lead_followup",
            "senderId": "sender_notifications",
            "variableMappings": {"firstName": "firstName", "service": "fields.service"},
            "enabled": True,
            "version": 1,
            "createdAt": "2026-06-12T08:00:00.000Z",
            "updatedAt": "2026-06-12T08:00:00.000Z",
        }
    }


def test_the_contract_delayed_and_conversion_rules_are_created() -> None:
    # When the contract's delayed and conversion rules are created
    delayed, conversion = created(DELAYED), created(CONVERSION)
    # Then the delay is kept on the delayed one only, and no mappings answer {}
    assert (delayed["trigger"], delayed["delayMinutes"]) == ("LEAD_CAPTURED_DELAYED", 1440)
    assert (conversion["trigger"], conversion["delayMinutes"]) == ("CONVERSION", None)
    assert delayed["variableMappings"] == conversion["variableMappings"] == {}
    assert delayed["ruleId"] != conversion["ruleId"]


def test_the_list_shows_the_campaigns_rules_oldest_first() -> None:
    # Given the contract's three rules
    rules = [created(IMMEDIATE), created(DELAYED), created(CONVERSION)]
    # When a CREATOR lists them
    status, body = invoke("list_email_rules", CAMPAIGN, sub=CREATOR)
    # Then they are listed exactly as they were created
    assert (status, body) == (200, {"rules": rules})


def test_an_empty_campaign_lists_no_rules() -> None:
    assert listed() == []


def test_an_update_with_the_read_version_wins_and_a_stale_one_conflicts() -> None:
    # Given the immediate rule at version 1
    rule = created()
    contract_update = {**DELAYED, "delayMinutes": 2880, "expectedVersion": 1}
    # When the contract's update is sent with expectedVersion 1
    status, body = update(rule["ruleId"], contract_update)
    # Then the rule is replaced at version 2, keeping its id and creation time
    assert status == 200
    updated = body["rule"]
    assert updated == {
        **rule,
        "trigger": "LEAD_CAPTURED_DELAYED",
        "delayMinutes": 2880,
        "variableMappings": {},
        "version": 2,
        "updatedAt": updated["updatedAt"],
    }
    assert updated["updatedAt"] >= rule["updatedAt"]
    # When the same update is sent again with the now stale version 1
    # Then it is a version conflict and the rule stays as the first update left it
    assert error(update(rule["ruleId"], contract_update)) == (409, "version_conflict")
    assert listed() == [updated]


def test_without_expected_version_the_last_write_wins_and_every_update_counts() -> None:
    rule = created()
    update(rule["ruleId"], {**IMMEDIATE, "enabled": False})
    status, body = update(rule["ruleId"], CONVERSION)
    assert status == 200
    assert (body["rule"]["version"], body["rule"]["trigger"]) == (3, "CONVERSION")
    # A full replacement: what the body left out takes its default.
    assert (body["rule"]["enabled"], body["rule"]["variableMappings"]) == (True, {})


def test_deleting_is_soft_repeatable_and_hides_the_rule() -> None:
    # Given two rules
    kept, gone = created(IMMEDIATE), created(CONVERSION)
    # When one is deleted twice
    first, second = delete(gone["ruleId"]), delete(gone["ruleId"])
    # Then both deletes answer 204 without a body, and only the other rule is listed
    assert first == second == (204, None)
    assert listed() == [kept]
    # And the deleted rule can no longer be updated
    assert error(update(gone["ruleId"], CONVERSION)) == (404, "email_rule_not_found")


@pytest.mark.parametrize("rule_id", [NEVER_EXISTED, "cer_nope", "rule_1", "cer_" + "a" * 2000])
def test_a_rule_that_never_existed_is_not_found(rule_id: str) -> None:
    created()
    assert error(update(rule_id, IMMEDIATE)) == (404, "email_rule_not_found")
    assert error(delete(rule_id)) == (404, "email_rule_not_found")


# --- refusals and their order ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"trigger": "SIGNUP"}, "invalid_trigger"),
        ({"trigger": "lead_captured"}, "invalid_trigger"),
        ({"trigger": ""}, "invalid_trigger"),
        ({"trigger": "LEAD_CAPTURED_DELAYED"}, "delay_minutes_required_for_delayed_trigger"),
        (
            {"trigger": "LEAD_CAPTURED_DELAYED", "delayMinutes": None},
            "delay_minutes_required_for_delayed_trigger",
        ),
        ({"trigger": "LEAD_CAPTURED_DELAYED", "delayMinutes": 14}, "delay_minutes_below_minimum"),
        ({"trigger": "LEAD_CAPTURED_DELAYED", "delayMinutes": -5}, "delay_minutes_below_minimum"),
        (
            {"trigger": "LEAD_CAPTURED_DELAYED", "delayMinutes": 43201},
            "delay_minutes_above_maximum",
        ),
        (
            {"trigger": "LEAD_CAPTURED_DELAYED", "delayMinutes": 10**40},
            "delay_minutes_above_maximum",
        ),
        ({"trigger": "LEAD_CAPTURED", "delayMinutes": 60}, "delay_minutes_not_allowed"),
        ({"trigger": "CONVERSION", "delayMinutes": 15}, "delay_minutes_not_allowed"),
    ],
)
def test_triggers_and_delays_are_checked_on_create_and_update(
    changes: dict[str, Any], code: str
) -> None:
    rule = created()
    assert error(create({**IMMEDIATE, **changes})) == (400, code)
    assert error(update(rule["ruleId"], {**IMMEDIATE, **changes})) == (400, code)
    assert listed() == [rule]


@pytest.mark.parametrize("delay", [15, 43200])
def test_the_delay_bounds_are_inclusive(delay: int) -> None:
    assert created({**DELAYED, "delayMinutes": delay})["delayMinutes"] == delay


def test_a_whole_number_written_as_json_writes_it_is_taken_but_not_a_string_or_a_boolean() -> None:
    # JSON (and the OpenAPI document's "integer") counts 60.0 as 60
    rule = created({**DELAYED, "delayMinutes": 60.0})
    assert rule["delayMinutes"] == 60
    updated = update(rule["ruleId"], {**DELAYED, "delayMinutes": 90.0, "expectedVersion": 1.0})
    assert (updated[0], updated[1]["rule"]["version"]) == (200, 2)
    # ... but not 60.5, "60" or true
    for delay in (60.5, "60", True):
        assert error(create({**DELAYED, "delayMinutes": delay})) == (400, "invalid_request")


def test_refusals_come_in_the_documented_order() -> None:
    # Given a body that is wrong in every way, for an unknown campaign
    body: dict[str, Any] = {
        "trigger": "SOMETIME",
        "delayMinutes": 5,
        "templateId": "tmpl_nope",
        "senderId": "sender_nope",
        "variableMappings": {"bad key": "x"},
    }
    unknown = {"handle": "acme", "campaignId": "cmp_nope"}
    # When each problem is fixed in turn, Then the next one is reported
    steps: list[tuple[dict[str, Any], dict[str, str], tuple[int, str]]] = [
        ({}, unknown, (400, "invalid_trigger")),
        (
            {"trigger": "LEAD_CAPTURED_DELAYED", "delayMinutes": None},
            unknown,
            (400, "delay_minutes_required_for_delayed_trigger"),
        ),
        ({"delayMinutes": 5}, unknown, (400, "delay_minutes_below_minimum")),
        ({"delayMinutes": 50_000}, unknown, (400, "delay_minutes_above_maximum")),
        ({"trigger": "CONVERSION"}, unknown, (400, "delay_minutes_not_allowed")),
        ({"delayMinutes": None}, unknown, (400, "invalid_variable_mappings")),
        ({"variableMappings": {}}, unknown, (404, "campaign_not_found")),
        ({}, CAMPAIGN, (404, "email_template_not_found")),
        ({"templateId": "tmpl_lead_followup"}, CAMPAIGN, (404, "sender_profile_not_found")),
    ]
    for changes, campaign, expected in steps:
        body |= changes
        assert error(create(body, campaign)) == expected, changes
    body |= {"senderId": "sender_notifications"}
    assert create(body)[0] == 201


def test_a_paused_template_is_not_active() -> None:
    rule = created()
    template = {"handle": "acme", "templateId": "tmpl_lead_followup"}
    invoke("update_template", template, sub=OPERATOR, body={"status": "PAUSED"})
    assert error(create(IMMEDIATE)) == (409, "email_template_not_active")
    assert error(update(rule["ruleId"], IMMEDIATE)) == (409, "email_template_not_active")


def test_a_disabled_sender_is_not_ready_under_the_rule_code() -> None:
    rule = created()
    sender = {"handle": "acme", "senderId": "sender_notifications"}
    invoke("put_sender", sender, sub=OPERATOR, body={**SENDER, "enabled": False})
    assert error(create(IMMEDIATE)) == (409, "sender_not_ready")
    assert error(update(rule["ruleId"], IMMEDIATE)) == (409, "sender_not_ready")


def test_a_sender_without_product_notification_is_refused() -> None:
    limited = {"handle": "acme", "senderId": "sender_api"}
    only_api = {**SENDER, "localPart": "hello", "purposes": ["TRANSACTIONAL_API"]}
    assert invoke("put_sender", limited, sub=OPERATOR, body=only_api)[0] == 200
    assert error(create({**IMMEDIATE, "senderId": "sender_api"})) == (
        409,
        "sender_missing_product_notification_purpose",
    )


def test_the_template_is_checked_before_the_sender() -> None:
    body = {**IMMEDIATE, "templateId": "tmpl_nope", "senderId": "sender_nope"}
    assert error(create(body)) == (404, "email_template_not_found")


# --- variable mappings ---------------------------------------------------------------------


def test_mappings_at_their_bounds_are_accepted() -> None:
    mappings = {f"v{index}": f"fields.custom_{index}" for index in range(49)}
    mappings["k" * 64] = "v" * 64
    assert created({**IMMEDIATE, "variableMappings": mappings})["variableMappings"] == mappings


@pytest.mark.parametrize(
    ("mappings", "named"),
    [
        ({f"v{index}": "x" for index in range(51)}, "at most 50"),
        ({"k" * 65: "x"}, "k" * 10),
        ({"first name": "x"}, "first name"),
        ({"": "x"}, "''"),
        ({"ok": "x", "x#y": "x"}, "x#y"),
        ({"{{x}}": "x"}, "{{x}}"),
        ({"name": "v" * 65}, "name"),
        ({"name": ""}, "name"),
        ({"name": "fields/service"}, "name"),
        ({"name": "a\r\nb"}, "name"),
    ],
)
def test_unsafe_mappings_are_refused_naming_the_key(mappings: dict[str, str], named: str) -> None:
    status, body = create({**IMMEDIATE, "variableMappings": mappings})
    assert (status, body["error"]) == (400, "invalid_variable_mappings")
    assert named in body["message"]


@pytest.mark.parametrize("mappings", [{"name": 5}, {"name": None}, ["name"], None])
def test_mappings_of_the_wrong_type_are_invalid_requests(mappings: Any) -> None:
    assert error(create({**IMMEDIATE, "variableMappings": mappings})) == (400, "invalid_request")


# --- mass assignment and malformed bodies --------------------------------------------------


@pytest.mark.parametrize(
    "changes",
    [
        {"ruleId": "cer_2f3ddf1b-7d15-4f70-83bb-1d28b91a42c5"},
        {"version": 7},
        {"campaignId": "cmp_other"},
        {"createdAt": "2020-01-01T00:00:00.000Z"},
        {"updatedAt": "2020-01-01T00:00:00.000Z"},
        {"deleted": True},
        {"handle": "globex"},
        {"enabled": "true"},
        {"enabled": None},
        {"delayMinutes": "1440"},
        {"delayMinutes": 1440.5},
        {"templateId": ""},
        {"senderId": None},
        {"trigger": 1},
    ],
)
def test_fields_a_client_may_not_set_or_malformed_ones_are_refused(
    changes: dict[str, Any],
) -> None:
    rule = created()
    assert error(create({**IMMEDIATE, **changes})) == (400, "invalid_request")
    assert error(update(rule["ruleId"], {**IMMEDIATE, **changes})) == (400, "invalid_request")
    assert listed() == [rule]


@pytest.mark.parametrize("expected_version", [0, -1, "1", 1.5, True])
def test_expected_version_must_be_a_positive_integer(expected_version: Any) -> None:
    rule = created()
    body = {**IMMEDIATE, "expectedVersion": expected_version}
    assert error(update(rule["ruleId"], body)) == (400, "invalid_request")
    assert listed() == [rule]


def test_expected_version_is_refused_on_create() -> None:
    assert error(create({**IMMEDIATE, "expectedVersion": 1})) == (400, "invalid_request")


def test_enabled_defaults_to_true() -> None:
    body = {key: value for key, value in IMMEDIATE.items() if key != "enabled"}
    assert created(body)["enabled"] is True
    assert created({**IMMEDIATE, "enabled": False})["enabled"] is False


# --- concurrency -----------------------------------------------------------------------------


def _twin_commits_before_our_write(twin_body: dict[str, Any], rule_id: str) -> Any:
    """Register a hook that lets a twin update commit between our read and our write."""
    from tenx_email.dal.table import table

    twin: list[tuple[int, Any]] = []

    def hook(**_: Any) -> None:
        if not twin:
            twin.append((0, None))
            twin[0] = update(rule_id, twin_body)

    table().meta.client.meta.events.register("before-call.dynamodb.PutItem", hook)
    return hook, twin


def _unhook(hook: Any) -> None:
    from tenx_email.dal.table import table

    table().meta.client.meta.events.unregister("before-call.dynamodb.PutItem", hook)


def test_a_lost_race_without_expected_version_is_retried_and_still_wins() -> None:
    rule = created()
    hook, twin = _twin_commits_before_our_write({**IMMEDIATE, "enabled": False}, rule["ruleId"])
    try:
        status, body = update(rule["ruleId"], CONVERSION)
    finally:
        _unhook(hook)
    assert twin[0][0] == status == 200
    assert (body["rule"]["version"], body["rule"]["trigger"]) == (3, "CONVERSION")
    assert listed() == [body["rule"]]


def test_a_lost_race_with_expected_version_is_a_conflict() -> None:
    rule = created()
    hook, twin = _twin_commits_before_our_write({**IMMEDIATE, "enabled": False}, rule["ruleId"])
    try:
        result = update(rule["ruleId"], {**CONVERSION, "expectedVersion": 1})
    finally:
        _unhook(hook)
    assert twin[0][0] == 200
    assert error(result) == (409, "version_conflict")
    assert [(r["version"], r["enabled"]) for r in listed()] == [(2, False)]


# --- the per-campaign limit ----------------------------------------------------------------


def test_a_campaign_holds_at_most_100_live_rules() -> None:
    # Given a campaign with 100 rules
    rules = [created(CONVERSION) for _ in range(100)]
    # When one more is created, Then it is refused
    assert error(create(CONVERSION)) == (409, "email_rule_limit_reached")
    assert len(listed()) == 100
    # And another campaign is not affected
    tenancy.register_campaign("acme", "cmp_other", "Other")
    assert create(CONVERSION, {"handle": "acme", "campaignId": "cmp_other"})[0] == 201
    # When one is deleted (twice: the second changes nothing), Then there is room for one
    delete(rules[0]["ruleId"])
    delete(rules[0]["ruleId"])
    assert create(CONVERSION)[0] == 201
    assert error(create(CONVERSION)) == (409, "email_rule_limit_reached")


# --- access and isolation ------------------------------------------------------------------


def test_a_creator_may_list_but_not_change_rules() -> None:
    rule = created()
    assert listed(sub=CREATOR) == [rule]
    assert error(create(IMMEDIATE, sub=CREATOR)) == (403, "insufficient_role")
    assert error(update(rule["ruleId"], CONVERSION, sub=CREATOR)) == (403, "insufficient_role")
    assert error(delete(rule["ruleId"], sub=CREATOR)) == (403, "insufficient_role")
    assert listed() == [rule]


@pytest.mark.parametrize(
    "route_id", ["list_email_rules", "create_email_rule", "update_email_rule", "delete_email_rule"]
)
def test_another_handles_member_is_forbidden_before_the_body_is_read(route_id: str) -> None:
    params = {**CAMPAIGN, "ruleId": NEVER_EXISTED}
    status, body = invoke(route_id, params, sub=OUTSIDER, body={"ruleId": "x"})
    assert (status, body["error"]) == (403, "forbidden")


def test_another_handles_or_campaigns_rule_is_not_found() -> None:
    # Given acme's rule, and the same campaign id on globex where the caller is an operator too
    rule = created()
    tenancy.grant_membership("globex", OPERATOR, Role.OPERATOR)
    tenancy.register_campaign("globex", "cmp_welcome", "Welcome")
    tenancy.register_campaign("acme", "cmp_other", "Other")
    elsewhere = [
        {"handle": "globex", "campaignId": "cmp_welcome"},
        {"handle": "acme", "campaignId": "cmp_other"},
    ]
    for campaign in elsewhere:
        # When it is updated or deleted through another handle or campaign, Then it is not found
        assert error(update(rule["ruleId"], CONVERSION, campaign)) == (404, "email_rule_not_found")
        assert error(delete(rule["ruleId"], campaign)) == (404, "email_rule_not_found")
        assert listed(campaign) == []
    # And it is untouched
    assert listed() == [rule]


@pytest.mark.parametrize("campaign_id", ["cmp_nope", "not-a-campaign", "cmp_" + "x" * 2000])
@pytest.mark.parametrize(
    "route_id", ["list_email_rules", "create_email_rule", "update_email_rule", "delete_email_rule"]
)
def test_an_unknown_campaign_is_not_found_on_every_route(route_id: str, campaign_id: str) -> None:
    params = {"handle": "acme", "campaignId": campaign_id, "ruleId": NEVER_EXISTED}
    body = IMMEDIATE if route_id in {"create_email_rule", "update_email_rule"} else None
    status, answer = invoke(route_id, params, sub=OPERATOR, body=body)
    assert (status, answer["error"]) == (404, "campaign_not_found")


def test_an_unknown_campaign_wins_over_a_malformed_rule_id() -> None:
    unknown = {"handle": "acme", "campaignId": "cmp_nope"}
    assert error(delete("nope", unknown)) == (404, "campaign_not_found")
    assert error(update("nope", IMMEDIATE, unknown)) == (404, "campaign_not_found")
