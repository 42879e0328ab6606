"""A sequence over HTTP against the local stack (`make dev`), as a developer would try it
(docs/sequences.md): create it, capture a lead, see the first step's mail, advance the dev
clock past the wait and see the second; capture another lead, record its conversion, see its
enrollment exit and its second step never come; the stats count it all."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.e2e.stack import call
from tests.e2e.test_campaign_rules import delete_all_rules
from tests.e2e.test_direct_send import ensure_setup

pytestmark = pytest.mark.e2e

CAMPAIGN = "/v2/handles/acme/campaigns/cmp_welcome"
EMAIL = {"type": "email", "templateId": "tmpl_lead_followup", "senderId": "sender_notifications"}
DRIP = {
    "name": "Welcome drip, then feedback 🎉",
    "trigger": "LEAD_CAPTURED",
    "exitOn": ["CONVERSION"],
    "steps": [EMAIL, {"type": "wait", "minutes": 20}, EMAIL],
}


def api(doc: dict[str, Any], method: str, path: str, body: Any = None) -> tuple[int, Any]:
    data = json.dumps(body).encode() if body is not None else None
    return call(doc, method, path, token=doc["tokens"]["OPERATOR"], body=data)


def eventually(check: Callable[[], Any], seconds: float = 20) -> Any:
    """The first truthy answer of `check` within `seconds` (the last answer otherwise)."""
    deadline = time.monotonic() + seconds
    while not (answer := check()) and time.monotonic() < deadline:
        time.sleep(0.25)
    return answer


def mail_to(doc: dict[str, Any], address: str) -> list[dict[str, Any]]:
    _, mail = call(doc, "GET", "/_local/mail?format=json", token=None)
    return [m for m in mail["messages"] if address in m["destinations"]]


@pytest.fixture
def sequence(doc: dict[str, Any]) -> Iterator[str]:
    """The drip, alone on the campaign (other tests' rules and sequences would mail its leads
    too) and under no pacing (the fuzzing suite puts random settings: a closed window or a
    long cooldown would defer its steps), deleted afterwards (so other tests' leads are not
    enrolled in it)."""
    ensure_setup(doc)
    delete_all_rules(doc)
    status, reset = api(doc, "PUT", f"{CAMPAIGN}/settings", {})
    assert status == 200, reset
    for other in api(doc, "GET", f"{CAMPAIGN}/sequences")[1]["sequences"]:
        api(doc, "DELETE", f"{CAMPAIGN}/sequences/{other['sequenceId']}")
    status, created = api(doc, "POST", f"{CAMPAIGN}/sequences", DRIP)
    assert status == 201, created
    sequence_id = str(created["sequence"]["sequenceId"])
    yield sequence_id
    assert api(doc, "DELETE", f"{CAMPAIGN}/sequences/{sequence_id}")[0] == 204


def enrollment(doc: dict[str, Any], sequence_id: str, lead_id: str) -> dict[str, Any]:
    _, listed = api(doc, "GET", f"{CAMPAIGN}/sequences/{sequence_id}/enrollments?limit=100")
    (found,) = [e for e in listed["enrollments"] if e["leadId"] == lead_id]
    return dict(found)


def capture(doc: dict[str, Any], lead_id: str, email: str) -> None:
    lead = {"leadId": lead_id, "email": email, "name": "Zoë Ångström, Jr."}
    status, accepted = api(doc, "POST", f"{CAMPAIGN}/leads", lead)
    assert status == 202, accepted


def test_a_drip_sends_each_step_and_a_conversion_ends_it(
    doc: dict[str, Any], sequence: str
) -> None:
    stamp = time.time_ns()
    asha, ravi = f"asha+drip{stamp}@example.com", f"ravi+drip{stamp}@example.com"
    capture(doc, f"lead_asha{stamp}", asha)
    capture(doc, f"lead_ravi{stamp}", ravi)

    # The first step goes within seconds, to each lead
    assert len(eventually(lambda: len(mail_to(doc, asha)) == 1 and mail_to(doc, asha))) == 1
    assert len(eventually(lambda: mail_to(doc, ravi))) == 1
    waiting = enrollment(doc, sequence, f"lead_asha{stamp}")
    assert (waiting["status"], waiting["step"]) == ("ACTIVE", 2)

    # Ravi converts: his enrollment exits at once
    status, _ = api(doc, "POST", f"{CAMPAIGN}/conversions", {"leadId": f"lead_ravi{stamp}"})
    assert status == 202
    exited = eventually(
        lambda: (e := enrollment(doc, sequence, f"lead_ravi{stamp}"))["status"] == "EXITED" and e
    )
    assert exited["exitReason"] == "CONVERSION"

    # The dev clock passes the wait: Asha's second step goes, Ravi's never does
    status, _ = call(
        doc, "POST", "/_local/clock/advance", body=json.dumps({"minutes": 21}).encode()
    )
    assert status == 200
    assert len(eventually(lambda: len(mail_to(doc, asha)) == 2 and mail_to(doc, asha))) == 2
    done = eventually(
        lambda: (e := enrollment(doc, sequence, f"lead_asha{stamp}"))["status"] == "COMPLETED" and e
    )
    assert done["step"] == 3
    assert len(mail_to(doc, ravi)) == 1

    stats = eventually(
        lambda: (
            (s := api(doc, "GET", f"{CAMPAIGN}/sequences/{sequence}/stats")[1]["stats"])[
                "completed"
            ]
            == 1
            and s
        )
    )
    assert stats["enrolled"] == 2
    assert stats["exited"] == {"CONVERSION": 1}
    assert stats["sentByStep"] == [{"step": 0, "sent": 2}, {"step": 2, "sent": 1}]
