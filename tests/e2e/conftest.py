"""One local stack for the whole end-to-end session."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page, sync_playwright

from tests.e2e.stack import Stack, start_stack


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    running = start_stack(tmp_path_factory.mktemp("stack"))
    yield running
    running.stop()


@pytest.fixture(scope="session")
def doc(stack: Stack) -> dict[str, Any]:
    return stack.document()


# The browser tests drive Debian's Chromium (`make test` installs it).
CHROMIUM = Path("/usr/bin/chromium")
# Headless, and nothing of Chromium's own that reaches out: the machine's closed network
# refuses those connections, and a test must not depend on them.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.fail(
            f"BROWSER TEST NOT RUN: {CHROMIUM} is missing. `make test` installs it "
            "(apt-get install chromium chromium-driver); install it, or run make test."
        )
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    opened = browser.new_page()
    yield opened
    opened.close()


@contextmanager
def watching(page: Page, doc: dict[str, Any]) -> Iterator[Page]:
    """Fail if the page fetched from anywhere but the stack or broke its CSP, as a tab of the
    console is watched (a test's second tab too)."""
    requested: list[str] = []
    csp_errors: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text:
            csp_errors.append(message.text)

    page.on("request", lambda request: requested.append(request.url))
    page.on("console", on_console)
    yield page
    assert requested
    assert all(url.startswith(doc["apiBase"]) for url in requested), requested
    assert not csp_errors, csp_errors


@pytest.fixture
def watched(page: Page, doc: dict[str, Any]) -> Iterator[Page]:
    """The page, failing the test if it fetched from anywhere but the stack or broke its CSP."""
    with watching(page, doc) as watched_page:
        yield watched_page


# The contract's flows build on one another on the shared stack (setup, then sends, then
# rules), as a developer would walk them; everything else runs after.
JOURNEY = (
    "test_sending_setup.py",
    "test_direct_send.py",
    "test_campaign_rules.py",
    "test_contract_walkthrough.py",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    def place(item: pytest.Item) -> int:
        name = item.path.name
        return JOURNEY.index(name) if name in JOURNEY else len(JOURNEY)

    items.sort(key=place)
