"""Campaign sequences through the real handlers on moto: create, read, list, update as new
versions, soft delete; every refusal with its code and in its documented order; optimistic
concurrency; the per-campaign limit under a concurrent create; ARCHIVED is final; roles and
tenant isolation; the one read each route makes."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import pytest

from tenx_email import clock, keys
from tenx_email.dal import sequences as store
from tenx_email.dal import tenancy as campaign_store
from tenx_email.dal.table import table
from tenx_email.roles import Role
from tenx_email.services import tenancy
from tests.events import invoke
from tests.integration.conftest import MEMBERS, OUTSIDER
from tests.integration.test_email_rule_routes import SENDER, ready_campaign  # noqa: F401
from tests.integration.test_prefetch_routes import access_keys, acme, dynamodb_calls, operations

# ready_campaign, autouse here too: acme's campaign cmp_welcome, a READY sender that allows
# PRODUCT_NOTIFICATION (SENDER) and the ACTIVE template tmpl_lead_followup.

OPERATOR, CREATOR = MEMBERS[Role.OPERATOR], MEMBERS[Role.CREATOR]
CAMPAIGN = {"handle": "acme", "campaignId": "cmp_welcome"}
TEMPLATE_ID, SENDER_ID = "tmpl_lead_followup", "sender_notifications"


def email(**changes: Any) -> dict[str, Any]:
    return {"type": "email", "templateId": TEMPLATE_ID, "senderId": SENDER_ID, **changes}


def wait(minutes: Any) -> dict[str, Any]:
    return {"type": "wait", "minutes": minutes}


# The open-source senders' favourite: lead captured -> wait 20 min -> welcome -> 2 days -> feedback.
DRIP = {
    "name": "Bienvenue, Zoë: welcome, then feedback 🎉",
    "trigger": "LEAD_CAPTURED",
    "steps": [
        wait(20),
        email(variableMappings={"firstName": "firstName", "service": "fields.service"}),
        wait(2880),
        email(),
    ],
    "exitOn": ["CONVERSION", "UNSUBSCRIBED"],
}
MINIMAL = {"trigger": "CONVERSION", "steps": [email()]}
SEQUENCE_ID = re.compile(
    r"^seq_[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$"
)
NEVER_EXISTED = "seq_00000000-0000-4000-8000-000000000000"
CONTRACT_TIME = datetime(2026, 6, 12, 8, 0, tzinfo=UTC)


def create(
    body: dict[str, Any], campaign: dict[str, str] = CAMPAIGN, sub: str = OPERATOR
) -> tuple[int, Any]:
    return invoke("create_sequence", campaign, sub=sub, body=body)


def created(body: dict[str, Any] = DRIP) -> dict[str, Any]:
    status, answer = create(body)
    assert status == 201, answer
    sequence: dict[str, Any] = answer["sequence"]
    return sequence


def at(sequence_id: str, campaign: dict[str, str] = CAMPAIGN) -> dict[str, str]:
    return {**campaign, "sequenceId": sequence_id}


def update(
    sequence_id: str,
    body: dict[str, Any],
    campaign: dict[str, str] = CAMPAIGN,
    sub: str = OPERATOR,
) -> tuple[int, Any]:
    return invoke("update_sequence", at(sequence_id, campaign), sub=sub, body=body)


def get(
    sequence_id: str, campaign: dict[str, str] = CAMPAIGN, sub: str = OPERATOR
) -> tuple[int, Any]:
    return invoke("get_sequence", at(sequence_id, campaign), sub=sub)


def delete(
    sequence_id: str, campaign: dict[str, str] = CAMPAIGN, sub: str = OPERATOR
) -> tuple[int, Any]:
    return invoke("delete_sequence", at(sequence_id, campaign), sub=sub)


def listed(campaign: dict[str, str] = CAMPAIGN, sub: str = OPERATOR) -> list[dict[str, Any]]:
    status, body = invoke("list_sequences", campaign, sub=sub)
    assert status == 200, body
    found: list[dict[str, Any]] = body["sequences"]
    return found


def error(result: tuple[int, Any]) -> tuple[int, str]:
    status, body = result
    return status, body["error"]


def sequence_count() -> int:
    campaign = campaign_store.get_campaign("acme", "cmp_welcome")
    assert campaign is not None
    return campaign.sequence_count


# --- create, read, list ----------------------------------------------------------------------


def test_a_drip_sequence_is_created_exactly_as_sent(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(clock, "now", lambda: CONTRACT_TIME)
    status, body = create(DRIP)
    assert status == 201
    sequence = body["sequence"]
    assert SEQUENCE_ID.fullmatch(sequence["sequenceId"])
    assert body == {
        "sequence": {
            "sequenceId": sequence["sequenceId"],
            "campaignId": "cmp_welcome",
            "name": "Bienvenue, Zoë: welcome, then feedback 🎉",
            "trigger": "LEAD_CAPTURED",
            "steps": [
                {"type": "wait", "minutes": 20},
                {
                    "type": "email",
                    "templateId": TEMPLATE_ID,
                    "senderId": SENDER_ID,
                    "variableMappings": {"firstName": "firstName", "service": "fields.service"},
                },
                {"type": "wait", "minutes": 2880},
                {
                    "type": "email",
                    "templateId": TEMPLATE_ID,
                    "senderId": SENDER_ID,
                    "variableMappings": {},
                },
            ],
            "exitOn": ["CONVERSION", "UNSUBSCRIBED"],
            "enabled": True,
            "status": "ACTIVE",
            "version": 1,
            "createdAt": "2026-06-12T08:00:00.000Z",
            "updatedAt": "2026-06-12T08:00:00.000Z",
        }
    }
    # And it is read back the same, by a CREATOR too, and kept as version 1
    assert get(sequence["sequenceId"], sub=CREATOR) == (200, body)
    kept = store.get_version("acme", sequence["sequenceId"], 1)
    assert kept is not None
    assert (kept.name, len(kept.steps), kept.version) == (DRIP["name"], 4, 1)


def test_the_defaults_and_test_mode() -> None:
    sequence = created(MINIMAL)
    assert (sequence["name"], sequence["exitOn"], sequence["enabled"]) == ("", [], True)
    assert sequence["status"] == "ACTIVE"
    assert "testMode" not in sequence
    assert created({**MINIMAL, "testMode": True})["testMode"] is True


def test_the_list_shows_the_live_sequences_oldest_first() -> None:
    sequences = [created(DRIP), created(MINIMAL), created({**MINIMAL, "status": "PAUSED"})]
    assert listed(sub=CREATOR) == sequences
    assert sequence_count() == 3


def test_an_empty_campaign_lists_no_sequences() -> None:
    assert listed() == []
    assert sequence_count() == 0


# --- update ------------------------------------------------------------------------------------


def test_an_update_is_a_new_version_and_the_old_one_is_kept() -> None:
    sequence = created()
    body = {**MINIMAL, "name": "Only on conversion", "expectedVersion": 1}
    status, answer = update(sequence["sequenceId"], body)
    assert status == 200
    updated = answer["sequence"]
    assert updated == {
        **sequence,
        "name": "Only on conversion",
        "trigger": "CONVERSION",
        "steps": [MINIMAL["steps"][0] | {"variableMappings": {}}],
        "exitOn": [],
        "version": 2,
        "updatedAt": updated["updatedAt"],
    }
    assert get(sequence["sequenceId"])[1]["sequence"] == updated
    first = store.get_version("acme", sequence["sequenceId"], 1)
    second = store.get_version("acme", sequence["sequenceId"], 2)
    assert first is not None
    assert second is not None
    assert (first.name, len(first.steps)) == (DRIP["name"], 4)
    assert (second.name, len(second.steps)) == ("Only on conversion", 1)
    # The same update again names a version that is no longer current
    status, answer = update(sequence["sequenceId"], body)
    assert (status, answer["error"]) == (409, "version_conflict")
    assert "is at version 2, not 1" in answer["message"]


def test_without_expected_version_the_last_write_wins() -> None:
    sequence = created()
    update(sequence["sequenceId"], {**DRIP, "enabled": False})
    status, answer = update(sequence["sequenceId"], MINIMAL)
    assert status == 200
    assert (answer["sequence"]["version"], answer["sequence"]["enabled"]) == (3, True)


def test_pausing_and_resuming_are_updates() -> None:
    sequence = created()
    paused = update(sequence["sequenceId"], {**DRIP, "status": "PAUSED"})[1]["sequence"]
    resumed = update(sequence["sequenceId"], {**DRIP, "status": "ACTIVE"})[1]["sequence"]
    assert (paused["status"], resumed["status"], resumed["version"]) == ("PAUSED", "ACTIVE", 3)


def test_an_archived_sequence_is_final() -> None:
    sequence = created()
    archived = update(sequence["sequenceId"], {**DRIP, "status": "ARCHIVED"})
    assert (archived[0], archived[1]["sequence"]["status"]) == (200, "ARCHIVED")
    for body in ({**DRIP, "status": "ACTIVE"}, {**DRIP, "status": "ARCHIVED"}):
        status, answer = update(sequence["sequenceId"], body)
        assert (status, answer["error"]) == (409, "sequence_archived")
        assert "create a new one" in answer["message"]
    # It can still be read, listed and deleted
    assert get(sequence["sequenceId"])[1]["sequence"]["version"] == 2
    assert [s["status"] for s in listed()] == ["ARCHIVED"]
    assert delete(sequence["sequenceId"]) == (204, None)


# --- delete ------------------------------------------------------------------------------------


def test_deleting_is_soft_repeatable_and_hides_the_sequence() -> None:
    kept, gone = created(DRIP), created(MINIMAL)
    assert delete(gone["sequenceId"]) == delete(gone["sequenceId"]) == (204, None)
    assert listed() == [kept]
    assert error(get(gone["sequenceId"])) == (404, "sequence_not_found")
    assert error(update(gone["sequenceId"], MINIMAL)) == (404, "sequence_not_found")
    # The head stays behind, marked, and the campaign counts the live one only
    head = store.get("acme", "cmp_welcome", gone["sequenceId"])
    assert head is not None
    assert head.deleted
    assert sequence_count() == 1


@pytest.mark.parametrize("sequence_id", [NEVER_EXISTED, "seq_nope", "cer_1", "seq_" + "a" * 2000])
def test_a_sequence_that_never_existed_is_not_found(sequence_id: str) -> None:
    created()
    assert error(get(sequence_id)) == (404, "sequence_not_found")
    assert error(update(sequence_id, MINIMAL)) == (404, "sequence_not_found")
    assert error(delete(sequence_id)) == (404, "sequence_not_found")


# --- checks that need no read ----------------------------------------------------------------


@pytest.mark.parametrize("trigger", ["SIGNUP", "lead_captured", "", "LEAD_CAPTURED_DELAYED"])
def test_an_unknown_trigger_is_refused(trigger: str) -> None:
    sequence = created()
    status, answer = create({**DRIP, "trigger": trigger})
    assert (status, answer["error"]) == (400, "invalid_trigger")
    assert "LEAD_CAPTURED, CONVERSION" in answer["message"]
    assert error(update(sequence["sequenceId"], {**DRIP, "trigger": trigger})) == (
        400,
        "invalid_trigger",
    )


@pytest.mark.parametrize(
    ("steps", "says"),
    [
        ([], "1 to 20 steps; this one has 0"),
        ([email()] * 21, "1 to 20 steps; this one has 21"),
        ([wait(60)], "at least one email step"),
        ([wait(60), wait(60)], "at least one email step"),
    ],
)
def test_steps_must_be_1_to_20_with_an_email(steps: list[Any], says: str) -> None:
    status, answer = create({**DRIP, "steps": steps})
    assert (status, answer["error"]) == (400, "invalid_sequence_steps")
    assert says in answer["message"]


def test_twenty_steps_are_fine() -> None:
    assert len(created({**DRIP, "steps": [email(), *[wait(15)] * 19]})["steps"]) == 20


@pytest.mark.parametrize(
    ("minutes", "code", "says"),
    [
        (14, "delay_minutes_below_minimum", "steps[2].minutes must be at least 15"),
        (0, "delay_minutes_below_minimum", "steps[2].minutes must be at least 15"),
        (-5, "delay_minutes_below_minimum", "steps[2].minutes must be at least 15"),
        (43_201, "delay_minutes_above_maximum", "steps[2].minutes must be at most 43200"),
        (10**40, "delay_minutes_above_maximum", "steps[2].minutes must be at most 43200"),
    ],
)
def test_a_wait_out_of_bounds_is_refused_naming_its_step(
    minutes: int, code: str, says: str
) -> None:
    steps = [email(), wait(60), wait(minutes)]
    status, answer = create({**DRIP, "steps": steps})
    assert (status, answer["error"], answer["message"]) == (400, code, says)


@pytest.mark.parametrize("minutes", [15, 43_200, 60.0])
def test_the_wait_bounds_are_inclusive_and_json_whole_numbers_count(minutes: Any) -> None:
    assert created({**DRIP, "steps": [email(), wait(minutes)]})["steps"][1]["minutes"] == minutes


@pytest.mark.parametrize("minutes", [60.5, "60", True, None])
def test_a_wait_that_is_not_a_whole_number_is_an_invalid_request(minutes: Any) -> None:
    assert error(create({**DRIP, "steps": [email(), wait(minutes)]})) == (400, "invalid_request")


def test_the_waits_together_span_at_most_90_days() -> None:
    three_months = [email(), wait(43_200), wait(43_200), wait(43_200)]
    assert created({**DRIP, "steps": three_months})["steps"][3]["minutes"] == 43_200
    status, answer = create({**DRIP, "steps": [*three_months, wait(15)]})
    assert (status, answer["error"]) == (400, "sequence_too_long")
    assert "129615 minutes" in answer["message"]
    assert "129600 (90 days)" in answer["message"]


@pytest.mark.parametrize(
    ("mappings", "named"),
    [
        ({f"v{index}": "x" for index in range(51)}, "at most 50 steps[1].variableMappings"),
        ({"first name": "x"}, "steps[1].variableMappings key 'first name'"),
        ({"name": "a\r\nb"}, "steps[1].variableMappings value of 'name'"),
    ],
)
def test_unsafe_mappings_are_refused_naming_the_step(mappings: dict[str, str], named: str) -> None:
    status, answer = create({**DRIP, "steps": [wait(30), email(variableMappings=mappings)]})
    assert (status, answer["error"]) == (400, "invalid_variable_mappings")
    assert named in answer["message"]


@pytest.mark.parametrize(
    ("name", "ok"),
    [
        ("x" * 120, True),
        ("", True),
        ("Relance après devis, étape 2 — ça marche ✅", True),
        ("x" * 121, False),
        ("two\nlines", False),
        ("carriage\rreturn", False),
        ("nul\x00", False),
        ("tab\tinside", False),
        ("line\u2028separator", False),
    ],
)
def test_a_name_is_one_line_of_at_most_120_characters(name: str, ok: bool) -> None:
    if ok:
        assert created({**DRIP, "name": name})["name"] == name
    else:
        status, answer = create({**DRIP, "name": name})
        assert (status, answer["error"]) == (400, "invalid_request")
        assert "name" in answer["message"]


@pytest.mark.parametrize(
    "changes",
    [
        # What the fuzzer sent (its prefetch once put the object in a set: a 500)
        {"steps": [email(templateId={}), email(senderId=[1]), {"type": "email", "templateId": {}}]},
        {"steps": [{"type": {"email": 1}}, [], None, "email"]},
        {"exitOn": ["CONVERSION", "CONVERSION"]},
        {"exitOn": ["OPENED"]},
        {"exitOn": "CONVERSION"},
        {"status": "DELETED"},
        {"status": "active"},
        {"enabled": "true"},
        {"testMode": 1},
        {"steps": [email(), {"type": "sms", "text": "hi"}]},
        {"steps": [{"templateId": TEMPLATE_ID, "senderId": SENDER_ID}]},
        {"steps": [email(minutes=30)]},
        {"steps": [email(), wait(60) | {"templateId": TEMPLATE_ID}]},
        {"steps": [email(templateId=None)]},
        {"steps": [email(variableMappings={"name": 5})]},
        {"steps": "email"},
        {"sequenceId": NEVER_EXISTED},
        {"version": 7},
        {"campaignId": "cmp_other"},
        {"createdAt": "2020-01-01T00:00:00.000Z"},
        {"deleted": True},
        {"handle": "globex"},
        {"trigger": 1},
    ],
)
def test_malformed_bodies_and_fields_a_client_may_not_set_are_refused(
    changes: dict[str, Any],
) -> None:
    sequence = created()
    assert error(create({**DRIP, **changes})) == (400, "invalid_request")
    assert error(update(sequence["sequenceId"], {**DRIP, **changes})) == (400, "invalid_request")
    assert listed() == [sequence]


def test_a_duplicate_exit_is_refused_in_plain_words() -> None:
    status, answer = create({**DRIP, "exitOn": ["BOUNCED", "CONVERSION", "BOUNCED"]})
    assert (status, answer["message"]) == (400, "exitOn: BOUNCED listed more than once")


@pytest.mark.parametrize("expected_version", [0, -1, "1", 1.5, True])
def test_expected_version_must_be_a_positive_integer(expected_version: Any) -> None:
    sequence = created()
    body = {**DRIP, "expectedVersion": expected_version}
    assert error(update(sequence["sequenceId"], body)) == (400, "invalid_request")


def test_expected_version_is_refused_on_create() -> None:
    assert error(create({**DRIP, "expectedVersion": 1})) == (400, "invalid_request")


# --- checks after the read, and their order ------------------------------------------------------


def test_refusals_come_in_the_documented_order() -> None:
    body: dict[str, Any] = {
        "trigger": "SOMETIME",
        "steps": [wait(5), email(templateId="tmpl_nope", senderId="sender_nope")],
    }
    unknown = {"handle": "acme", "campaignId": "cmp_nope"}
    fixes: list[tuple[dict[str, Any], dict[str, str], tuple[int, str]]] = [
        ({}, unknown, (400, "invalid_trigger")),
        (
            {"trigger": "LEAD_CAPTURED", "steps": [wait(5)]},
            unknown,
            (400, "invalid_sequence_steps"),
        ),
        (
            {"steps": [wait(5), email(variableMappings={"a b": "x"})]},
            unknown,
            (400, "delay_minutes_below_minimum"),
        ),
        (
            {"steps": [wait(15), email(variableMappings={"a b": "x"})]},
            unknown,
            (400, "invalid_variable_mappings"),
        ),
        (
            {"steps": [*[wait(43_200)] * 4, email(templateId="tmpl_nope", senderId="sender_nope")]},
            unknown,
            (400, "sequence_too_long"),
        ),
        (
            {"steps": [wait(15), email(templateId="tmpl_nope", senderId="sender_nope")]},
            unknown,
            (404, "campaign_not_found"),
        ),
        ({}, CAMPAIGN, (404, "email_template_not_found")),
        (
            {"steps": [wait(15), email(senderId="sender_nope")]},
            CAMPAIGN,
            (404, "sender_profile_not_found"),
        ),
    ]
    for changes, campaign, expected in fixes:
        body |= changes
        assert error(create(body, campaign)) == expected, changes
    assert create({**body, "steps": [wait(15), email()]})[0] == 201


def test_each_email_steps_references_are_checked_in_step_order_naming_the_step() -> None:
    steps = [email(), wait(60), email(templateId="tmpl_nope"), email(senderId="sender_nope")]
    status, answer = create({**DRIP, "steps": steps})
    assert (status, answer["error"]) == (404, "email_template_not_found")
    assert answer["message"] == "steps[2]: template tmpl_nope does not exist"
    status, answer = create({**DRIP, "steps": [steps[0], steps[3], steps[2]]})
    assert (status, answer["error"]) == (404, "sender_profile_not_found")
    assert answer["message"] == "steps[1]: sender profile sender_nope does not exist"


@pytest.mark.parametrize("template_id", ["welcome", "tmpl_a b", "tmpl_" + "x" * 75])
def test_a_template_id_of_the_wrong_form_is_not_found(template_id: str) -> None:
    assert error(create({**DRIP, "steps": [email(templateId=template_id)]})) == (
        404,
        "email_template_not_found",
    )


def test_a_paused_template_is_not_active() -> None:
    sequence = created()
    template = {"handle": "acme", "templateId": TEMPLATE_ID}
    invoke("update_template", template, sub=OPERATOR, body={"status": "PAUSED"})
    status, answer = create(DRIP)
    assert (status, answer["error"]) == (409, "email_template_not_active")
    assert answer["message"].startswith("steps[1]: ")
    assert error(update(sequence["sequenceId"], DRIP)) == (409, "email_template_not_active")


def test_a_disabled_sender_is_not_ready() -> None:
    sequence = created()
    sender = {"handle": "acme", "senderId": SENDER_ID}
    invoke("put_sender", sender, sub=OPERATOR, body={**SENDER, "enabled": False})
    assert error(create(DRIP)) == (409, "sender_not_ready")
    assert error(update(sequence["sequenceId"], DRIP)) == (409, "sender_not_ready")


def test_a_sender_without_product_notification_is_refused() -> None:
    limited = {"handle": "acme", "senderId": "sender_api"}
    only_api = {**SENDER, "localPart": "hello", "purposes": ["TRANSACTIONAL_API"]}
    assert invoke("put_sender", limited, sub=OPERATOR, body=only_api)[0] == 200
    steps = [email(), email(senderId="sender_api")]
    status, answer = create({**DRIP, "steps": steps})
    assert (status, answer["error"]) == (409, "sender_missing_product_notification_purpose")
    assert answer["message"].startswith("steps[1]: ")


# --- concurrency -------------------------------------------------------------------------------


def _before_next(operation: str, action: Any) -> Any:
    """Run `action` once, just before the next `operation` call of the table's client."""
    done: list[Any] = []

    def hook(**_: Any) -> None:
        if not done:
            done.append(None)
            done[0] = action()

    table().meta.client.meta.events.register(f"before-call.dynamodb.{operation}", hook)
    return hook, done


def _unhook(operation: str, hook: Any) -> None:
    table().meta.client.meta.events.unregister(f"before-call.dynamodb.{operation}", hook)


def test_a_lost_race_without_expected_version_is_retried_on_the_fresh_read_and_wins() -> None:
    sequence = created()
    twin_body = {**DRIP, "enabled": False}
    hook, twin = _before_next(
        "TransactWriteItems", lambda: update(sequence["sequenceId"], twin_body)
    )
    try:
        status, answer = update(sequence["sequenceId"], MINIMAL)
    finally:
        _unhook("TransactWriteItems", hook)
    assert twin[0][0] == status == 200
    assert (answer["sequence"]["version"], answer["sequence"]["trigger"]) == (3, "CONVERSION")
    # Each write kept its own version
    kept = [store.get_version("acme", sequence["sequenceId"], v) for v in (1, 2, 3)]
    assert [(v.version, v.enabled, v.trigger.value) for v in kept if v] == [
        (1, True, "LEAD_CAPTURED"),
        (2, False, "LEAD_CAPTURED"),
        (3, True, "CONVERSION"),
    ]


def test_a_lost_race_with_expected_version_is_a_conflict() -> None:
    sequence = created()
    hook, twin = _before_next(
        "TransactWriteItems", lambda: update(sequence["sequenceId"], {**DRIP, "enabled": False})
    )
    try:
        result = update(sequence["sequenceId"], {**MINIMAL, "expectedVersion": 1})
    finally:
        _unhook("TransactWriteItems", hook)
    assert twin[0][0] == 200
    assert error(result) == (409, "version_conflict")
    assert [(s["version"], s["enabled"]) for s in listed()] == [(2, False)]
    assert store.get_version("acme", sequence["sequenceId"], 3) is None


# --- the per-campaign limit ----------------------------------------------------------------------


def test_a_campaign_holds_at_most_20_live_sequences() -> None:
    sequences = [created(MINIMAL) for _ in range(20)]
    status, answer = create(MINIMAL)
    assert (status, answer["error"]) == (409, "sequence_limit_reached")
    assert (len(listed()), sequence_count()) == (20, 20)
    # Another campaign is not affected
    tenancy.register_campaign("acme", "cmp_other", "Other")
    assert create(MINIMAL, {"handle": "acme", "campaignId": "cmp_other"})[0] == 201
    # Deleting one (twice: the second changes nothing) makes room for one
    delete(sequences[0]["sequenceId"])
    delete(sequences[0]["sequenceId"])
    assert create(MINIMAL)[0] == 201
    assert error(create(MINIMAL)) == (409, "sequence_limit_reached")


def test_a_campaign_stored_before_sequences_counts_from_zero() -> None:
    # Given a campaign item without sequenceCount (written before sequences existed)
    campaign = keys.campaign("acme", "cmp_welcome")
    table().update_item(Key=campaign, UpdateExpression="REMOVE sequenceCount")
    assert sequence_count() == 0
    # When a sequence is created and another deleted, Then the count starts from 0
    first, second = created(), created()
    assert sequence_count() == 2
    delete(first["sequenceId"])
    assert (sequence_count(), listed()) == (1, [second])


def test_the_limit_holds_when_another_create_takes_the_last_place_first() -> None:
    # Given 19 sequences, and another create that commits just before ours
    for _ in range(19):
        created(MINIMAL)
    hook, twin = _before_next("TransactWriteItems", lambda: create(MINIMAL))
    try:
        ours = create(DRIP)
    finally:
        _unhook("TransactWriteItems", hook)
    # Then the other one got the 20th place and ours is refused: the count is in the
    # transaction, not in a read made before it
    assert twin[0][0] == 201
    assert error(ours) == (409, "sequence_limit_reached")
    assert (len(listed()), sequence_count()) == (20, 20)
    assert DRIP["name"] not in {s["name"] for s in listed()}


# --- access and isolation ----------------------------------------------------------------------


def test_a_creator_may_read_but_not_change_sequences() -> None:
    sequence = created()
    assert listed(sub=CREATOR) == [sequence]
    assert get(sequence["sequenceId"], sub=CREATOR) == (200, {"sequence": sequence})
    assert error(create(DRIP, sub=CREATOR)) == (403, "insufficient_role")
    assert error(update(sequence["sequenceId"], MINIMAL, sub=CREATOR)) == (403, "insufficient_role")
    assert error(delete(sequence["sequenceId"], sub=CREATOR)) == (403, "insufficient_role")
    assert listed() == [sequence]


ROUTE_IDS = [
    "list_sequences",
    "create_sequence",
    "get_sequence",
    "update_sequence",
    "delete_sequence",
]


@pytest.mark.parametrize("route_id", ROUTE_IDS)
def test_another_handles_member_is_forbidden_before_the_body_is_read(route_id: str) -> None:
    sequence = created()
    status, body = invoke(route_id, at(sequence["sequenceId"]), sub=OUTSIDER, body={"x": 1})
    assert (status, body["error"]) == (403, "forbidden")
    assert listed() == [sequence]


def test_another_handles_or_campaigns_sequence_is_not_found() -> None:
    # Given acme's sequence, and the same campaign id on globex where the caller operates too
    sequence = created()
    tenancy.grant_membership("globex", OPERATOR, Role.OPERATOR)
    tenancy.register_campaign("globex", "cmp_welcome", "Welcome")
    tenancy.register_campaign("acme", "cmp_other", "Other")
    elsewhere = [
        {"handle": "globex", "campaignId": "cmp_welcome"},
        {"handle": "acme", "campaignId": "cmp_other"},
    ]
    for campaign in elsewhere:
        sequence_id = sequence["sequenceId"]
        assert error(get(sequence_id, campaign)) == (404, "sequence_not_found")
        assert error(update(sequence_id, MINIMAL, campaign)) == (404, "sequence_not_found")
        assert error(delete(sequence_id, campaign)) == (404, "sequence_not_found")
        assert listed(campaign) == []
    # And globex's own steps cannot name acme's template and sender
    globex = {"handle": "globex", "campaignId": "cmp_welcome"}
    assert error(create(DRIP, globex)) == (404, "email_template_not_found")
    assert listed() == [sequence]


@pytest.mark.parametrize("campaign_id", ["cmp_nope", "not-a-campaign", "cmp_" + "x" * 2000])
@pytest.mark.parametrize("route_id", ROUTE_IDS)
def test_an_unknown_campaign_is_not_found_on_every_route(route_id: str, campaign_id: str) -> None:
    params = {"handle": "acme", "campaignId": campaign_id, "sequenceId": NEVER_EXISTED}
    body = DRIP if route_id in {"create_sequence", "update_sequence"} else None
    status, answer = invoke(route_id, params, sub=OPERATOR, body=body)
    assert (status, answer["error"]) == (404, "campaign_not_found")


def test_an_unknown_campaign_wins_over_a_malformed_sequence_id() -> None:
    unknown = {"handle": "acme", "campaignId": "cmp_nope"}
    assert error(delete("nope", unknown)) == (404, "campaign_not_found")
    assert error(get("nope", unknown)) == (404, "campaign_not_found")
    assert error(update("nope", DRIP, unknown)) == (404, "campaign_not_found")


# --- the one read of each route ----------------------------------------------------------------


def test_each_route_reads_what_it_checks_with_the_access_check() -> None:
    steps = [email(), wait(60), email(templateId="tmpl_other"), email()]
    with dynamodb_calls() as calls:
        status, body = create({**DRIP, "steps": steps})
    assert (status, body["error"]) == (404, "email_template_not_found")
    assert operations(calls) == ["BatchGetItem"]
    assert set(calls[0].keys) == access_keys(
        OPERATOR,
        acme("CAMPAIGN#cmp_welcome"),
        acme(f"TEMPLATE#{TEMPLATE_ID}"),
        acme("TEMPLATE#tmpl_other"),
        acme(f"SENDER#{SENDER_ID}"),
    )
    with dynamodb_calls() as calls:
        sequence = created()
    assert operations(calls) == ["BatchGetItem", "TransactWriteItems"]
    sequence_key = acme(f"SEQ#cmp_welcome#{sequence['sequenceId']}")
    with dynamodb_calls() as calls:
        assert update(sequence["sequenceId"], DRIP)[0] == 200
    assert operations(calls) == ["BatchGetItem", "TransactWriteItems"]
    assert sequence_key in calls[0].keys
    with dynamodb_calls() as calls:
        assert get(sequence["sequenceId"], sub=CREATOR)[0] == 200
    assert operations(calls) == ["BatchGetItem"]
    with dynamodb_calls() as calls:
        assert len(listed(sub=CREATOR)) == 1
    assert operations(calls) == ["BatchGetItem", "Query"]
