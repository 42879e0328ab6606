"""SES's mailbox simulator on the local stack, over HTTP: a direct send to each simulator
address ends as it would in AWS (bounced and suppressed, complained and suppressed, or
delivered), through the real delivery and feedback Lambdas."""

from __future__ import annotations

import time
from typing import Any

import pytest

from tests.e2e.stack import call
from tests.e2e.test_direct_send import ensure_setup, queue_direct, wait_for_status

pytestmark = pytest.mark.e2e

SIMULATOR = "simulator.amazonses.com"


def suppressed(doc: dict[str, Any]) -> dict[str, str]:
    """The handle's suppressed addresses -> their source, every page."""
    found: dict[str, str] = {}
    query = "limit=100"
    while query:
        status, page = call(
            doc,
            "GET",
            f"/v2/handles/acme/email/suppressions?{query}",
            token=doc["tokens"]["OPERATOR"],
        )
        assert status == 200
        found |= {s["email"]: s["source"] for s in page["suppressions"]}
        query = f"limit=100&nextToken={page['nextToken']}" if page["nextToken"] else ""
    return found


def sent_to(doc: dict[str, Any], mailbox: str) -> tuple[str, str]:
    """Send to a labelled simulator address (labels keep each run's address its own, as
    suppressions are per address); the address and the message id."""
    ensure_setup(doc)
    address = f"{mailbox}+e2e-{time.time_ns()}@{SIMULATOR}"
    message_id = queue_direct(
        doc,
        doc["tokens"]["OPERATOR"],
        address,
        variables={"firstName": "Sim", "service": mailbox},
    )
    return address, message_id


def timeline(doc: dict[str, Any], message_id: str) -> list[tuple[str, str | None]]:
    _, body = call(
        doc,
        "GET",
        f"/v2/handles/acme/email/messages/{message_id}",
        token=doc["tokens"]["OPERATOR"],
    )
    return [(event["type"], event["detail"]) for event in body["message"]["timeline"]]


@pytest.mark.parametrize(
    ("mailbox", "final", "detail", "source"),
    [
        ("bounce", "BOUNCED", "Permanent/General", "bounce"),
        ("suppressionlist", "BOUNCED", "Permanent/OnAccountSuppressionList", "bounce"),
        ("complaint", "COMPLAINED", "abuse", "complaint"),
    ],
)
def test_a_bounce_or_complaint_ends_the_recipient_so_and_suppresses_it(
    doc: dict[str, Any], mailbox: str, final: str, detail: str, source: str
) -> None:
    # When a message is sent to the simulator's address
    address, message_id = sent_to(doc, mailbox)

    # Then the message ends as SES reports, and the address is suppressed for the handle
    message = wait_for_status(doc, message_id, final)
    assert message["status"] == final, message
    assert (final, detail) in timeline(doc, message_id)
    # and its recipient says why, in SES's words
    (recipient,) = message["recipients"]
    assert recipient["reason"] == f"{final.lower()}: {detail}", recipient
    assert suppressed(doc).get(address) == source


def test_a_complaint_comes_after_the_delivery(doc: dict[str, Any]) -> None:
    _, message_id = sent_to(doc, "complaint")

    wait_for_status(doc, message_id, "COMPLAINED")

    types = [kind for kind, _ in timeline(doc, message_id)]
    assert types.index("DELIVERED") < types.index("COMPLAINED")


@pytest.mark.parametrize("mailbox", ["success", "ooto", "anyone-else"])
def test_other_simulator_addresses_are_delivered_and_not_suppressed(
    doc: dict[str, Any], mailbox: str
) -> None:
    address, message_id = sent_to(doc, mailbox)

    message = wait_for_status(doc, message_id, "DELIVERED")

    assert message["status"] == "DELIVERED", message
    assert address not in suppressed(doc)


def test_an_ordinary_address_is_delivered(doc: dict[str, Any]) -> None:
    ensure_setup(doc)
    message_id = queue_direct(
        doc,
        doc["tokens"]["OPERATOR"],
        f"lead-{time.time_ns()}@customer.test",
        variables={"firstName": "Ord", "service": "inary"},
    )

    assert wait_for_status(doc, message_id, "DELIVERED")["status"] == "DELIVERED"


def test_the_out_of_office_reply_is_noted_in_the_mail_viewer(doc: dict[str, Any]) -> None:
    _, message_id = sent_to(doc, "ooto")
    wait_for_status(doc, message_id, "DELIVERED")

    _, listing = call(doc, "GET", "/_local/mail?format=json")

    (mail,) = [m for m in listing["messages"] if m["tags"].get("messageId") == message_id]
    assert any("Out of office" in note for note in mail["simulator_notes"])
