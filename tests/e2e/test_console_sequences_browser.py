"""The console's sequences pages in a real browser against the local stack: an OPERATOR builds
a three-step sequence (email, wait, email) in the step editor, by keyboard too, and the API
stores exactly those steps; its page says them in words; a second tab's stale save is refused
with the version conflict in words and the first tab's edit stays stored; pause, resume and
archive (asked first) change the stored status. A lead captured through the API is enrolled
from the page and listed, enrolling it again says it is already enrolled, and it is stopped
after a confirmation. A CREATOR reads the list, the steps and the stats but is offered no
control the API would refuse it, and the enrollments (an OPERATOR route) are refused in words
in their section only. axe finds nothing serious or critical on any of these pages."""

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
from tests.e2e.test_console_authoring_browser import go, main_buttons
from tests.e2e.test_console_browser import assert_accessible, sign_in, table_rows
from tests.e2e.test_direct_send import TEMPLATE, ensure_setup

pytestmark = pytest.mark.e2e

CAMPAIGN = "cmp_welcome"  # the console's config.json names it (devstack/console_site.py)
SEQUENCES = f"/v2/handles/acme/campaigns/{CAMPAIGN}/sequences"
TEMPLATE_ID = TEMPLATE["templateId"]
SENDER_ID = "sender_notifications"
EMAIL = {"type": "email", "templateId": TEMPLATE_ID, "senderId": SENDER_ID}
SEND_IN_WORDS = f"Send {TEMPLATE_ID} from {SENDER_ID}"
NEEDS_OPERATOR = "it needs the OPERATOR role or higher."
HELD_SECONDS = 20  # the first step's job runs within seconds (docs/sequences.md)
CONFLICT = "It was changed at the same time by someone else; reload and try again."
# Anything a CREATOR must not be offered: the routes behind these are OPERATOR routes.
ACTIONS = re.compile(r"create|save|edit|pause|resume|archive|enroll|stop|add|remove", re.I)


def api(doc: dict[str, Any], method: str, path: str, body: Any = None) -> tuple[int, Any]:
    data = json.dumps(body).encode() if body is not None else None
    return call(doc, method, path, token=doc["tokens"]["OPERATOR"], body=data)


@pytest.fixture(scope="module")
def set_up(doc: dict[str, Any]) -> None:
    """The contract's sender and template (tmpl_lead_followup), as the other modules use."""
    ensure_setup(doc)


@pytest.fixture
def created(doc: dict[str, Any]) -> Iterator[list[str]]:
    """Sequences a test made; deleted after it, so no other module's lead is enrolled in them
    (they are made disabled too, which keeps every campaign event out meanwhile)."""
    made: list[str] = []
    yield made
    for sequence_id in made:
        status, body = api(doc, "DELETE", f"{SEQUENCES}/{sequence_id}")
        assert status == 204, body


def make_sequence(
    doc: dict[str, Any], created: list[str], name: str, status: str = "ACTIVE"
) -> dict[str, Any]:
    """A disabled sequence (no campaign event enrolls anyone in it); a PAUSED one also holds
    a lead enrolled by hand at its first step, so it sends nothing."""
    answer, body = api(
        doc,
        "POST",
        SEQUENCES,
        {
            "name": name,
            "trigger": "LEAD_CAPTURED",
            "enabled": False,
            "status": status,
            "steps": [EMAIL, {"type": "wait", "minutes": 20}, EMAIL],
        },
    )
    assert answer == 201, body
    created.append(body["sequence"]["sequenceId"])
    return dict(body["sequence"])


def stored(doc: dict[str, Any], sequence_id: str) -> dict[str, Any]:
    status, body = api(doc, "GET", f"{SEQUENCES}/{sequence_id}")
    assert status == 200, body
    return dict(body["sequence"])


def step(page: Page | Locator, number: int, kind: str) -> Locator:
    """A step of the step editor: the fieldset whose legend is "Step 2: wait"."""
    return page.get_by_role("group", name=f"Step {number}: {kind}", exact=True)


def steps_in_words(page: Page) -> Locator:
    return page.get_by_role("list", name="Steps", exact=True).get_by_role("listitem")


def field(page: Page, label: str, term: str) -> Locator:
    return page.get_by_label(label, exact=True).locator(f"dt:text-is('{term}') + dd")


def enrollment_of(doc: dict[str, Any], sequence_id: str, lead_id: str) -> dict[str, Any]:
    status, body = api(doc, "GET", f"{SEQUENCES}/{sequence_id}/enrollments?limit=100")
    assert status == 200, body
    (found,) = [e for e in body["enrollments"] if e["leadId"] == lead_id]
    return dict(found)


def test_an_operator_builds_a_sequence_and_a_stale_tab_cannot_overwrite_an_edit(
    browser: Browser, doc: dict[str, Any], set_up: None, created: list[str]
) -> None:
    name = f"Console drip {time.time_ns()}"
    context = browser.new_context()
    try:
        first = context.new_page()
        with watching(first, doc):
            sign_in(first, doc, "OPERATOR")
            first.get_by_role("link", name="Sequences", exact=True).click()
            expect(first.get_by_role("heading", level=1)).to_have_text(f"Sequences of {CAMPAIGN}")

            # Build email, wait 2 days, email; disabled, so no other test's lead is enrolled
            form = first.get_by_role("form", name="New sequence")
            form.get_by_label("Name", exact=True).fill(name)
            form.get_by_label("Trigger").select_option("LEAD_CAPTURED")
            form.get_by_label("Conversion").check()
            step(form, 1, "email").get_by_label("Template").select_option(TEMPLATE_ID)
            step(form, 1, "email").get_by_label("Sender").select_option(SENDER_ID)
            form.get_by_role("button", name="Add wait step").click()
            wait = step(form, 2, "wait")
            expect(wait.get_by_label("Wait for")).to_be_focused()  # the new step's first field
            wait.get_by_label("Wait for").fill("2")
            wait.get_by_label("Unit").select_option(label="days")
            form.get_by_role("button", name="Add email step").click()
            step(form, 3, "email").get_by_label("Template").select_option(TEMPLATE_ID)
            step(form, 3, "email").get_by_label("Sender").select_option(SENDER_ID)

            # A fourth step, moved up by keyboard (the focus follows it), then removed
            form.get_by_role("button", name="Add wait step").click()
            step(form, 4, "wait").get_by_role("button", name="Move up").focus()
            first.keyboard.press("Enter")
            moved = step(form, 3, "wait")
            expect(moved.get_by_role("button", name="Move up")).to_be_focused()
            expect(step(form, 4, "email")).to_be_visible()
            moved.get_by_role("button", name="Remove").focus()
            first.keyboard.press("Enter")
            expect(step(form, 3, "email")).to_be_visible()
            expect(form.get_by_role("group", name=re.compile(r"^Step \d"))).to_have_count(3)
            expect(step(form, 1, "email").get_by_role("button", name="Move up")).to_be_disabled()
            form.get_by_label("Enabled").uncheck()
            form.get_by_role("button", name="Create sequence").click()

            made = first.get_by_role("status").filter(has_text="Created sequence")
            expect(made).to_have_text(re.compile(r"^Created sequence seq_[0-9a-f-]{36}\.$"))
            sequence_id = made.inner_text().removeprefix("Created sequence ").removesuffix(".")
            created.append(sequence_id)
            sequence = stored(doc, sequence_id)
            expected_email = {**EMAIL, "variableMappings": {}}
            assert sequence["steps"] == [
                expected_email,
                {"type": "wait", "minutes": 2880},
                expected_email,
            ]
            assert (sequence["name"], sequence["trigger"], sequence["exitOn"]) == (
                name,
                "LEAD_CAPTURED",
                ["CONVERSION"],
            )
            assert (sequence["enabled"], sequence["status"], sequence["version"]) == (
                False,
                "ACTIVE",
                1,
            )

            # and it is listed as stored
            caption = f"Sequences of {CAMPAIGN}"
            table = first.get_by_role("table", name=caption)
            expect(table.get_by_role("link", name=sequence_id)).to_be_visible()
            (row,) = [r for r in table_rows(first, caption) if r[0] == sequence_id]
            assert row[1:] == [name, "Lead captured", "3", "Active", "No", "1"]
            assert_accessible(first, "the sequences page after creating one")

            # Its page says the steps in words, and it has sent nothing yet
            first.get_by_role("link", name=sequence_id).click()
            expect(first.get_by_role("heading", level=1)).to_have_text(f"Sequence {sequence_id}")
            expect(steps_in_words(first)).to_have_text(
                [SEND_IN_WORDS, "Wait 2 days", SEND_IN_WORDS]
            )
            expect(field(first, "Sequence", "Exits on")).to_have_text("Conversion")
            expect(field(first, "Sequence stats", "Enrolled")).to_have_text("0")
            assert table_rows(first, "Sent per step") == [
                ["Step 1", SEND_IN_WORDS, "0"],
                ["Step 3", SEND_IN_WORDS, "0"],
            ]
            expect(
                first.get_by_role("heading", name="Edit the sequence (version 1)")
            ).to_be_visible()
            assert_accessible(first, "the sequence page")

            second = context.new_page()
            with watching(second, doc):
                sign_in(second, doc, "OPERATOR")
                go(second, f"#/campaigns/{CAMPAIGN}/sequences/{sequence_id}")
                expect(
                    second.get_by_role("heading", name="Edit the sequence (version 1)")
                ).to_be_visible()

                # The first tab makes the wait 3 days
                step(first, 2, "wait").get_by_label("Wait for").fill("3")
                first.get_by_role("button", name="Save changes").click()
                expect(first.get_by_role("status").first).to_have_text(
                    "Saved: the sequence is now version 2."
                )
                expect(steps_in_words(first)).to_have_text(
                    [SEND_IN_WORDS, "Wait 3 days", SEND_IN_WORDS]
                )
                expect(field(first, "Sequence", "Version")).to_have_text("2")

                # The second, still at version 1, renames it: refused, in words, with what is
                # stored now, and nothing overwritten
                second.get_by_label("Name", exact=True).fill("Overwritten?")
                second.get_by_role("button", name="Save changes").click()
                expect(second.get_by_role("alert")).to_have_text(
                    f"{CONFLICT} Your changes were not saved. The stored sequence is version 2: "
                    f"Lead captured, exits on conversion, disabled, active: 1. {SEND_IN_WORDS}; "
                    f"2. Wait 3 days; 3. {SEND_IN_WORDS}."
                )
                kept = stored(doc, sequence_id)
                assert (kept["version"], kept["name"]) == (2, name)
                assert kept["steps"][1] == {"type": "wait", "minutes": 4320}
                assert_accessible(second, "the sequence page after a version conflict")

                # Pausing from the stale tab is refused the same way; after a reload it pauses
                second.get_by_role("button", name="Pause").click()
                refused = second.get_by_role("alert").filter(has_text="status was not changed")
                expect(refused).to_contain_text(
                    f"{CONFLICT} Its status was not changed. The stored sequence is version 2"
                )
                assert stored(doc, sequence_id)["status"] == "ACTIVE"
                second.get_by_role("button", name="Reload the sequence").first.click()
                expect(second.get_by_label("Name", exact=True)).to_have_value(name)
                second.get_by_role("button", name="Pause").click()
                expect(second.get_by_role("status").first).to_have_text(
                    "Paused: nothing is sent until it is resumed. It is now version 3."
                )
                assert stored(doc, sequence_id)["status"] == "PAUSED"
                second.get_by_role("button", name="Resume").click()
                expect(second.get_by_role("status").first).to_contain_text("It is now version 4.")
                assert stored(doc, sequence_id)["status"] == "ACTIVE"

                # Archiving asks first; keeping it changes nothing
                second.get_by_role("button", name="Archive").click()
                expect(second.get_by_role("button", name="Keep it")).to_be_focused()
                expect(
                    second.get_by_text(re.compile("^Archive this sequence\\? It is final"))
                ).to_be_visible()
                assert_accessible(second, "the sequence page asking to archive")
                second.get_by_role("button", name="Keep it").click()
                assert stored(doc, sequence_id)["status"] == "ACTIVE"
                second.get_by_role("button", name="Archive").click()
                second.get_by_role("button", name="Archive it").click()
                expect(second.get_by_role("status").first).to_have_text(
                    "Archived: its active enrollments are being stopped. It is now version 5."
                )
                assert stored(doc, sequence_id)["status"] == "ARCHIVED"
                # an archived sequence cannot change or enroll: no control for it
                expect(second.locator("main form")).to_have_count(1)  # the enrollments filter
                changes = re.compile(r"^(Save changes|Pause|Resume|Archive|Enroll)$")
                expect(second.get_by_role("button", name=changes)).to_have_count(0)
                assert_accessible(second, "an archived sequence's page")
    finally:
        context.close()


def test_an_operator_enrolls_a_lead_sees_it_listed_and_stops_it(
    doc: dict[str, Any], set_up: None, created: list[str], watched: Page
) -> None:
    stamp = time.time_ns()
    sequence = make_sequence(doc, created, f"Console enrollments {stamp}", status="PAUSED")
    sequence_id = sequence["sequenceId"]
    lead_id = f"lead_console_seq{stamp}"
    status, accepted = api(
        doc,
        "POST",
        f"/v2/handles/acme/campaigns/{CAMPAIGN}/leads",
        {"leadId": lead_id, "email": f"console-seq-{stamp}@example.com", "name": "Zoë Ångström"},
    )
    assert status == 202, accepted
    page = watched
    sign_in(page, doc, "OPERATOR")
    go(page, f"#/campaigns/{CAMPAIGN}/sequences/{sequence_id}")
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Sequence {sequence_id}")
    # The disabled sequence enrolled no one on the capture
    expect(page.get_by_text("Page 1: 0 enrollments.")).to_be_visible()

    # Enroll the lead: listed at its first step, as the API has it
    page.get_by_label("Lead id").fill(lead_id)
    page.get_by_role("button", name="Enroll", exact=True).click()
    expect(page.get_by_role("status")).to_have_text(
        f"Enrolled {lead_id}. It is held at its first step until the sequence is resumed."
    )
    listing = "Enrollments, in lead order"
    expect(page.get_by_role("table", name=listing)).to_contain_text(lead_id)
    (row,) = [r for r in table_rows(page, listing) if r[0] == lead_id]
    assert row[1:3] == ["Active", f"Step 1: {SEND_IN_WORDS}"]
    enrollment = enrollment_of(doc, sequence_id, lead_id)
    assert (enrollment["status"], enrollment["step"]) == ("ACTIVE", 0)
    assert_accessible(page, "the sequence page after enrolling a lead")

    # Again: already enrolled, in words, and still one enrollment
    page.get_by_role("button", name="Enroll", exact=True).click()
    expect(page.get_by_role("status")).to_have_text(
        re.compile(
            f"^{lead_id} is already enrolled in this sequence "
            r"\(since .* UTC\); nothing changed\.$"
        )
    )
    expect(page.get_by_role("table", name=listing).locator("tbody tr")).to_have_count(1)
    # Once its first step's job found the sequence paused, it is held, in words
    deadline = time.monotonic() + HELD_SECONDS
    while not enrollment_of(doc, sequence_id, lead_id)["held"]:
        assert time.monotonic() < deadline, "the first step's job never held the enrollment"
        time.sleep(0.25)
    page.get_by_role("button", name="Show enrollments").click()
    expect(page.get_by_role("table", name=listing).locator("tbody tr td").nth(2)).to_have_text(
        "Held until the sequence is resumed"
    )

    # The status filter asks the API for that status only
    page.get_by_role("combobox", name="Status", exact=True).select_option("COMPLETED")
    page.get_by_role("button", name="Show enrollments").click()
    expect(page.get_by_text("Page 1: 0 enrollments completed.")).to_be_visible()
    expect(page.get_by_role("table", name=listing)).to_have_count(0)
    page.get_by_role("combobox", name="Status", exact=True).select_option("ACTIVE")
    page.get_by_role("button", name="Show enrollments").click()
    expect(page.get_by_role("table", name=listing)).to_contain_text(lead_id)

    # Stop asks first, in the row; then the enrollment is stopped
    page.get_by_role("button", name=f"Stop {lead_id}").click()
    expect(page.get_by_text(f"Stop {lead_id}? Nothing more will be sent to it.")).to_be_visible()
    expect(page.get_by_role("button", name="Stop enrollment")).to_be_focused()
    assert enrollment_of(doc, sequence_id, lead_id)["status"] == "ACTIVE"
    page.get_by_role("button", name="Stop enrollment").click()
    expect(page.get_by_role("status")).to_have_text(
        f"Stopped the enrollment of {lead_id}: nothing more is sent to it."
    )
    expect(page.get_by_text("Page 1: 0 enrollments active.")).to_be_visible()
    stopped = enrollment_of(doc, sequence_id, lead_id)
    assert stopped["status"] == "STOPPED"
    page.get_by_role("combobox", name="Status", exact=True).select_option("")
    page.get_by_role("button", name="Show enrollments").click()
    expect(page.get_by_role("table", name=listing)).to_contain_text(lead_id)
    (row,) = [r for r in table_rows(page, listing) if r[0] == lead_id]
    assert row[1:6] == ["Stopped", "Ended", "", stopped["note"] or "", stopped["exitReason"]]
    assert row[7] == ""  # no Stop for an ended enrollment
    expect(page.get_by_role("button", name=re.compile("^Stop "))).to_have_count(0)
    assert_accessible(page, "the sequence page after stopping an enrollment")


def test_a_creator_reads_sequences_but_is_offered_no_control_it_cannot_use(
    doc: dict[str, Any], set_up: None, created: list[str], watched: Page
) -> None:
    sequence = make_sequence(doc, created, f"Console read-only {time.time_ns()}")
    sequence_id = sequence["sequenceId"]
    page = watched
    sign_in(page, doc, "CREATOR")

    # The list is a CREATOR's to read, with no new-sequence section
    page.get_by_role("link", name="Sequences", exact=True).click()
    listing = page.get_by_role("table", name=f"Sequences of {CAMPAIGN}")
    expect(listing.get_by_role("link", name=sequence_id)).to_be_visible()
    expect(page.get_by_role("heading", name="New sequence")).to_have_count(0)
    expect(page.get_by_role("alert")).to_have_count(0)
    expect(page.locator("main form")).to_have_count(0)
    assert main_buttons(page) == []
    assert_accessible(page, "the sequences page as a CREATOR")

    # Its page: the steps and stats, no control; the enrollments refused in their section only
    listing.get_by_role("link", name=sequence_id).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Sequence {sequence_id}")
    expect(steps_in_words(page)).to_have_text([SEND_IN_WORDS, "Wait 20 minutes", SEND_IN_WORDS])
    expect(field(page, "Sequence stats", "Enrolled")).to_have_text("0")
    enrollments = page.get_by_role("region", name="Enrollments", exact=True)
    expect(enrollments.get_by_role("alert")).to_have_text(
        f"Your role cannot see the sequence's enrollments: {NEEDS_OPERATOR}"
    )
    expect(page.get_by_role("alert")).to_have_count(1)
    expect(page.locator("main form")).to_have_count(0)
    expect(page.get_by_role("button", name=ACTIONS)).to_have_count(0)
    assert main_buttons(page) == []
    assert_accessible(page, "the sequence page as a CREATOR")
