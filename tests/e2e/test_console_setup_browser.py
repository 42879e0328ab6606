"""The console's setup pages in a real browser against the local stack. As an OPERATOR: the
Domains and senders page lists the contract's sender, explains in words why it is not ready
while its domain's identity has failed, shows that identity's status and reason and the DNS
records the API asks for, each copied to the clipboard by its button, and Check again
(reconcile) brings the domain and the sender back to ready, as the API then stores them. The
Suppressions page adds a plus-address with an accented, emoji reason for one purpose, lists it
as the API stores it, removes it only once the removal is confirmed in the page, and says in
words why an address that is not one is refused. A CREATOR sees the API's refusal of both
pages in words, and no form or button. axe finds nothing serious or critical on any of them."""

from __future__ import annotations

import json
import re
import urllib.parse
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tenx_email import keys
from tests.e2e.stack import aws_client, call
from tests.e2e.test_console_authoring_browser import NEEDS_OPERATOR, go, main_buttons
from tests.e2e.test_console_browser import assert_accessible, sign_in, table_rows
from tests.e2e.test_direct_send import SENDER, ensure_setup

pytestmark = pytest.mark.e2e

DOMAIN = SENDER["domain"]  # example.com, acc_demo's domain (devstack/seed.py)
SENDER_ID = "sender_notifications"
IDENTITY = f"/v2/account/domains/{DOMAIN}/email-identity"
SUPPRESSIONS = "/v2/handles/acme/email/suppressions"
FAILURE = "the DKIM CNAME records were not found"  # one of reconcile's own reasons
# An address no other module uses; the "+" must survive the trip through the path.
ADDRESS = "ana+console-setup@example.com"
REASON = "Demandée par la cliente — plus de newsletters 📭"
NOT_AN_ADDRESS = "ana.console-setup.example.com"


def operator(doc: dict[str, Any], method: str, path: str, body: Any = None) -> tuple[int, Any]:
    encoded = json.dumps(body).encode() if body is not None else None
    return call(doc, method, path, token=doc["tokens"]["OPERATOR"], body=encoded)


def identity_of(doc: dict[str, Any]) -> dict[str, Any]:
    status, body = operator(doc, "GET", IDENTITY)
    assert status == 200, body
    return dict(body["identity"])


def sender_of(doc: dict[str, Any]) -> dict[str, Any]:
    status, body = operator(doc, "GET", "/v2/handles/acme/email/senders")
    assert status == 200, body
    (sender,) = (sender for sender in body["senders"] if sender["senderId"] == SENDER_ID)
    return dict(sender)


def stored_suppression(doc: dict[str, Any], email: str) -> dict[str, Any] | None:
    query = "limit=100"
    while query:
        status, body = operator(doc, "GET", f"{SUPPRESSIONS}?{query}")
        assert status == 200, body
        for entry in body["suppressions"]:
            if entry["email"] == email:
                return dict(entry)
        token = body["nextToken"]
        query = f"limit=100&nextToken={urllib.parse.quote(token)}" if token else ""
    return None


@pytest.fixture
def failed_domain(doc: dict[str, Any]) -> Iterator[None]:
    """example.com's identity FAILED (set in moto, as the setup test sets it PENDING), and the
    contract's sender following it; reconcile brings both back to READY afterwards, since
    the local DNS has the domain's records."""
    ensure_setup(doc)
    dynamodb = aws_client(doc, "dynamodb")
    table = doc["aws"]["tableName"]

    def update(key: keys.Key, **values: str) -> None:
        """SET each attribute (a reserved word like `status` needs a name placeholder)."""
        dynamodb.update_item(
            TableName=table,
            Key={name: {"S": value} for name, value in key.items()},
            UpdateExpression="SET " + ", ".join(f"#{name} = :{name}" for name in values),
            ExpressionAttributeNames={f"#{name}": name for name in values},
            ExpressionAttributeValues={f":{name}": {"S": value} for name, value in values.items()},
        )

    update(keys.account_domain("acc_demo", DOMAIN), status="FAILED", statusReason=FAILURE)
    update(keys.sender("acme", SENDER_ID), identityStatus="FAILED")
    try:
        yield
    finally:
        status, body = operator(doc, "POST", f"{IDENTITY}/reconcile")
        assert (status, body["identity"]["status"]) == (202, "READY"), body
        assert sender_of(doc)["status"] == "READY"


@pytest.fixture
def suppressed(doc: dict[str, Any]) -> Iterator[list[str]]:
    """Addresses a test suppressed; lifted after it (DELETE is idempotent)."""
    made: list[str] = [ADDRESS]
    yield made
    for email in made:
        status, body = operator(doc, "DELETE", f"{SUPPRESSIONS}/{urllib.parse.quote(email)}")
        assert status == 204, body


def as_sentence(text: str) -> str:
    """The page's form of the API's statusReason (domain_identity.ts asSentence)."""
    trimmed = text.strip().removesuffix(".")
    return f"{trimmed[:1].upper()}{trimmed[1:]}."


def minute(iso: str) -> str:
    """The page's form of a time (format.ts time)."""
    moment = datetime.fromisoformat(iso).astimezone(UTC)
    return moment.strftime("%Y-%m-%d %H:%M UTC")


def words(value: str) -> str:
    """The page's form of an enum value (format.ts words)."""
    spaced = value.lower().replace("_", " ")
    return spaced[:1].upper() + spaced[1:]


def field(page: Page, label: str, term: str) -> Any:
    return page.get_by_label(label, exact=True).locator(f"dt:text-is('{term}') + dd")


def test_an_operator_reads_a_failed_domain_copies_its_records_and_checks_again(
    doc: dict[str, Any], failed_domain: None, watched: Page
) -> None:
    page = watched
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=doc["apiBase"])
    sender, identity = sender_of(doc), identity_of(doc)
    assert (sender["status"], identity["status"]) == ("NOT_READY", "FAILED")
    assert identity["statusReason"] == FAILURE
    records = identity["requiredDnsRecords"]
    assert records, identity

    sign_in(page, doc, "OPERATOR")
    page.get_by_role("link", name="Senders", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Domains and senders")
    expect(page.get_by_role("heading", level=2, name=f"Domain {DOMAIN}")).to_be_visible()

    # The contract's sender, as the API lists it, and why it cannot send, in words
    rows = {row[0]: row for row in table_rows(page, "Senders of acme")}
    assert rows[SENDER_ID] == [
        SENDER_ID,
        f"{sender['displayName']} <{sender['fromEmail']}>",
        sender["replyTo"],
        ", ".join(words(purpose) for purpose in sender["purposes"]),
        "Yes",
        f"Not ready because its domain {DOMAIN} failed verification: {FAILURE}.",
    ]

    # The domain's status and reason, and exactly the records the API asks for
    expect(field(page, f"Identity of {DOMAIN}", "Status")).to_have_text(
        f"Failed: {as_sentence(FAILURE)} Check the DNS records below, then check again."
    )
    expect(field(page, f"Identity of {DOMAIN}", "MAIL FROM domain")).to_have_text(
        identity["mailFromDomain"]
    )
    assert table_rows(page, f"DNS records to create for {DOMAIN}") == [
        [record["type"], record["name"], record["value"], "Copy"] for record in records
    ]
    assert_accessible(page, "the senders page with a failed domain")

    # Copy puts the value itself on the clipboard, and says so
    dkim = records[0]
    page.get_by_role("button", name=f"Copy the {dkim['type']} value for {dkim['name']}").click()
    expect(page.locator(".copy-status")).to_have_text(
        f"Copied the {dkim['type']} value for {dkim['name']}."
    )
    assert page.evaluate("() => navigator.clipboard.readText()") == dkim["value"]
    spf = next(record for record in records if record["value"].startswith('"v=spf1'))
    page.get_by_role("button", name=f"Copy the TXT value for {spf['name']}").click()
    expect(page.locator(".copy-status")).to_have_text(f"Copied the TXT value for {spf['name']}.")
    assert page.evaluate("() => navigator.clipboard.readText()") == spf["value"]

    # Check again: the API re-reads SES; the page shows the new status, and the sender follows
    page.get_by_role("button", name="Check again").click()
    expect(page.get_by_role("status")).to_have_text(f"Checked again: {DOMAIN} is now ready.")
    assert identity_of(doc)["status"] == "READY"
    expect(field(page, f"Identity of {DOMAIN}", "Status")).to_have_text(re.compile("^Ready: "))
    expect(page.get_by_role("table", name=f"DNS records to create for {DOMAIN}")).to_have_count(0)
    expect(page.get_by_text("Nothing more to create in DNS")).to_be_visible()
    assert sender_of(doc)["status"] == "READY"
    expect(
        page.get_by_role("table", name="Senders of acme").get_by_role("row", name=SENDER_ID)
    ).to_contain_text("Ready")
    assert {row[0]: row for row in table_rows(page, "Senders of acme")}[SENDER_ID][5] == "Ready"
    expect(page.get_by_role("alert")).to_have_count(0)
    assert_accessible(page, "the senders page after Check again")


def find_row(page: Page, email: str) -> Any:
    """The suppression's row, following Next page until it shows (the list is by address)."""
    listing = page.get_by_role("table", name="Suppressed addresses, by address")
    for number in range(2, 40):
        row = listing.get_by_role("row", name=re.compile("^" + re.escape(email)))
        expect(page.get_by_role("status").filter(has_text="Page ")).to_be_visible()
        if row.count():
            return row
        page.get_by_role("button", name="Next page").click()
        expect(page.get_by_role("status").filter(has_text=f"Page {number}:")).to_be_visible()
    raise AssertionError(f"{email} is not listed")


def test_an_operator_adds_and_removes_a_plus_address_suppression(
    doc: dict[str, Any], suppressed: list[str], watched: Page
) -> None:
    page = watched
    sign_in(page, doc, "OPERATOR")
    page.get_by_role("link", name="Suppressions", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Suppressions")
    expect(page.get_by_role("status").filter(has_text="Page 1:")).to_be_visible()
    assert_accessible(page, "the suppressions page")

    # Add the plus-address for product notifications only
    form = page.get_by_role("form", name="Add a suppression")
    form.get_by_label("Email address").fill(ADDRESS)
    form.get_by_label("Reason (optional)").fill(REASON)
    form.get_by_label("Product notification").check()
    form.get_by_role("button", name="Suppress address").click()
    expect(page.get_by_role("status").filter(has_text=re.compile("^Suppressed "))).to_have_text(
        f"Suppressed {ADDRESS} (product notification): this handle will not send to it."
    )
    stored = stored_suppression(doc, ADDRESS)
    assert stored is not None
    assert (stored["reason"], stored["source"]) == (REASON, "manual")
    assert stored["purposes"] == ["PRODUCT_NOTIFICATION"]
    assert_accessible(page, "the suppressions page after adding one")

    # Listed as stored: address, purposes, reason, source and time
    row = find_row(page, ADDRESS)
    expect(row.locator("th, td")).to_have_text(
        [
            stored["email"],
            "Product notification",
            stored["reason"],
            words(stored["source"]),
            minute(stored["createdAt"]),
            "Remove",
        ]
    )

    # Remove asks first: nothing is removed until the removal is confirmed
    row.get_by_role("button", name=f"Remove {ADDRESS}").click()
    question = page.get_by_role("group", name=re.compile("^Remove " + re.escape(ADDRESS)))
    expect(question).to_be_visible()
    expect(page.get_by_role("button", name=f"Yes, remove {ADDRESS}")).to_be_focused()
    assert stored_suppression(doc, ADDRESS) is not None
    assert_accessible(page, "the suppressions page asking to confirm a removal")
    question.get_by_role("button", name="Cancel").click()
    expect(question).to_have_count(0)
    assert stored_suppression(doc, ADDRESS) is not None

    row.get_by_role("button", name=f"Remove {ADDRESS}").click()
    page.get_by_role("button", name=f"Yes, remove {ADDRESS}").click()
    expect(page.get_by_role("status").filter(has_text=re.compile("^Removed "))).to_have_text(
        f"Removed {ADDRESS}: this handle may send to it again."
    )
    assert stored_suppression(doc, ADDRESS) is None
    expect(page.get_by_role("row", name=re.compile("^" + re.escape(ADDRESS)))).to_have_count(0)

    # An address that is not one: the API's refusal, in words, and nothing stored
    status, refusal = operator(doc, "PUT", f"{SUPPRESSIONS}/{NOT_AN_ADDRESS}", {})
    assert (status, refusal["error"]) == (400, "invalid_recipient"), refusal
    form.get_by_label("Email address").fill(NOT_AN_ADDRESS)
    form.get_by_role("button", name="Suppress address").click()
    expect(page.get_by_role("alert")).to_have_text(
        f"A recipient address is not valid. ({refusal['message']})"
    )
    assert stored_suppression(doc, NOT_AN_ADDRESS) is None
    assert_accessible(page, "the suppressions page after a refused address")


def test_a_creator_sees_both_setup_pages_refused_in_words_and_no_control(
    doc: dict[str, Any], watched: Page
) -> None:
    page = watched
    sign_in(page, doc, "CREATOR")
    page.get_by_role("link", name="Senders", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Domains and senders")
    expect(page.get_by_role("alert")).to_have_text(
        f"Your role cannot list the senders: {NEEDS_OPERATOR}"
    )
    expect(page.get_by_role("heading", level=2)).to_have_count(0)
    expect(page.locator("main form")).to_have_count(0)
    assert main_buttons(page) == []
    assert_accessible(page, "the senders page as a CREATOR")

    go(page, "#/suppressions")
    expect(page.get_by_role("heading", level=1)).to_have_text("Suppressions")
    expect(page.get_by_role("alert")).to_have_text(
        f"Your role cannot list the suppressions: {NEEDS_OPERATOR}"
    )
    expect(page.get_by_role("heading", name="Add a suppression")).to_have_count(0)
    expect(page.locator("main form")).to_have_count(0)
    expect(page.locator("main input")).to_have_count(0)
    assert main_buttons(page) == []
    assert_accessible(page, "the suppressions page as a CREATOR")
