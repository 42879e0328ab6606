"""The contract's "Campaign Email Rule Flow" over HTTP against the local stack: the rule curls
run exactly as published, a captured lead becomes a SENT message, a delayed rule fires when
the local clock passes its delay, a conversion rule fires on a conversion only."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.stack import call, run_curl
from tests.e2e.test_direct_send import ensure_setup

pytestmark = pytest.mark.e2e

# Copied verbatim from the contract; the example rule id is replaced by the created one.
CREATE_IMMEDIATE = """curl -sS -X POST "${TENX_API_BASE}/v2/handles/${TENX_HANDLE}/campaigns/cmp_welcome/email-rules" \\
  -H "Authorization: Bearer ${TENX_JWT}" \\
  -H "Content-Type: application/json" \\
  -d '{
    "trigger": "LEAD_CAPTURED",
    "templateId": "tmpl_lead_followup",
    "senderId": "sender_notifications",
    "enabled": true,
    "variableMappings": {
      "firstName": "firstName",
      "service": "fields.service"
    }
  }'
"""
CREATE_DELAYED = """curl -sS -X POST "${TENX_API_BASE}/v2/handles/${TENX_HANDLE}/campaigns/cmp_welcome/email-rules" \\
  -H "Authorization: Bearer ${TENX_JWT}" \\
  -H "Content-Type: application/json" \\
  -d '{
    "trigger": "LEAD_CAPTURED_DELAYED",
    "delayMinutes": 1440,
    "templateId": "tmpl_lead_followup",
    "senderId": "sender_notifications",
    "enabled": true
  }'
"""
CREATE_CONVERSION = """curl -sS -X POST "${TENX_API_BASE}/v2/handles/${TENX_HANDLE}/campaigns/cmp_welcome/email-rules" \\
  -H "Authorization: Bearer ${TENX_JWT}" \\
  -H "Content-Type: application/json" \\
  -d '{
    "trigger": "CONVERSION",
    "templateId": "tmpl_lead_followup",
    "senderId": "sender_notifications",
    "enabled": true
  }'
"""
LIST = """curl -sS "${TENX_API_BASE}/v2/handles/${TENX_HANDLE}/campaigns/cmp_welcome/email-rules" \\
  -H "Authorization: Bearer ${TENX_JWT}"
"""
UPDATE = """curl -sS -X PUT "${TENX_API_BASE}/v2/handles/${TENX_HANDLE}/campaigns/cmp_welcome/email-rules/cer_2f3ddf1b-7d15-4f70-83bb-1d28b91a42c5" \\
  -H "Authorization: Bearer ${TENX_JWT}" \\
  -H "Content-Type: application/json" \\
  -d '{
    "trigger": "LEAD_CAPTURED_DELAYED",
    "delayMinutes": 2880,
    "templateId": "tmpl_lead_followup",
    "senderId": "sender_notifications",
    "enabled": true,
    "expectedVersion": 1
  }'
"""
DELETE = """curl -sS -X DELETE "${TENX_API_BASE}/v2/handles/${TENX_HANDLE}/campaigns/cmp_welcome/email-rules/cer_2f3ddf1b-7d15-4f70-83bb-1d28b91a42c5" \\
  -H "Authorization: Bearer ${TENX_JWT}"
"""
EXAMPLE_RULE_ID = "cer_2f3ddf1b-7d15-4f70-83bb-1d28b91a42c5"
LEAD = {"email": "asha@example.com", "name": "Asha Rao", "fields": {"service": "AI workflow setup"}}
RULES = "/v2/handles/acme/campaigns/cmp_welcome/email-rules"


def delete_all_rules(doc: dict[str, Any]) -> None:
    token = doc["tokens"]["OPERATOR"]
    for rule in call(doc, "GET", RULES, token=token)[1]["rules"]:
        call(doc, "DELETE", f"{RULES}/{rule['ruleId']}", token=token)


def capture(doc: dict[str, Any], lead: dict[str, Any]) -> str:
    status, accepted = call(
        doc,
        "POST",
        "/v2/handles/acme/campaigns/cmp_welcome/leads",
        token=doc["tokens"]["OPERATOR"],
        body=json.dumps(lead).encode(),
    )
    assert status == 202, accepted
    return str(accepted["leadId"])


def rule_messages(
    doc: dict[str, Any], rule_id: str, expected: int, seconds: float = 20
) -> list[dict[str, Any]]:
    """The messages a rule made, once its runs show `expected` of them (or time runs out)."""
    deadline = time.monotonic() + seconds
    while True:
        _, runs = call(doc, "GET", f"{RULES}/{rule_id}/runs", token=doc["tokens"]["OPERATOR"])
        made = [run for run in runs["runs"] if run["outcome"] == "MESSAGE_CREATED"]
        if len(made) >= expected or time.monotonic() > deadline:
            return made
        time.sleep(0.25)


def message(
    doc: dict[str, Any], message_id: str, wanted: str = "SENT", seconds: float = 20
) -> dict[str, Any]:
    deadline = time.monotonic() + seconds
    while True:
        _, body = call(
            doc,
            "GET",
            f"/v2/handles/acme/email/messages/{message_id}",
            token=doc["tokens"]["OPERATOR"],
        )
        if body["message"]["status"] == wanted or time.monotonic() > deadline:
            return dict(body["message"])
        time.sleep(0.25)


def test_the_contract_rule_curls_run_as_published(doc: dict[str, Any], tmp_path: Path) -> None:
    ensure_setup(doc)
    delete_all_rules(doc)
    status, immediate = run_curl(doc, CREATE_IMMEDIATE, tmp_path)
    assert status == 201
    rule = immediate["rule"]
    assert re.fullmatch(r"cer_[0-9a-f-]{36}", rule["ruleId"])
    assert {k: v for k, v in rule.items() if k not in {"ruleId", "createdAt", "updatedAt"}} == {
        "campaignId": "cmp_welcome",
        "trigger": "LEAD_CAPTURED",
        "delayMinutes": None,
        "templateId": "tmpl_lead_followup",
        "senderId": "sender_notifications",
        "variableMappings": {"firstName": "firstName", "service": "fields.service"},
        "enabled": True,
        "version": 1,
    }
    status, delayed = run_curl(doc, CREATE_DELAYED, tmp_path)
    assert (status, delayed["rule"]["delayMinutes"]) == (201, 1440)
    status, conversion = run_curl(doc, CREATE_CONVERSION, tmp_path)
    assert (status, conversion["rule"]["trigger"]) == (201, "CONVERSION")
    status, listed = run_curl(doc, LIST, tmp_path)
    assert status == 200
    assert {r["ruleId"] for r in listed["rules"]} == {
        rule["ruleId"],
        delayed["rule"]["ruleId"],
        conversion["rule"]["ruleId"],
    }

    delayed_id = delayed["rule"]["ruleId"]
    status, updated = run_curl(doc, UPDATE.replace(EXAMPLE_RULE_ID, delayed_id), tmp_path)
    assert (status, updated["rule"]["version"], updated["rule"]["delayMinutes"]) == (200, 2, 2880)
    status, conflict = run_curl(doc, UPDATE.replace(EXAMPLE_RULE_ID, delayed_id), tmp_path)
    assert (status, conflict["error"]) == (409, "version_conflict")

    assert run_curl(doc, DELETE.replace(EXAMPLE_RULE_ID, delayed_id), tmp_path)[0] == 204
    assert run_curl(doc, DELETE.replace(EXAMPLE_RULE_ID, delayed_id), tmp_path)[0] == 204
    _, after = run_curl(doc, LIST, tmp_path)
    assert delayed_id not in {r["ruleId"] for r in after["rules"]}


def test_a_captured_lead_becomes_a_sent_message_with_the_rendered_subject(
    doc: dict[str, Any], tmp_path: Path
) -> None:
    ensure_setup(doc)
    delete_all_rules(doc)
    _, created = run_curl(doc, CREATE_IMMEDIATE, tmp_path)
    rule_id = created["rule"]["ruleId"]
    capture(doc, LEAD)
    (run,) = rule_messages(doc, rule_id, 1)
    sent = message(doc, run["messageId"])
    assert sent["status"] == "SENT"
    assert sent["subject"] == "Thanks for reaching out, Asha"


def test_a_delayed_rule_fires_once_after_the_clock_passes_its_delay(
    doc: dict[str, Any], tmp_path: Path
) -> None:
    ensure_setup(doc)
    delete_all_rules(doc)
    _, created = run_curl(doc, CREATE_DELAYED, tmp_path)
    rule_id = created["rule"]["ruleId"]
    capture(doc, {**LEAD, "email": "later@example.com"})
    assert rule_messages(doc, rule_id, 1, seconds=3) == []

    status, advanced = call(
        doc, "POST", "/_local/clock/advance", body=json.dumps({"minutes": 1441}).encode()
    )
    assert status == 200
    # Its one schedule (others' may fire too: a sequence's steps, `seq-...`)
    assert len([name for name in advanced["fired"] if name.startswith("cer-")]) == 1
    (run,) = rule_messages(doc, rule_id, 1)
    assert message(doc, run["messageId"])["status"] == "SENT"


def test_a_delayed_rule_deleted_before_it_fires_sends_nothing(
    doc: dict[str, Any], tmp_path: Path
) -> None:
    ensure_setup(doc)
    delete_all_rules(doc)
    _, created = run_curl(doc, CREATE_DELAYED, tmp_path)
    rule_id = created["rule"]["ruleId"]
    capture(doc, {**LEAD, "email": "never@example.com"})
    time.sleep(2)  # let the capture's trigger job make the schedule
    assert run_curl(doc, DELETE.replace(EXAMPLE_RULE_ID, rule_id), tmp_path)[0] == 204
    call(doc, "POST", "/_local/clock/advance", body=json.dumps({"minutes": 1441}).encode())
    deadline = time.monotonic() + 10
    outcomes: list[str] = []
    while time.monotonic() < deadline and "SKIPPED" not in outcomes:
        _, runs = call(doc, "GET", f"{RULES}/{rule_id}/runs", token=doc["tokens"]["OPERATOR"])
        outcomes = [run["outcome"] for run in runs["runs"]]
        time.sleep(0.25)
    assert outcomes == ["SKIPPED"]


def test_a_conversion_rule_fires_on_a_conversion_only(doc: dict[str, Any], tmp_path: Path) -> None:
    ensure_setup(doc)
    delete_all_rules(doc)
    _, created = run_curl(doc, CREATE_CONVERSION, tmp_path)
    rule_id = created["rule"]["ruleId"]
    lead_id = capture(doc, {**LEAD, "email": "convert@example.com"})
    assert rule_messages(doc, rule_id, 1, seconds=3) == []
    status, _ = call(
        doc,
        "POST",
        "/v2/handles/acme/campaigns/cmp_welcome/conversions",
        token=doc["tokens"]["OPERATOR"],
        body=json.dumps({"leadId": lead_id}).encode(),
    )
    assert status == 202
    (run,) = rule_messages(doc, rule_id, 1)
    assert message(doc, run["messageId"])["status"] == "SENT"
