"""The curls docs/api.md shows for unsubscribe links, test sends, the sandbox and sequences,
run exactly as written against the local stack (a command the docs show that fails as written is a
defect)."""

from __future__ import annotations

import json
import re
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.stack import call, run_curl
from tests.e2e.test_direct_send import ensure_setup, queue_direct, wait_for_status
from tests.e2e.test_sequences import CAMPAIGN, api

pytestmark = pytest.mark.e2e

API_DOC = Path(__file__).resolve().parents[2] / "docs" / "api.md"


def shown_in(section: str) -> str:
    """The first bash block of a docs/api.md section, as written."""
    text = API_DOC.read_text(encoding="utf-8")
    body = text.split(f"\n## {section}\n", 1)[1].split("\n## ", 1)[0]
    found = re.search(r"```bash\n(.*?)```", body, re.DOTALL)
    assert found, f"docs/api.md's {section!r} shows no bash block"
    return found.group(1)


def test_the_test_send_curl_reaches_the_simulator(doc: dict[str, Any], tmp_path: Path) -> None:
    ensure_setup(doc)

    status, sent = run_curl(doc, shown_in("Test sends"), tmp_path)

    assert status == 202, sent
    assert sent["message"]["testMode"] is True
    message_id = sent["message"]["messageId"]
    assert wait_for_status(doc, message_id, "DELIVERED")["status"] == "DELIVERED"
    _, mail = call(doc, "GET", "/_local/mail?format=json", token=None)
    (copy,) = [m for m in mail["messages"] if m["tags"].get("messageId") == message_id]
    assert copy["destinations"] == ["success@simulator.amazonses.com"]


def test_the_sandbox_curl_shows_the_quota(doc: dict[str, Any], tmp_path: Path) -> None:
    status, body = run_curl(doc, shown_in("The sandbox"), tmp_path)

    assert status == 200
    # acme is seeded out of the sandbox (no `sandbox` field) and with its SES tenant; other
    # tests of the run may have sent, so its reputation may show
    fields = {"dailyLimit", "usedToday", "remainingToday", "resetsAt", "sesTenant"}
    assert fields <= set(body["quota"]) <= fields | {"reputation"}


def test_the_unsubscribe_curls_work_as_written(doc: dict[str, Any], tmp_path: Path) -> None:
    # Given campaign mail in the viewer (the curls take the newest List-Unsubscribe link)
    ensure_setup(doc)
    message_id = queue_direct(
        doc,
        doc["tokens"]["OPERATOR"],
        "reader+docs@customer.test",
        purpose="PRODUCT_NOTIFICATION",
        variables={"firstName": "Zoë", "service": "Docs"},
    )
    assert wait_for_status(doc, message_id, "DELIVERED")["status"] == "DELIVERED"

    # When the documented lines run in a shell
    finished = subprocess.run(
        ["bash", "-eo", "pipefail", "-c", shown_in("Unsubscribe links (RFC 8058 one-click)")],
        env={
            "PATH": "/usr/local/bin:/usr/bin:/bin",
            "HOME": str(tmp_path),
            "TENX_API_BASE": doc["apiBase"],
        },
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )

    # Then the page came first (nothing changed), then the one-click answer
    page, _, answer = finished.stdout.rpartition("</html>")
    assert "<h1>Unsubscribe</h1>" in page
    assert json.loads(answer) == {"unsubscribed": True}
    _, detail = call(
        doc,
        "GET",
        f"/v2/handles/acme/email/messages/{message_id}",
        token=doc["tokens"]["OPERATOR"],
    )
    assert [e["type"] for e in detail["message"]["timeline"]].count("UNSUBSCRIBED") == 1


def test_the_sequence_curl_creates_a_sequence(doc: dict[str, Any], tmp_path: Path) -> None:
    ensure_setup(doc)

    status, created = run_curl(doc, shown_in("Sequences"), tmp_path)

    assert status == 201, created
    sequence = created["sequence"]
    assert (sequence["version"], sequence["status"]) == (1, "ACTIVE")
    assert [step["type"] for step in sequence["steps"]] == ["wait", "email", "wait", "email"]
    _, listed = call(
        doc,
        "GET",
        f"/v2/handles/acme/campaigns/cmp_welcome/sequences/{sequence['sequenceId']}",
        token=doc["tokens"]["OPERATOR"],
    )
    assert listed == created


README = API_DOC.parents[1] / "README.md"


def test_the_readme_webhook_curl_creates_an_endpoint_whose_secret_verifies(
    doc: dict[str, Any], tmp_path: Path
) -> None:
    text = README.read_text(encoding="utf-8")
    section = text.split("\n## Webhooks\n", 1)[1].split("\n## ", 1)[0]
    curl, python = re.findall(r"```(?:bash|python)\n(.*?)```", section, re.DOTALL)[:2]
    status, created = run_curl(doc, curl, tmp_path)
    assert status == 201, created
    assert created["secret"].startswith("whsec_")
    # The README's verification snippet, with that secret, accepts a body signed with it
    from datetime import UTC, datetime

    from tenx_email.webhook_signing import signed_headers

    body = '{"type":"WEBHOOK_TEST"}'
    headers = signed_headers([created["secret"]], "whd_1", datetime.now(UTC), body)
    snippet = python.replace('"whsec_..."', repr(created["secret"]))
    scope: dict[str, Any] = {"body": body, "headers": headers}
    exec(snippet, scope)  # noqa: S102 - the README's own lines, as a reader runs them
    assert scope["event"] == {"type": "WEBHOOK_TEST"}


def test_the_sequences_page_runs_as_written(doc: dict[str, Any], tmp_path: Path) -> None:
    # Given the sequence page's "Try it locally" block, with the README's variables, on a
    # campaign under no pacing (as on a fresh stack; the fuzzing suite puts random settings)
    ensure_setup(doc)
    status, reset = api(doc, "PUT", f"{CAMPAIGN}/settings", {})
    assert status == 200, reset
    text = (API_DOC.parent / "sequences.md").read_text(encoding="utf-8")
    section = text.split("\n## Try it locally\n", 1)[1]
    (block,) = re.findall(r"```bash\n(.*?)```", section, re.DOTALL)
    # When it runs in a shell
    finished = subprocess.run(
        ["bash", "-eo", "pipefail", "-c", block],
        env={
            "PATH": "/usr/local/bin:/usr/bin:/bin",
            "HOME": str(tmp_path),
            "TENX_API_BASE": doc["apiBase"],
            "TENX_HANDLE": "acme",
            "TENX_JWT": doc["tokens"]["OPERATOR"],
        },
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    # Then its answers (one JSON document per curl) are the capture, the clock, the enrollment
    # and the stats; and (as soon as the stack caught up, seconds) both emails went
    answers, rest, decoder = [], finished.stdout.strip(), json.JSONDecoder()
    while rest:
        answer, end = decoder.raw_decode(rest)
        answers.append(answer)
        rest = rest[end:].lstrip()
    captured, advanced, listed, stats = answers
    assert (captured["leadId"], set(advanced)) == ("lead_zoe", {"now", "fired"})
    (zoe,) = [e for e in listed["enrollments"] if e["leadId"] == "lead_zoe"]
    assert zoe["status"] in {"ACTIVE", "COMPLETED"}
    assert stats["stats"]["enrolled"] in {0, 1}  # the projection may be a second behind
    path = f"/v2/handles/acme/campaigns/cmp_welcome/sequences/{zoe['sequenceId']}"
    token = doc["tokens"]["OPERATOR"]
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        _, now = call(doc, "GET", f"{path}/enrollments", token=token)
        if now["enrollments"][0]["status"] == "COMPLETED":
            break
        time.sleep(0.25)
    assert (now["enrollments"][0]["status"], now["enrollments"][0]["step"]) == ("COMPLETED", 3)
    # (the page's sequence is deleted again, so other tests' leads are not enrolled in it)
    assert call(doc, "DELETE", path, token=token)[0] == 204
