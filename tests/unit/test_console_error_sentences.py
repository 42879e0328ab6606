"""The web console has a sentence for every error code the API document names, so a new
code cannot reach a user as a bare identifier unnoticed."""

from __future__ import annotations

import json
import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def documented_codes() -> set[str]:
    document = json.loads((REPO / "docs" / "openapi.json").read_text())
    return {
        code
        for path in document["paths"].values()
        for operation in path.values()
        for response in operation.get("responses", {}).values()
        for code in re.findall(r"`([a-z][a-z0-9_]*)`", response.get("description", ""))
    }


def console_codes() -> set[str]:
    source = (REPO / "console" / "src" / "errors.ts").read_text()
    table = source.split("const SENTENCES", 1)[1].split("};", 1)[0]
    return set(re.findall(r"^\s+([a-z][a-z0-9_]*): \"", table, re.MULTILINE))


def test_every_documented_error_code_has_a_sentence_in_the_console() -> None:
    documented = documented_codes()

    assert len(documented) > 50  # the document's codes were found at all
    assert documented - console_codes() == set()
