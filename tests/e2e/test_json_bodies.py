"""Over HTTP, as a developer's curl sends it: a JSON body without `Content-Type:
application/json` (curl's `-d` declares form encoding) answers 415 saying what to send, and
malformed JSON answers 400 saying what is wrong and where (docs/api.md, "Request bodies")."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.e2e.stack import run_curl

pytestmark = pytest.mark.e2e

RULES = '"${TENX_API_BASE}/v2/handles/${TENX_HANDLE}/campaigns/cmp_welcome/email-rules"'
AUTH = '-H "Authorization: Bearer ${TENX_JWT}"'


def test_curl_d_without_a_content_type_is_told_to_send_json(
    doc: dict[str, Any], tmp_path: Path
) -> None:
    command = f'curl -sS -X POST {RULES} {AUTH} -d \'{{"trigger": "CONVERSION"}}\''
    status, body = run_curl(doc, command, tmp_path)
    assert (status, body["error"]) == (415, "unsupported_media_type")
    assert body["message"] == (
        "the body was sent as application/x-www-form-urlencoded; "
        'send a JSON object with "Content-Type: application/json"'
    )


def test_malformed_json_is_told_what_and_where(doc: dict[str, Any], tmp_path: Path) -> None:
    command = (
        f"curl -sS -X POST {RULES} {AUTH} -H 'Content-Type: application/json' "
        '-d \'{"trigger": "CONVERSION" "enabled": true}\''
    )
    status, body = run_curl(doc, command, tmp_path)
    assert (status, body["error"]) == (400, "invalid_request")
    assert body["message"] == (
        "the body is not valid JSON: expecting ',' delimiter at line 1, column 26"
    )
