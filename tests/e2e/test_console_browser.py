"""The web console in a real browser (Debian's Chromium, headless, driven by Playwright)
against the local stack: signing in through the local identity provider's OpenID Connect
flow, the overview's stats and quota after real sends, the messages list and a bounced
message's reason; a CREATOR sees the API's refusals as sentences and no action it cannot
take; each page passes axe's serious and critical checks and fits a 375 px phone."""

from __future__ import annotations

import json
import re
import time
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, Response, Route, expect

from tests.e2e.stack import REPO, call
from tests.e2e.test_direct_send import ensure_setup, queue_direct, wait_for_status

pytestmark = pytest.mark.e2e

AXE = REPO / "console" / "node_modules" / "axe-core" / "axe.min.js"
DIST = REPO / "console" / "dist" / "index.html"
PHONE_WIDTH = 375
PROJECTION_SECONDS = 30
PAGE_SIZE = 25  # the console's messages page asks for this many


def stats_totals(doc: dict[str, Any]) -> dict[str, Any]:
    status, body = call(
        doc, "GET", "/v2/handles/acme/email/stats?granularity=day", token=doc["tokens"]["OPERATOR"]
    )
    assert status == 200, body
    return dict(body["stats"]["totals"])


def message_count(doc: dict[str, Any], at_least: int) -> int:
    """How many messages acme has, counting no further than `at_least`."""
    found, query = 0, "limit=100"
    while query and found < at_least:
        _, listing = call(
            doc, "GET", f"/v2/handles/acme/email/messages?{query}", token=doc["tokens"]["OPERATOR"]
        )
        found += len(listing["messages"])
        query = f"limit=100&nextToken={listing['nextToken']}" if listing["nextToken"] else ""
    return found


@pytest.fixture(scope="module")
def sent(doc: dict[str, Any]) -> dict[str, Any]:
    """Two delivered messages and a bounced one, counted in the stats; and more than a page
    of messages in all (test sends, which the stats do not count)."""
    if not DIST.exists():
        pytest.fail(f"{DIST} is missing: run `make console` (make test builds it)")
    ensure_setup(doc)
    token = doc["tokens"]["OPERATOR"]
    before = stats_totals(doc)
    run = time.time_ns()
    variables = {"firstName": "Console", "service": "stats"}
    for filler in range(max(0, PAGE_SIZE + 1 - message_count(doc, PAGE_SIZE + 1))):
        address = f"filler-{filler}-{run}@customer.test"
        queue_direct(doc, token, address, variables=variables, testMode=True)
    delivered = [
        queue_direct(doc, token, f"console-{n}-{run}@customer.test", variables=variables)
        for n in range(2)
    ]
    # A label keeps the simulator's outcome and gives this run an address of its own.
    bounce_address = f"bounce+console-{run}@simulator.amazonses.com"
    bounced = queue_direct(doc, token, bounce_address, variables=variables)
    for message_id in delivered:
        assert wait_for_status(doc, message_id, "DELIVERED")["status"] == "DELIVERED"
    assert wait_for_status(doc, bounced, "BOUNCED")["status"] == "BOUNCED"
    deadline = time.monotonic() + PROJECTION_SECONDS
    while True:  # the stats lag the events by the projection's few seconds
        after = stats_totals(doc)
        if after["sent"] >= before["sent"] + 3 and after["bounced"] >= before["bounced"] + 1:
            break
        assert time.monotonic() < deadline, (before, after)
        time.sleep(0.5)
    return {"delivered": delivered, "bounced": bounced, "before": before}


def assert_accessible(page: Page, where: str) -> None:
    """axe finds nothing serious or critical, and the page fits a phone without scrolling
    sideways. axe runs through evaluate: the console's CSP refuses an injected script tag."""
    page.evaluate(AXE.read_text())
    result = page.evaluate("async () => await axe.run()")
    violations = [
        {
            "id": v["id"],
            "impact": v["impact"],
            "help": v["help"],
            "nodes": [n["target"] for n in v["nodes"]],
        }
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]
    if violations:
        print(f"axe violations on {where}:\n{json.dumps(violations, indent=2)}")
    assert not violations, f"{where}: {violations}"
    viewport = page.viewport_size
    page.set_viewport_size({"width": PHONE_WIDTH, "height": 800})
    try:
        expect(page.locator("html")).to_have_js_property("scrollWidth", PHONE_WIDTH)
    finally:
        if viewport:
            page.set_viewport_size(viewport)


def sign_in(page: Page, doc: dict[str, Any], role: str, check_idp_page: bool = False) -> None:
    page.goto(f"{doc['apiBase']}/console/")
    expect(page).to_have_url(re.compile(re.escape(doc["jwt"]["issuer"]) + "/authorize\\?"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in to the tenx-email console")
    if check_idp_page:
        assert_accessible(page, "the identity provider's sign-in page")
    page.get_by_role("button", name=f"Sign in as {role}").click()
    expect(page).to_have_url(f"{doc['apiBase']}/console/#/overview")
    expect(page.get_by_text(f"Signed in as {doc['users'][role]}")).to_be_visible()


def table_rows(page: Page, caption: str) -> list[list[str]]:
    table = page.get_by_role("table", name=caption)
    expect(table).to_be_visible()
    return [
        [cell.strip() for cell in row.locator("th, td").all_inner_texts()]
        for row in table.locator("tbody tr, tfoot tr").all()
    ]


def number(text: str) -> int:
    return int(text.replace(",", ""))


def sent_colour_pixels(page: Page) -> int:
    """Pixels of the chart's canvas in the Sent series' colour (#1f5fbf), give or take."""
    return int(
        page.evaluate(
            """() => {
              const canvas = document.querySelector(".chart canvas");
              const context = canvas.getContext("2d");
              const { data } = context.getImageData(0, 0, canvas.width, canvas.height);
              let found = 0;
              for (let i = 0; i < data.length; i += 4) {
                if (Math.abs(data[i] - 31) < 40 && Math.abs(data[i + 1] - 95) < 40
                    && Math.abs(data[i + 2] - 191) < 40 && data[i + 3] > 200) found++;
              }
              return found;
            }"""
        )
    )


def test_an_operator_signs_in_and_sees_stats_quota_messages_and_a_bounce_reason(
    doc: dict[str, Any], sent: dict[str, Any], watched: Page
) -> None:
    page = watched
    # Given the operator signs in through the local identity provider
    sign_in(page, doc, "OPERATOR", check_idp_page=True)

    # Then the overview's table counts the sends of the last 7 days, and the chart drew them
    expect(page.get_by_role("heading", level=1)).to_have_text("Overview")
    expect(page.get_by_role("heading", level=2, name="Emails, Last 7 days")).to_be_visible()
    rows = table_rows(page, "Emails per day (UTC)")
    total = dict(zip(["day", "sent", "delivered", "bounced", "complained"], rows[-1], strict=True))
    assert total["day"] == "Total"
    before = sent["before"]
    assert number(total["sent"]) >= before["sent"] + 3, rows
    assert number(total["bounced"]) >= before["bounced"] + 1, rows
    assert sum(number(row[1]) for row in rows[:-1]) == number(total["sent"])
    assert sent_colour_pixels(page) > 0

    # and the range's bounce rate is judged against 5% in words
    rate = number(total["bounced"]) / number(total["sent"])
    verdict = "above the threshold" if rate > 0.05 else "below the threshold"
    expect(page.get_by_text(re.compile(r"^Bounce rate: .*"))).to_contain_text(f"{verdict} of 5%")
    expect(page.get_by_text(re.compile(r"^Complaint rate: .*"))).to_contain_text("of 0.1%")

    # and today's quota is the API's
    _, quota = call(doc, "GET", "/v2/handles/acme/email/quota", token=doc["tokens"]["OPERATOR"])
    quota_fields = page.get_by_label("Today's quota")
    expect(quota_fields.locator("dt:text-is('Daily limit') + dd")).to_have_text(
        f"{quota['quota']['dailyLimit']:,}"
    )
    assert number(quota_fields.locator("dt:text-is('Used today') + dd").inner_text()) >= 3
    assert_accessible(page, "the overview")

    # When the range is switched to 30 days, the table has 30 days and the same sends
    page.get_by_label("Last 30 days").check()
    expect(page.get_by_role("heading", level=2, name="Emails, Last 30 days")).to_be_visible()
    expect(
        page.get_by_role("table", name="Emails per day (UTC)").locator("tbody tr")
    ).to_have_count(30)
    assert number(table_rows(page, "Emails per day (UTC)")[-1][1]) >= before["sent"] + 3

    # When the messages page is opened, the sends are listed newest first
    page.get_by_role("link", name="Messages", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Messages")
    listing = page.get_by_role("table", name="Messages, newest first")
    expect(listing.locator("tbody tr")).to_have_count(PAGE_SIZE)
    first_page_ids = listing.locator("tbody tr th a").all_inner_texts()
    assert first_page_ids[:3] == [sent["bounced"], *reversed(sent["delivered"])]
    expect(listing.get_by_role("row", name=re.compile(sent["bounced"]))).to_contain_text("Bounced")
    assert_accessible(page, "the messages page")

    # and the next page holds older messages, none of the first page's
    page.get_by_role("button", name="Next page").click()
    expect(page.get_by_role("status")).to_contain_text("Page 2:")
    second_page_ids = listing.locator("tbody tr th a").all_inner_texts()
    assert second_page_ids
    assert not set(second_page_ids) & set(first_page_ids)
    page.get_by_role("button", name="First page").click()
    expect(page.get_by_role("status")).to_contain_text("Page 1:")

    # When filtered to bounced transactional mail, only bounced messages are left
    page.get_by_label("Status").select_option("BOUNCED")
    page.get_by_label("Purpose").select_option("TRANSACTIONAL_API")
    page.get_by_role("button", name="Show messages").click()
    expect(listing.get_by_role("link", name=sent["bounced"])).to_be_visible()
    for message_id in sent["delivered"]:
        expect(listing.get_by_role("link", name=message_id)).to_have_count(0)
    assert set(listing.locator("tbody tr td:nth-child(3)").all_inner_texts()) == {"Bounced"}

    # When the bounced message is opened, its recipient's bounce reason is given in words
    listing.get_by_role("link", name=sent["bounced"]).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Message {sent['bounced']}")
    recipients = page.get_by_role("table", name="Recipients")
    expect(recipients.locator("tbody tr td").nth(0)).to_have_text("Bounced")
    expect(recipients.locator("tbody tr td").nth(1)).to_have_text(
        "Bounced (Permanent/General): a hard bounce: the receiving server will not accept "
        "mail for this address, so it is now suppressed; the server gave no more specific reason."
    )
    timeline = page.get_by_role("table", name="Timeline, oldest first")
    for event in ("Queued", "Sent", "Bounced"):
        expect(timeline.get_by_role("cell", name=event, exact=True)).to_have_count(1)
    assert_accessible(page, "the message page")


def test_the_skip_link_and_the_navigation_work_from_the_keyboard(
    doc: dict[str, Any], watched: Page
) -> None:
    page = watched
    sign_in(page, doc, "OPERATOR")
    expect(page.get_by_role("heading", level=1)).to_have_text("Overview")

    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to content")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()

    page.get_by_role("link", name="Messages", exact=True).focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Messages")
    expect(page.get_by_role("link", name="Messages", exact=True)).to_have_attribute(
        "aria-current", "page"
    )


def test_a_creator_is_told_in_words_what_its_role_cannot_see(
    doc: dict[str, Any], watched: Page
) -> None:
    page = watched
    sign_in(page, doc, "CREATOR")

    # The stats and the quota are OPERATOR routes: the API's 403s, as sentences
    needs = "it needs the OPERATOR role or higher."
    alerts = page.get_by_role("alert")
    expect(alerts.filter(has_text="Your role cannot see the email stats")).to_have_text(
        f"Your role cannot see the email stats: {needs}"
    )
    expect(alerts.filter(has_text="Your role cannot see today's quota")).to_have_text(
        f"Your role cannot see today's quota: {needs}"
    )
    expect(page.locator(".chart")).to_have_count(0)
    # and nothing offers what a CREATOR cannot do
    actions = re.compile(r"send|edit|delete", re.IGNORECASE)
    expect(page.get_by_role("button", name=actions)).to_have_count(0)
    assert_accessible(page, "the overview as a CREATOR")

    page.get_by_role("link", name="Messages", exact=True).click()
    # The overview's alerts stay until the messages page has its answer: wait for that one.
    expect(alerts.filter(has_text="Your role cannot list the messages")).to_have_text(
        f"Your role cannot list the messages: {needs}"
    )
    expect(alerts).to_have_count(1)
    expect(page.get_by_role("button", name=actions)).to_have_count(0)


def test_tokens_stay_in_memory_so_a_reload_or_a_sign_out_signs_in_again(
    browser: Browser, doc: dict[str, Any]
) -> None:
    context = browser.new_context()
    page = context.new_page()
    responses: list[Response] = []
    page.on("response", lambda response: responses.append(response))
    try:
        sign_in(page, doc, "OPERATOR")
        expect(page.get_by_role("heading", level=1)).to_have_text("Overview")
        (token_response,) = (r for r in responses if r.url == f"{doc['jwt']['issuer']}/token")
        access_token = token_response.json()["access_token"]

        # Neither storage holds the token
        stored = page.evaluate("() => JSON.stringify([{...localStorage}, {...sessionStorage}])")
        assert access_token not in stored
        assert json.loads(stored)[0] == {}

        # A reload goes back to the identity provider
        page.reload()
        expect(page.get_by_role("heading", level=1)).to_have_text(
            "Sign in to the tenx-email console"
        )
        page.get_by_role("button", name="Sign in as OWNER").click()
        expect(page.get_by_text("Signed in as user_owner")).to_be_visible()

        # Signing out forgets the user; signing in again starts at the identity provider
        page.get_by_role("button", name="Sign out").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Signed out")
        expect(page.get_by_text("Signed in as")).to_be_hidden()
        page.get_by_role("button", name="Sign in").click()
        expect(page.get_by_role("button", name="Sign in as OPERATOR")).to_be_visible()
    finally:
        context.close()


def test_a_console_configured_without_a_handle_asks_for_one(
    browser: Browser, doc: dict[str, Any]
) -> None:
    """As deployed: one console for every tenant, so its config names no handle."""
    context = browser.new_context()
    page = context.new_page()

    def without_handle(route: Route) -> None:
        config = route.fetch().json()
        config.pop("handle")
        route.fulfill(json=config)

    page.route(f"{doc['apiBase']}/console/config.json", without_handle)
    try:
        page.goto(f"{doc['apiBase']}/console/")
        page.get_by_role("button", name="Sign in as OPERATOR").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Which handle?")
        assert_accessible(page, "the handle question")
        page.get_by_label("Handle").fill("acme")
        page.get_by_role("button", name="Open").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Overview")
        expect(page.get_by_role("heading", level=2, name="Today's quota")).to_be_visible()
        # Kept for the tab: a navigation does not ask again.
        page.get_by_role("link", name="Messages", exact=True).click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Messages")
    finally:
        context.close()
