"""Sequences for the step engine's tests, made through the sequence routes (as an operator)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tenx_email.campaign_models import Sequence
from tenx_email.dal import sequences

EMAIL = {"type": "email", "templateId": "tmpl_lead_followup", "senderId": "sender_notifications"}
# Lead captured -> welcome now -> wait 20 minutes -> a second -> wait 2 days -> a third.
WELCOME_DRIP: list[dict[str, Any]] = [
    {**EMAIL, "variableMappings": {"firstName": "firstName"}},
    {"type": "wait", "minutes": 20},
    EMAIL,
    {"type": "wait", "minutes": 2 * 24 * 60},
    EMAIL,
]
Request = Callable[[str, dict[str, str], Any], tuple[int, Any]]  # route, path, body


def sequence_body(steps: list[dict[str, Any]] = WELCOME_DRIP, **fields: Any) -> dict[str, Any]:
    return {"name": "Welcome drip", "trigger": "LEAD_CAPTURED", "steps": steps, **fields}


def create_sequence(request: Request, path: dict[str, str], body: dict[str, Any]) -> Sequence:
    """POST the sequence; it as stored."""
    status, created = request("create_sequence", path, body)
    assert status == 201, created
    found = sequences.get(path["handle"], path["campaignId"], created["sequence"]["sequenceId"])
    assert found is not None
    return found
