"""The console's authoring pages in a real browser against the local stack: an OPERATOR
previews a template with sample variables (the HTML in a sandboxed frame), creates an email
rule, and a second tab's stale save is refused with the version conflict in words, leaving
the first tab's edit stored; a CREATOR reads the rules but is offered no control the API
would refuse it. axe finds nothing serious or critical on any of these pages."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, Locator, Page, expect

from tests.e2e.conftest import watching
from tests.e2e.stack import call
from tests.e2e.test_console_browser import assert_accessible, sign_in
from tests.e2e.test_direct_send import TEMPLATE, ensure_setup

pytestmark = pytest.mark.e2e

CAMPAIGN = "cmp_welcome"  # the console's config.json names it (devstack/console_site.py)
RULES = f"/v2/handles/acme/campaigns/{CAMPAIGN}/email-rules"
TEMPLATE_ID = TEMPLATE["templateId"]
SENDER_ID = "sender_notifications"
NEEDS_OPERATOR = "it needs the OPERATOR role or higher."
# Anything a CREATOR must not be offered: the routes behind these are OPERATOR routes.
ACTIONS = re.compile(r"create|save|edit|delete|send|preview", re.IGNORECASE)


@pytest.fixture(scope="module")
def set_up(doc: dict[str, Any]) -> None:
    """The contract's sender and template (tmpl_lead_followup), as the other modules use."""
    ensure_setup(doc)


@pytest.fixture
def created_rules(doc: dict[str, Any]) -> Iterator[list[str]]:
    """Rules a test made; deleted after it, so no other module's lead or conversion meets them."""
    made: list[str] = []
    yield made
    for rule_id in made:
        status, body = call(doc, "DELETE", f"{RULES}/{rule_id}", token=doc["tokens"]["OPERATOR"])
        assert status == 204, body


def stored_rule(doc: dict[str, Any], rule_id: str) -> dict[str, Any]:
    status, body = call(doc, "GET", RULES, token=doc["tokens"]["OPERATOR"])
    assert status == 200, body
    (rule,) = (rule for rule in body["rules"] if rule["ruleId"] == rule_id)
    return dict(rule)


def go(page: Page, fragment: str) -> None:
    """Navigate within the page (a hash change), keeping its in-memory token."""
    page.evaluate("fragment => { window.location.hash = fragment; }", fragment)


def rule_field(page: Page, term: str) -> Locator:
    """A field of the rule's summary (the definition list named "Rule")."""
    return page.get_by_label("Rule", exact=True).locator(f"dt:text-is('{term}') + dd")


def main_buttons(page: Page) -> list[str]:
    return page.locator("main").get_by_role("button").all_inner_texts()


def test_an_operator_previews_a_template_with_sample_variables(
    doc: dict[str, Any], set_up: None, watched: Page
) -> None:
    page = watched
    sign_in(page, doc, "OPERATOR")
    variables = {"firstName": "Asha", "service": "AI <workflow> setup"}
    status, expected = call(
        doc,
        "POST",
        f"/v2/handles/acme/email/templates/{TEMPLATE_ID}/preview",
        token=doc["tokens"]["OPERATOR"],
        body=json.dumps({"variables": variables}).encode(),
    )
    assert status == 200, expected
    assert "Asha" in expected["preview"]["subject"]

    # The templates page lists the contract's template
    page.get_by_role("link", name="Templates", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Templates")
    listing = page.get_by_role("table", name="Templates")
    expect(listing.get_by_role("link", name=TEMPLATE_ID)).to_be_visible()
    assert_accessible(page, "the templates page")

    # Its page has its versions and one labelled input per variable its placeholders name
    listing.get_by_role("link", name=TEMPLATE_ID).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Template {TEMPLATE_ID}")
    expect(page.get_by_role("table", name="Versions, newest first")).to_contain_text("(active)")
    form = page.get_by_role("form", name="Preview the template")
    expect(form.get_by_role("textbox")).to_have_count(2)
    form.get_by_label("firstName", exact=True).fill(variables["firstName"])
    form.get_by_label("service", exact=True).fill(variables["service"])
    form.get_by_role("button", name="Preview").click()

    # The rendered subject and text are the API's; the HTML is in a frame without scripts,
    # the variable escaped (shown as text, not markup)
    expect(page.locator(".rendered-subject")).to_have_text(expected["preview"]["subject"])
    expect(page.locator(".rendered-text")).to_have_text(expected["preview"]["text"])
    frame_element = page.locator("iframe.preview-frame")
    expect(frame_element).to_have_attribute("sandbox", "")
    body = page.frame_locator("iframe.preview-frame").locator("body")
    expect(body).to_contain_text("Hi Asha, thanks for your interest in AI <workflow> setup.")
    expect(body.locator("workflow")).to_have_count(0)
    expect(page.get_by_role("alert")).to_have_count(0)
    assert_accessible(page, "the template page with a preview")

    # A variable left out is named, in the console's sentence for it
    form.get_by_label("service", exact=True).fill("")
    form.get_by_role("button", name="Preview").click()
    expect(page.get_by_role("alert")).to_have_text(
        "Some of the template's variables were not given. Not given: service."
    )


STYLED = {
    "templateId": "tmpl_console_styled",
    "name": "Styled (console preview)",
    "subject": "Styled",
    "html": "<style>h1 { font-size: 31px; }</style><h1>Big</h1>"
    '<p style="color: rgb(200, 0, 0)">Red</p><img src="https://tracker.example/p.gif" alt="">',
    "text": "Big. Red.",
}


def test_the_preview_shows_an_emails_own_styling_and_fetches_nothing(
    doc: dict[str, Any], page: Page
) -> None:
    """As deployed: the console's CSP lets an email's inline styles apply in the preview
    frame, and still lets it load nothing from elsewhere: the tracking pixel is blocked (so
    this page is not `watched`, which refuses every CSP report)."""
    status, body = call(
        doc,
        "POST",
        "/v2/handles/acme/email/templates",
        token=doc["tokens"]["OPERATOR"],
        body=json.dumps(STYLED).encode(),
    )
    assert status in (201, 409), body
    fetched: list[str] = []
    said: list[str] = []
    page.on("request", lambda request: fetched.append(request.url))
    page.on("console", lambda message: said.append(message.text))
    sign_in(page, doc, "OPERATOR")
    go(page, f"#/templates/{STYLED['templateId']}")
    page.get_by_role("form", name="Preview the template").get_by_role(
        "button", name="Preview"
    ).click()

    frame = page.frame_locator("iframe.preview-frame")
    expect(frame.locator("p")).to_have_css("color", "rgb(200, 0, 0)")
    expect(frame.locator("h1")).to_have_css("font-size", "31px")
    expect(frame.locator("img")).to_have_count(1)
    assert not [url for url in fetched if "tracker.example" in url]
    deadline = time.monotonic() + 5  # the report may follow the frame's layout
    while not (blocked := [text for text in said if "tracker.example" in text]):
        assert time.monotonic() < deadline, said
        page.wait_for_timeout(100)
    assert all("Content Security Policy" in text for text in blocked), blocked
    assert not [text for text in said if "style" in text.lower()], said


def test_an_operator_creates_a_rule_and_a_stale_tab_cannot_overwrite_an_edit(
    browser: Browser, doc: dict[str, Any], set_up: None, created_rules: list[str]
) -> None:
    context = browser.new_context()
    try:
        first = context.new_page()
        with watching(first, doc):
            sign_in(first, doc, "OPERATOR")
            first.get_by_role("link", name="Email rules", exact=True).click()
            expect(first.get_by_role("heading", level=1)).to_have_text(f"Email rules of {CAMPAIGN}")

            # Create a rule, disabled (so no other test's conversion meets it)
            form = first.get_by_role("form", name="New rule")
            form.get_by_label("Trigger").select_option("CONVERSION")
            form.get_by_label("Template").select_option(TEMPLATE_ID)
            form.get_by_label("Sender").select_option(SENDER_ID)
            form.get_by_label("Enabled").uncheck()
            form.get_by_role("button", name="Create rule").click()
            created = first.get_by_role("status").filter(has_text="Created rule")
            expect(created).to_have_text(re.compile(r"^Created rule cer_[0-9a-f-]{36}\.$"))
            rule_id = created.inner_text().removeprefix("Created rule ").removesuffix(".")
            created_rules.append(rule_id)
            rule = stored_rule(doc, rule_id)
            assert (rule["trigger"], rule["enabled"], rule["version"]) == ("CONVERSION", False, 1)
            assert (rule["templateId"], rule["senderId"]) == (TEMPLATE_ID, SENDER_ID)

            # and it is listed
            row = first.get_by_role("table", name=f"Email rules of {CAMPAIGN}").get_by_role(
                "row", name=re.compile(rule_id)
            )
            expect(row.locator("td")).to_have_text(
                ["Conversion", TEMPLATE_ID, SENDER_ID, "No", "1", re.compile("UTC$")]
            )
            assert_accessible(first, "the rules page")

            # Open it in this tab and in a second one (signed in there too)
            row.get_by_role("link", name=rule_id).click()
            expect(first.get_by_role("heading", level=1)).to_have_text(f"Email rule {rule_id}")
            expect(first.get_by_role("heading", name="Edit the rule (version 1)")).to_be_visible()
            second = context.new_page()
            with watching(second, doc):
                sign_in(second, doc, "OPERATOR")
                go(second, f"#/campaigns/{CAMPAIGN}/rules/{rule_id}")
                expect(
                    second.get_by_role("heading", name="Edit the rule (version 1)")
                ).to_be_visible()

                # The first tab saves a delayed trigger
                first.get_by_label("Trigger").select_option("LEAD_CAPTURED_DELAYED")
                first.get_by_label(re.compile("^Delay in minutes")).fill("60")
                first.get_by_role("button", name="Save changes").click()
                expect(first.get_by_role("status")).to_have_text(
                    "Saved: the rule is now version 2."
                )
                expect(
                    first.get_by_role("heading", name="Edit the rule (version 2)")
                ).to_be_visible()
                expect(rule_field(first, "Version")).to_have_text("2")

                # The second, still at version 1, saves another change: refused, in words,
                # with what is stored now
                second.get_by_label("Enabled").check()
                second.get_by_role("button", name="Save changes").click()
                expect(second.get_by_role("alert")).to_have_text(
                    "It was changed at the same time by someone else; reload and try again. "
                    "Your changes were not saved. The stored rule is version 2: Lead captured "
                    f"delayed, 60 minutes after: template {TEMPLATE_ID}, sender {SENDER_ID}, "
                    "disabled."
                )
                stored = stored_rule(doc, rule_id)
                assert (stored["version"], stored["trigger"]) == (2, "LEAD_CAPTURED_DELAYED")
                assert (stored["delayMinutes"], stored["enabled"]) == (60, False)
                assert_accessible(second, "the rule page after a version conflict")

                # Reloading puts the stored version in the form, ready to edit
                second.get_by_role("button", name="Reload the rule").click()
                expect(
                    second.get_by_role("heading", name="Edit the rule (version 2)")
                ).to_be_visible()
                expect(second.get_by_label("Trigger")).to_have_value("LEAD_CAPTURED_DELAYED")
                expect(second.get_by_label(re.compile("^Delay in minutes"))).to_have_value("60")
                expect(second.get_by_label("Enabled")).not_to_be_checked()
                expect(second.get_by_role("alert")).to_have_count(0)
    finally:
        context.close()


def test_a_creator_reads_the_rules_but_is_offered_no_control_it_cannot_use(
    doc: dict[str, Any], set_up: None, created_rules: list[str], watched: Page
) -> None:
    status, made = call(
        doc,
        "POST",
        RULES,
        token=doc["tokens"]["OPERATOR"],
        body=json.dumps(
            {
                "trigger": "CONVERSION",
                "templateId": TEMPLATE_ID,
                "senderId": SENDER_ID,
                "enabled": False,
            }
        ).encode(),
    )
    assert status == 201, made
    rule_id = made["rule"]["ruleId"]
    created_rules.append(rule_id)
    page = watched
    sign_in(page, doc, "CREATOR")

    # The rules are a CREATOR's to read: listed, with no form and no button
    page.get_by_role("link", name="Email rules", exact=True).click()
    listing = page.get_by_role("table", name=f"Email rules of {CAMPAIGN}")
    expect(listing.get_by_role("link", name=rule_id)).to_be_visible()
    # nor the new rule's section (which would only show the API's refusal of its selects)
    expect(page.get_by_role("heading", name="New rule")).to_have_count(0)
    expect(page.get_by_role("alert")).to_have_count(0)
    expect(page.locator("main form")).to_have_count(0)
    assert main_buttons(page) == []
    expect(page.get_by_role("button", name=ACTIONS)).to_have_count(0)
    assert_accessible(page, "the rules page as a CREATOR")

    # A rule's page shows it read-only; its runs are an OPERATOR route, refused in words
    listing.get_by_role("link", name=rule_id).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Email rule {rule_id}")
    expect(rule_field(page, "Rule")).to_have_text(
        f"Conversion: template {TEMPLATE_ID}, sender {SENDER_ID}, disabled"
    )
    expect(page.get_by_role("alert")).to_have_text(
        f"Your role cannot see the rule's runs: {NEEDS_OPERATOR}"
    )
    expect(page.locator("main form")).to_have_count(0)
    assert main_buttons(page) == []
    assert_accessible(page, "the rule page as a CREATOR")

    # Templates are OPERATOR routes: the API's 403s as sentences, and no preview
    page.get_by_role("link", name="Templates", exact=True).click()
    expect(page.get_by_role("alert")).to_have_text(
        f"Your role cannot list the templates: {NEEDS_OPERATOR}"
    )
    go(page, f"#/templates/{TEMPLATE_ID}")
    expect(page.get_by_role("alert")).to_have_text(
        f"Your role cannot see this template: {NEEDS_OPERATOR}"
    )
    expect(page.get_by_role("button", name=ACTIONS)).to_have_count(0)
    assert main_buttons(page) == []
    assert_accessible(page, "the template page as a CREATOR")
