"""One-click unsubscribe end to end on the local stack, in a real browser (Debian's Chromium,
headless): a campaign rule's mail shows its List-Unsubscribe headers in the mail viewer; the
recipient follows the link, sees a page naming the sender, presses the button and sees the
confirmation; the next campaign message to that lead is DENIED as suppressed, while a
transactional send to them is still delivered."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.stack import call
from tests.e2e.test_campaign_rules import capture, delete_all_rules, message, rule_messages
from tests.e2e.test_direct_send import ensure_setup, queue_direct, wait_for_status

pytestmark = pytest.mark.e2e

RULES = "/v2/handles/acme/campaigns/cmp_welcome/email-rules"
RULE = {
    "trigger": "LEAD_CAPTURED",
    "templateId": "tmpl_lead_followup",
    "senderId": "sender_notifications",
    "enabled": True,
    "variableMappings": {"firstName": "firstName", "service": "fields.service"},
}


def _rule(doc: dict[str, Any]) -> str:
    ensure_setup(doc)
    delete_all_rules(doc)
    status, created = call(
        doc, "POST", RULES, token=doc["tokens"]["OPERATOR"], body=json.dumps(RULE).encode()
    )
    assert status == 201, created
    return str(created["rule"]["ruleId"])


def suppressions(doc: dict[str, Any]) -> list[dict[str, Any]]:
    """Every suppression of acme (earlier tests add many), page by page."""
    found: list[dict[str, Any]] = []
    query = "?limit=100"
    while True:
        _, page = call(
            doc,
            "GET",
            f"/v2/handles/acme/email/suppressions{query}",
            token=doc["tokens"]["OPERATOR"],
        )
        found += page["suppressions"]
        if not page["nextToken"]:
            return found
        query = f"?limit=100&nextToken={page['nextToken']}"


def _events(doc: dict[str, Any], message_id: str) -> list[str]:
    _, body = call(
        doc,
        "GET",
        f"/v2/handles/acme/email/messages/{message_id}",
        token=doc["tokens"]["OPERATOR"],
    )
    return [event["type"] for event in body["message"]["timeline"]]


def test_a_lead_unsubscribes_in_the_browser_and_gets_no_more_campaign_mail(
    doc: dict[str, Any], page: Page
) -> None:
    # Given a campaign rule, and a lead (a plus-address) whose first rule message was delivered
    rule_id = _rule(doc)
    lead_email = f"lead+{time.time_ns()}@customer.test"
    lead = {"email": lead_email, "name": "Zoë Ünal", "fields": {"service": "Onboarding"}}
    capture(doc, lead)
    (run,) = rule_messages(doc, rule_id, 1)
    first = message(doc, run["messageId"], "DELIVERED")
    assert first["status"] == "DELIVERED"
    assert first["listUnsubscribe"] is True

    # When the mail is opened in the viewer, it shows RFC 8058's headers
    page.goto(f"{doc['apiBase']}/_local/mail")
    mail = page.get_by_role("article").filter(has_text=lead_email)
    expect(mail).to_have_count(1)
    headers = mail.get_by_label("Headers")
    expect(headers.locator("dt:text-is('List-Unsubscribe-Post') + dd")).to_have_text(
        "List-Unsubscribe=One-Click"
    )
    expect(headers.locator("dt:text-is('List-Unsubscribe') + dd")).to_contain_text(
        f"<{doc['apiBase']}/v2/unsubscribe/"
    )

    # And the recipient follows the link: a page naming the sender, which changed nothing
    mail.get_by_role("link", name="Unsubscribe link").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Unsubscribe")
    expect(page.locator("main")).to_contain_text("Acme Notifications")
    expect(page.locator("main")).to_contain_text(lead_email)
    assert "UNSUBSCRIBED" not in _events(doc, first["messageId"])

    # And presses the button
    page.get_by_role("button", name="Unsubscribe").click()

    # Then the confirmation shows, and the message's timeline records it
    expect(page.get_by_role("heading", level=1)).to_have_text("You are unsubscribed")
    expect(page.get_by_role("status")).to_contain_text(lead_email)
    assert _events(doc, first["messageId"]).count("UNSUBSCRIBED") == 1
    # And the handle's suppression list shows a campaign-mail suppression from the link
    (entry,) = [s for s in suppressions(doc) if s["email"] == lead_email.lower()]
    assert (entry["source"], entry["purposes"]) == ("unsubscribe", ["PRODUCT_NOTIFICATION"])

    # When the lead is captured again, and is sent a receipt
    capture(doc, lead)
    second_run = [r for r in rule_messages(doc, rule_id, 2) if r["messageId"] != run["messageId"]]
    denied = message(doc, second_run[0]["messageId"], "DENIED")
    receipt = queue_direct(
        doc,
        doc["tokens"]["OPERATOR"],
        lead_email,
        variables={"firstName": "Zoë", "service": "Onboarding"},
    )

    # Then the campaign message is DENIED as suppressed, and the receipt is delivered
    assert denied["status"] == "DENIED"
    assert [r["reason"] for r in denied["recipients"]] == ["suppressed"]
    assert wait_for_status(doc, receipt, "DELIVERED")["status"] == "DELIVERED"
    # And the link, opened again, says it is done
    page.goto(page.url)
    expect(page.get_by_role("heading", level=1)).to_have_text("You are unsubscribed")
    assert _events(doc, first["messageId"]).count("UNSUBSCRIBED") == 1
    delete_all_rules(doc)
