"""The local mail viewer in a real browser (Debian's Chromium, headless, driven by
Playwright): a message sent over the API shows as a reader would see it, its HTML body
rendered in a frame that runs no scripts, its headers decoded, and a link to the message's
status and timeline; and the page fetches nothing from anywhere but the local stack."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.stack import call
from tests.e2e.test_direct_send import queue_direct, wait_for_status

pytestmark = pytest.mark.e2e

DISPLAY_NAME = "Café Ünïcode 東京"
SENDER = {
    "domain": "example.com",
    "localPart": "hello",
    "displayName": DISPLAY_NAME,
    "replyTo": "support@example.com",
    "purposes": ["TRANSACTIONAL_API"],
    "enabled": True,
}
# The script would rewrite the greeting if it ran; in the viewer's sandboxed frame it must not.
TEMPLATE = {
    "templateId": "tmpl_viewer",
    "name": "Viewer check",
    "subject": "Viewer check {{firstName}}",
    "html": (
        '<h1 id="greeting">Hello {{firstName}}</h1><p>Rendered <b>HTML</b> body.</p>'
        '<script>document.getElementById("greeting").textContent = "script ran"</script>'
    ),
    "text": "Hello {{firstName}} (text body)",
}


def send_viewer_message(doc: dict[str, Any]) -> tuple[str, str]:
    """A delivered message from a sender whose name needs RFC 2047; (message id, subject)."""
    token = doc["tokens"]["OPERATOR"]
    status, _ = call(
        doc,
        "PUT",
        "/v2/handles/acme/email/senders/sender_viewer",
        token=token,
        body=json.dumps(SENDER).encode(),
    )
    assert status == 200
    status, _ = call(
        doc,
        "POST",
        "/v2/handles/acme/email/templates",
        token=token,
        body=json.dumps(TEMPLATE).encode(),
    )
    assert status in (201, 409)
    first_name = f"Reader{time.time_ns()}"
    message_id = queue_direct(
        doc,
        token,
        "reader@customer.test",
        senderId="sender_viewer",
        templateId="tmpl_viewer",
        variables={"firstName": first_name},
    )
    assert wait_for_status(doc, message_id, "DELIVERED")["status"] == "DELIVERED"
    return message_id, f"Viewer check {first_name}"


def test_the_mail_viewer_shows_a_sent_message_as_a_reader_sees_it(
    doc: dict[str, Any], page: Page
) -> None:
    # Given a delivered message with an HTML and a text body
    message_id, subject = send_viewer_message(doc)
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))

    # When the viewer is opened in the browser
    page.goto(f"{doc['apiBase']}/_local/mail")

    # Then the message is there, newest first, labelled by its subject
    mail = page.get_by_role("article", name=subject)
    expect(mail).to_have_count(1)
    first_heading = page.get_by_role("article").first.get_by_role("heading", level=2)
    expect(first_heading).to_have_text(subject)

    # and its HTML body renders inside a frame that allows nothing, where its script did not run
    frame = mail.locator("iframe")
    assert frame.get_attribute("sandbox") == ""
    assert frame.get_attribute("src") is None
    body = mail.frame_locator("iframe").locator("body")
    expect(body.locator("h1")).to_have_text(f"Hello {subject.split()[-1]}")
    expect(body).to_contain_text("Rendered HTML body.")
    expect(body).not_to_contain_text("script ran")

    # and its text body and headers are shown, the From's name decoded
    expect(mail.locator("pre")).to_have_text(f"Hello {subject.split()[-1]} (text body)")
    headers = mail.get_by_label("Headers")
    for name, value in [
        ("From", f"{DISPLAY_NAME} <hello@example.com>"),
        ("To", "reader@customer.test"),
        ("Reply-To", "support@example.com"),
        ("Subject", subject),
    ]:
        expect(headers.locator(f"dt:text-is('{name}') + dd")).to_have_text(value)
    expect(headers.locator("dt:text-is('From (as sent)') + dd")).to_contain_text("=?utf-8?")

    # and nothing was fetched from anywhere but the local stack
    assert requested
    assert all(url.startswith(doc["apiBase"]) for url in requested), requested

    # When its message id is followed
    mail.get_by_role("link", name=message_id).click()

    # Then the message's page shows its status, recipient and timeline
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Message {message_id}")
    expect(page.get_by_label("Message").locator("dt:text-is('Status') + dd")).to_have_text(
        "DELIVERED"
    )
    recipients = page.get_by_role("table", name="Recipients")
    expect(recipients.get_by_role("row", name="reader@customer.test DELIVERED")).to_have_count(1)
    timeline = page.get_by_role("table", name="Timeline")
    for event in ("QUEUED", "SENT", "DELIVERED"):
        expect(timeline.get_by_role("cell", name=event, exact=True)).to_have_count(1)
    page.get_by_role("link", name="Back to sent mail").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Sent mail")


def test_an_unknown_message_page_says_so(doc: dict[str, Any], page: Page) -> None:
    response = page.goto(
        f"{doc['apiBase']}/_local/mail/messages/acme/msg_00000000000000000000000000"
    )

    assert response is not None
    assert response.status == 404
    expect(page.get_by_role("alert")).to_contain_text("404 message_not_found")
