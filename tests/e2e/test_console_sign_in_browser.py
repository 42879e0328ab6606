"""The console when its sign-in ends: a token that expires while the page is open, and a
token the API refuses (401), each send the user to the identity provider and, once signed in
again, back to the page they were on, with its data. The browser's clock is Playwright's, so
a day passes without waiting; the local identity provider's tokens last TOKEN_LIFETIME_SECONDS."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, Route, expect

from devstack.idp import TOKEN_LIFETIME_SECONDS
from tests.e2e.test_console_authoring_browser import go
from tests.e2e.test_console_browser import sign_in

pytestmark = pytest.mark.e2e

MESSAGES = "/v2/handles/acme/email/messages"


def at_the_identity_provider(page: Page, doc: dict[str, Any]) -> None:
    expect(page).to_have_url(re.compile(re.escape(doc["jwt"]["issuer"]) + "/authorize\\?"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in to the tenx-email console")


def on_the_messages_page(page: Page) -> None:
    expect(page.get_by_role("heading", level=1)).to_have_text("Messages")
    # The list's answer came (the table itself is absent while the handle has no messages)
    expect(
        page.get_by_role("status").filter(has_text=re.compile(r"^Page 1: \d+ messages?"))
    ).to_be_visible()


def signed_in_again_on_the_messages_page(page: Page, doc: dict[str, Any]) -> None:
    """Sign in at the identity provider and come back where the user was, its data shown."""
    page.get_by_role("button", name="Sign in as OPERATOR").click()
    expect(page).to_have_url(f"{doc['apiBase']}/console/#/messages")
    on_the_messages_page(page)
    expect(page.get_by_role("alert")).to_have_count(0)


def test_a_token_that_expires_while_the_page_is_open_signs_in_again_and_comes_back(
    browser: Browser, doc: dict[str, Any]
) -> None:
    context = browser.new_context()
    page = context.new_page()
    try:
        page.clock.install()
        sign_in(page, doc, "OPERATOR")
        go(page, "#/messages")
        on_the_messages_page(page)

        # Nothing is clicked: the token's expiry alone leaves the page
        page.clock.fast_forward(TOKEN_LIFETIME_SECONDS * 1000 + 60_000)
        at_the_identity_provider(page, doc)

        signed_in_again_on_the_messages_page(page, doc)
    finally:
        context.close()


def test_a_token_the_api_refuses_signs_in_again_and_comes_back(
    browser: Browser, doc: dict[str, Any]
) -> None:
    context = browser.new_context()
    page = context.new_page()
    refused: list[str] = []

    def refuse_once(route: Route) -> None:
        # As the authorizer answers a revoked or mis-signed token.
        if refused:
            route.fallback()
            return
        refused.append(route.request.url)
        route.fulfill(
            status=401, json={"error": "invalid_token", "message": "the token was not accepted"}
        )

    try:
        page.clock.install()
        sign_in(page, doc, "OPERATOR")
        expect(page.get_by_role("heading", level=2, name="Today's quota")).to_be_visible()
        # Past the moments after sign-in, when a 401 is the configuration's fault, not the
        # token's, and signing in again would loop
        page.clock.fast_forward(30_000)
        page.route(re.compile(re.escape(f"{doc['apiBase']}{MESSAGES}") + r"(\?.*)?$"), refuse_once)
        go(page, "#/messages")
        at_the_identity_provider(page, doc)
        assert len(refused) == 1

        signed_in_again_on_the_messages_page(page, doc)
    finally:
        context.close()


def test_a_401_right_after_signing_in_is_shown_rather_than_looping(
    browser: Browser, doc: dict[str, Any]
) -> None:
    """A token refused as soon as it is issued (an audience or issuer the API does not
    accept) would send the user round the identity provider forever: it is said instead."""
    context = browser.new_context()
    page = context.new_page()
    page.route(
        re.compile(re.escape(f"{doc['apiBase']}{MESSAGES}") + r"(\?.*)?$"),
        lambda route: route.fulfill(
            status=401, json={"error": "invalid_token", "message": "the token was not accepted"}
        ),
    )
    try:
        page.goto(f"{doc['apiBase']}/console/#/messages")
        at_the_identity_provider(page, doc)
        page.get_by_role("button", name="Sign in as OPERATOR").click()
        expect(page).to_have_url(f"{doc['apiBase']}/console/#/messages")
        expect(page.get_by_role("alert")).to_have_text(
            "Your sign-in has expired or was not accepted; sign in again."
        )
    finally:
        context.close()
