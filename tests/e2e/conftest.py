"""One local stack for the whole end-to-end session."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.e2e.stack import Stack, start_stack


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    running = start_stack(tmp_path_factory.mktemp("stack"))
    yield running
    running.stop()


@pytest.fixture(scope="session")
def doc(stack: Stack) -> dict[str, Any]:
    return stack.document()


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
