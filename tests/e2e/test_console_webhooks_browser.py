"""The console's webhooks pages in a real browser against the local stack: an OPERATOR creates
an endpoint pointing at the local receiver from the page and reads its signing secret once
(the secret the receiver's deliveries are signed with; never stored in the tab, the address
or the page after a reload); sends a test event and sees its 2xx attempt in the delivery log
as the API stores it; replays it and sees a second attempt; rotates the secret (a new one,
shown once); a stale save is refused with the version conflict in words; disables and
enables it after confirming; deletes it after confirming, and the API answers 404 for it. A
CREATOR sees the API's refusal in words and no control. axe finds nothing serious or
critical on any of these pages and states."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from playwright.sync_api import Locator, Page, expect
from standardwebhooks.webhooks import Webhook

from tests.e2e.stack import call
from tests.e2e.test_console_authoring_browser import go, main_buttons
from tests.e2e.test_console_browser import assert_accessible, sign_in, table_rows

pytestmark = pytest.mark.e2e

WEBHOOKS = "/v2/handles/acme/email/webhooks"
# Each endpoint this module makes names it in its URL's query (the receiver reads only
# `fail`), so the fixture finds it even when a test failed before reading its id, and the
# seeded endpoint (the receiver's bare URL, which other modules look up) stays the only one.
MARKER = "console-webhooks-browser"
NEEDS_OPERATOR = "it needs the OPERATOR role or higher."
# The delivery pipeline is asynchronous and the local stack's sender may have a backlog.
WAIT_MS = 130_000
LOG = "Deliveries, newest first"


def operator(doc: dict[str, Any]) -> str:
    return str(doc["tokens"]["OPERATOR"])


def ours(doc: dict[str, Any]) -> list[dict[str, Any]]:
    status, body = call(doc, "GET", WEBHOOKS, token=operator(doc))
    assert status == 200, body
    return [w for w in body["webhooks"] if MARKER in w["url"]]


@pytest.fixture
def receiver_url(doc: dict[str, Any]) -> Iterator[str]:
    """A URL of the local receiver for this test; every endpoint made with it is deleted after."""
    url = f"{doc['apiBase']}/_local/webhooks?from={MARKER}-{time.time_ns()}"
    yield url
    for webhook in ours(doc):
        status, body = call(
            doc, "DELETE", f"{WEBHOOKS}/{webhook['webhookId']}", token=operator(doc)
        )
        assert status == 204, body


def stored(doc: dict[str, Any], webhook_id: str) -> dict[str, Any]:
    status, body = call(doc, "GET", f"{WEBHOOKS}/{webhook_id}", token=operator(doc))
    assert status == 200, body
    return dict(body["webhook"])


def stored_delivery(doc: dict[str, Any], webhook_id: str, delivery_id: str) -> dict[str, Any]:
    status, body = call(doc, "GET", f"{WEBHOOKS}/{webhook_id}/deliveries", token=operator(doc))
    assert status == 200, body
    (delivery,) = (d for d in body["deliveries"] if d["deliveryId"] == delivery_id)
    return dict(delivery)


def endpoint_field(page: Page, term: str) -> Locator:
    return page.get_by_label("Endpoint", exact=True).locator(f"dt:text-is('{term}') + dd")


def kept_anywhere(page: Page) -> str:
    """All the tab keeps outside the page: its storage, cookies and address."""
    return str(
        page.evaluate(
            "() => JSON.stringify({...sessionStorage}) + JSON.stringify({...localStorage})"
            " + document.cookie + window.location.href"
        )
    )


def log_rows(page: Page, delivery_id: str) -> list[list[str]]:
    return [row for row in table_rows(page, LOG) if row[0] == delivery_id]


def wait_for_attempts(page: Page, delivery_id: str, count: int) -> list[list[str]]:
    """Refresh the log until the delivery has `count` attempts logged."""
    deadline = time.monotonic() + WAIT_MS / 1000
    while True:
        page.get_by_role("button", name="Refresh the log").click()
        expect(page.get_by_role("status").filter(has_text=re.compile("^Page 1: "))).to_be_visible()
        rows = log_rows(page, delivery_id)
        if len(rows) >= count and rows[0][3] != "Not attempted yet":
            return rows
        assert time.monotonic() < deadline, rows
        page.wait_for_timeout(1000)


def test_an_operator_runs_an_endpoint_from_creation_to_deletion(
    doc: dict[str, Any], receiver_url: str, watched: Page
) -> None:
    page = watched
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=doc["apiBase"])
    sign_in(page, doc, "OPERATOR")
    page.get_by_role("link", name="Webhooks", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Webhooks")
    expect(page.get_by_role("table", name="Webhook endpoints")).to_be_visible()
    assert_accessible(page, "the webhooks page")

    # The form refuses no event type at all (the API would read an empty list as every type)
    form = page.get_by_role("form", name="New endpoint")
    form.get_by_label("URL").fill(receiver_url)
    form.get_by_label(re.compile("^Description")).fill("Console test receiver")
    events = form.get_by_role("group", name="Events to send")
    events.get_by_label("All events (including types added later)").uncheck()
    form.get_by_role("button", name="Create endpoint").click()
    expect(page.get_by_role("alert")).to_have_text("Choose at least one event type, or All events.")
    assert ours(doc) == []

    # Created with one type (a rare one: the log then holds this test's deliveries only)
    events.get_by_label("Unsubscribed", exact=True).check()
    form.get_by_role("button", name="Create endpoint").click()
    created = page.get_by_role("status").filter(has_text="Created endpoint")
    expect(created).to_have_text(re.compile(r"^Created endpoint wh_[0-9a-z]{26}\.$"))
    webhook_id = created.inner_text().removeprefix("Created endpoint ").removesuffix(".")
    webhook = stored(doc, webhook_id)
    assert (webhook["url"], webhook["events"]) == (receiver_url, ["UNSUBSCRIBED"])
    assert (webhook["enabled"], webhook["description"]) == (True, "Console test receiver")

    # The secret is shown once, as text, with the sentence, and copies to the clipboard
    panel = page.get_by_role("region", name=f"Signing secret of {webhook_id}")
    expect(panel).to_contain_text("it will not be shown again")
    secret = panel.locator("code.secret").inner_text()
    assert re.fullmatch(r"whsec_[A-Za-z0-9+/=]{20,}", secret), secret
    panel.get_by_role("button", name="Copy the secret").click()
    expect(panel.get_by_text("Copied to the clipboard.")).to_be_visible()
    assert page.evaluate("() => navigator.clipboard.readText()") == secret
    assert secret not in kept_anywhere(page)
    row = next(r for r in table_rows(page, "Webhook endpoints") if r[0] == webhook_id)
    assert row[1:5] == [receiver_url, "Unsubscribed", "Enabled", "Console test receiver"]
    assert_accessible(page, "the webhooks page with a new secret")

    # Its page, after a reload (which signs in again), shows no secret anywhere
    panel.get_by_role("link", name=f"Open endpoint {webhook_id}").click()
    title = f"Webhook endpoint {webhook_id}"
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    page.reload()
    page.get_by_role("button", name="Sign in as OPERATOR").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    expect(endpoint_field(page, "Events")).to_have_text("Unsubscribed")
    expect(endpoint_field(page, "Status")).to_have_text("Enabled")
    assert secret not in page.content()
    assert secret not in kept_anywhere(page)
    assert "whsec_" not in page.locator("main").inner_text()
    assert_accessible(page, "the webhook endpoint page")

    # A test event: the page says it was delivered; the log shows its 2xx attempt, as stored
    page.get_by_role("button", name="Send a test event").click()
    delivered = page.get_by_role("status").filter(has_text="The test event")
    expect(delivered).to_have_text(
        re.compile(
            r"^The test event \(whd_[0-9a-z]{26}\) was delivered: your endpoint answered "
            r"HTTP 2\d\d in \d+ ms\.$"
        ),
        timeout=WAIT_MS,
    )
    delivery_id = re.findall(r"whd_[0-9a-z]{26}", delivered.inner_text())[0]
    [attempt] = wait_for_attempts(page, delivery_id, 1)
    assert attempt[1:4] == ["WEBHOOK_TEST", "Succeeded", "1 of 1"]
    assert re.fullmatch(r"2\d\d", attempt[5]), attempt
    log = stored_delivery(doc, webhook_id, delivery_id)
    assert log["status"] == "SUCCEEDED"
    assert attempt[5] == str(log["attempts"][0]["httpStatus"])
    # and the receiver got it signed with the secret the page showed
    _, arrivals = call(doc, "GET", "/_local/webhooks?format=json")
    arrival = next(a for a in arrivals["webhooks"] if a["deliveryId"] == delivery_id)
    Webhook(secret).verify(arrival["body"], arrival["headers"])
    assert json.loads(arrival["body"])["type"] == "WEBHOOK_TEST"
    assert_accessible(page, "the webhook endpoint page after a test event")

    # Replay: queued, said so, and a second attempt appears
    page.get_by_role("button", name=f"Replay {delivery_id}").click()
    expect(
        page.get_by_role("status").filter(has_text=f"Replay of {delivery_id} queued")
    ).to_be_visible()
    rows = wait_for_attempts(page, delivery_id, 2)
    assert [r[3] for r in rows] == ["1 of 2", "2 of 2"]
    assert re.fullmatch(r"2\d\d", rows[1][5]), rows
    assert len(stored_delivery(doc, webhook_id, delivery_id)["attempts"]) == 2

    # A window's replay sends again what the log holds of it: this test's one delivery, a third
    # time. The window is around the delivery's own time: the stack's dev clock may be days
    # ahead of this machine's, when other modules advanced it.
    made = datetime.fromisoformat(log["createdAt"].replace("Z", "+00:00")).astimezone(UTC)
    window = page.get_by_role("form", name="Replay a window")
    window.get_by_label("From (UTC)").fill(f"{made - timedelta(hours=1):%Y-%m-%dT%H:%M}")
    window.get_by_label("Until (UTC)").fill(f"{made + timedelta(hours=1):%Y-%m-%dT%H:%M}")
    window.get_by_role("button", name="Replay the window").click()
    expect(page.get_by_role("status").filter(has_text="to be sent again")).to_have_text(
        "Queued 1 delivery to be sent again, oldest first."
    )
    rows = wait_for_attempts(page, delivery_id, 3)
    assert re.fullmatch(r"2\d\d", rows[2][5]), rows

    # Rotate, after confirming: a new secret, shown once, with the 24 hours' overlap in words
    version = stored(doc, webhook_id)["version"]
    page.get_by_role("button", name="Rotate the secret").click()
    expect(
        page.get_by_role("group", name=re.compile(re.escape("Rotate the signing secret?")))
    ).to_be_focused()
    page.get_by_role("button", name="Rotate the secret now").click()
    rotated = page.get_by_role("region", name="New signing secret")
    expect(rotated).to_contain_text(
        re.compile(r"previous secret also signs every delivery until .* UTC \(24 hours\)")
    )
    new_secret = rotated.locator("code.secret").inner_text()
    assert new_secret.startswith("whsec_")
    assert new_secret != secret
    assert new_secret not in kept_anywhere(page)
    assert stored(doc, webhook_id)["version"] == version + 1
    expect(endpoint_field(page, "Version")).to_have_text(str(version + 1))
    assert_accessible(page, "the webhook endpoint page with a rotated secret")

    # A save the API would lose to another change is refused, with what is stored now
    changed = {"url": receiver_url, "events": ["UNSUBSCRIBED"], "description": "Changed elsewhere"}
    status, body = call(
        doc,
        "PUT",
        f"{WEBHOOKS}/{webhook_id}",
        token=operator(doc),
        body=json.dumps(changed).encode(),
    )
    assert status == 200, body
    edit = page.get_by_role("form", name=re.compile("^Edit the endpoint"))
    edit.get_by_label(re.compile("^Description")).fill("Edited in the console")
    edit.get_by_role("button", name="Save changes").click()
    expect(page.get_by_role("alert")).to_have_text(
        "It was changed at the same time by someone else; reload and try again. Your changes "
        f"were not saved. The stored endpoint is version {version + 2}: {receiver_url}, "
        "unsubscribed, enabled."
    )
    assert stored(doc, webhook_id)["description"] == "Changed elsewhere"
    assert_accessible(page, "the webhook endpoint page after a version conflict")
    page.get_by_role("button", name="Reload the endpoint").click()
    expect(edit.get_by_label(re.compile("^Description"))).to_have_value("Changed elsewhere")
    edit.get_by_label(re.compile("^Description")).fill("Edited in the console")
    edit.get_by_role("button", name="Save changes").click()
    expect(page.get_by_role("status").filter(has_text="Saved:")).to_have_text(
        f"Saved: the endpoint is now version {version + 3}."
    )
    assert stored(doc, webhook_id)["description"] == "Edited in the console"

    # Disable after confirming (no test events then), and enable again
    page.get_by_role("button", name="Disable endpoint").click()
    page.get_by_role("button", name="Disable the endpoint").click()
    expect(page.get_by_role("status").filter(has_text="Disabled:")).to_be_visible()
    assert stored(doc, webhook_id)["enabled"] is False
    expect(endpoint_field(page, "Status")).to_have_text("Disabled")
    expect(page.get_by_role("button", name="Send a test event")).to_have_count(0)
    page.get_by_role("button", name="Enable endpoint").click()
    expect(page.get_by_role("status").filter(has_text="Enabled:")).to_be_visible()
    assert stored(doc, webhook_id)["enabled"] is True

    # Delete: asked in the page; Cancel keeps it, confirming deletes it and says so
    page.get_by_role("button", name="Delete endpoint").click()
    # (a substring: a regex with the URL's slashes trips the selector parser)
    question = page.get_by_role("group", name=f"Delete {receiver_url}?")
    expect(question).to_be_focused()
    assert_accessible(page, "the webhook endpoint page asking to delete")
    question.get_by_role("button", name="Cancel").click()
    expect(page.get_by_role("status").filter(has_text="Nothing was changed.")).to_be_visible()
    stored(doc, webhook_id)
    page.get_by_role("button", name="Delete endpoint").click()
    page.get_by_role("button", name="Delete the endpoint").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Webhooks")
    expect(page.get_by_role("status").filter(has_text="Deleted endpoint")).to_have_text(
        f"Deleted endpoint {webhook_id} ({receiver_url}): it receives nothing more, and its "
        "secrets are forgotten."
    )
    expect(page.get_by_role("table", name="Webhook endpoints")).to_be_visible()
    assert webhook_id not in [r[0] for r in table_rows(page, "Webhook endpoints")]
    status, body = call(doc, "GET", f"{WEBHOOKS}/{webhook_id}", token=operator(doc))
    assert (status, body["error"]) == (404, "webhook_not_found")
    assert_accessible(page, "the webhooks page after a deletion")


def test_a_creator_sees_the_refusal_and_no_control(doc: dict[str, Any], watched: Page) -> None:
    status, body = call(doc, "GET", WEBHOOKS, token=operator(doc))
    assert status == 200, body
    seeded = body["webhooks"][0]["webhookId"]
    page = watched
    sign_in(page, doc, "CREATOR")
    page.get_by_role("link", name="Webhooks", exact=True).click()
    # The page first: until the hash change renders it, the overview's two alerts are shown
    expect(page.get_by_role("heading", level=1)).to_have_text("Webhooks")
    expect(page.get_by_role("alert")).to_have_text(
        f"Your role cannot list the webhook endpoints: {NEEDS_OPERATOR}"
    )
    expect(page.get_by_role("heading", name="New endpoint")).to_have_count(0)
    expect(page.locator("main form")).to_have_count(0)
    assert main_buttons(page) == []
    assert_accessible(page, "the webhooks page as a CREATOR")

    go(page, f"#/webhooks/{seeded}")
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Webhook endpoint {seeded}")
    expect(page.get_by_role("alert")).to_have_text(
        f"Your role cannot see this webhook endpoint: {NEEDS_OPERATOR}"
    )
    expect(page.locator("main form")).to_have_count(0)
    assert main_buttons(page) == []
    expect(page.get_by_text(seeded, exact=False)).to_have_count(1)  # the heading only
    assert_accessible(page, "the webhook endpoint page as a CREATOR")
