"""Test sends on moto: every check of a real send, delivered to the SES mailbox simulator
instead of the recipient, outside the day's quota, and marked `testMode` on the message, its
events and the list (which can filter on it)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tenx_email.dal import messages as message_store
from tenx_email.roles import Role
from tenx_email.services import quotas
from tests.events import invoke
from tests.integration import delivery_support as support
from tests.integration.conftest import MEMBERS
from tests.integration.delivery_support import (
    SesSpy,
    enqueue,
    run_delivery,
    send_direct,
)

ses = support.ses
queue = support.queue
OPERATOR = MEMBERS[Role.OPERATOR]
ACME = {"handle": "acme"}


direct_sends = support.direct_sends
pytestmark = pytest.mark.usefixtures("direct_sends")


send = send_direct


def deliver(ses: SesSpy, queue: str, message_id: str) -> list[str]:
    before = len(ses.calls)
    assert run_delivery(enqueue(queue, {"handle": "acme", "messageId": message_id})) == []
    return [call["Destination"]["ToAddresses"][0] for call in ses.calls[before:]]


def test_a_test_send_reaches_the_simulator_not_the_recipient(ses: SesSpy, queue: str) -> None:
    # When a test send to a real address and to a simulator address is accepted
    status, accepted = send("buyer@example.org", "bounce@simulator.amazonses.com", testMode=True)
    assert status == 202
    assert accepted["message"]["testMode"] is True
    message_id = accepted["message"]["messageId"]

    # Then SES is asked to send to the simulator only: success@ for the real address, the
    # simulator address's own outcome for the other
    assert deliver(ses, queue, message_id) == [
        "success@simulator.amazonses.com",
        "bounce@simulator.amazonses.com",
    ]
    # And the message still names who it was for
    message = message_store.get("acme", message_id)
    assert message is not None
    assert [r.email for r in message.recipients] == [
        "buyer@example.org",
        "bounce@simulator.amazonses.com",
    ]
    assert message.test_mode


def test_a_real_send_goes_to_its_recipient_and_shows_no_test_mode(ses: SesSpy, queue: str) -> None:
    status, accepted = send("buyer@example.org")

    assert status == 202
    assert "testMode" not in accepted["message"]
    assert deliver(ses, queue, accepted["message"]["messageId"]) == ["buyer@example.org"]


def test_a_test_send_runs_every_check_of_a_real_one(ses: SesSpy) -> None:
    assert send("buyer@example.org", testMode=True, variables={})[1]["error"] == (
        "missing_template_variables"
    )
    assert send("buyer@example.org", testMode=True, consentAttestation=False)[1]["error"] == (
        "consent_attestation_required"
    )
    assert send("not an address", testMode=True)[1]["error"] == "invalid_recipient"
    assert (
        invoke(
            "put_suppression",
            {"handle": "acme", "email": "gone@example.org"},
            sub=OPERATOR,
            body={},
        )[0]
        == 200
    )
    assert send("gone@example.org", testMode=True)[1]["error"] == "email_recipient_suppressed"


def test_a_test_send_uses_no_quota(
    ses: SesSpy, queue: str, project_events: Callable[[], int]
) -> None:
    # Given a handle whose day's quota is used up
    quotas.set_daily_limit("acme", 1)
    assert send("first@example.org")[0] == 202
    project_events()
    assert send("second@example.org")[1]["error"] == "email_quota_exceeded"

    # When test sends are made
    for n in range(3):
        assert send(f"test{n}@example.org", testMode=True)[0] == 202

    # Then they are accepted, and the projection charges none of them
    project_events()
    _, quota = invoke("get_quota", ACME, sub=OPERATOR)
    assert quota["quota"]["usedToday"] == 1
    # And a recount from the stored messages agrees
    from tenx_email import clock
    from tenx_email.services.quotas import quota_day
    from tenx_email.services.recovery import recount_usage

    assert recount_usage("acme", quota_day(clock.now())) == 1


def test_events_and_the_list_show_test_mode_and_the_list_filters_on_it(
    ses: SesSpy, queue: str
) -> None:
    test_id = send("a@example.org", testMode=True)[1]["message"]["messageId"]
    real_id = send("b@example.org")[1]["message"]["messageId"]
    deliver(ses, queue, test_id)

    _, events = invoke("list_events", ACME, sub=OPERATOR, query={"messageId": test_id})
    assert {event["type"] for event in events["events"]} >= {"QUEUED", "SENT"}
    assert all(event["testMode"] is True for event in events["events"])
    _, real_events = invoke("list_events", ACME, sub=OPERATOR, query={"messageId": real_id})
    assert all("testMode" not in event for event in real_events["events"])

    def listed(**query: str) -> list[tuple[str, bool]]:
        _, body = invoke("list_messages", ACME, sub=OPERATOR, query=query)
        return [(m["messageId"], m.get("testMode", False)) for m in body["messages"]]

    assert listed() == [(real_id, False), (test_id, True)]
    assert listed(testMode="true") == [(test_id, True)]
    assert listed(testMode="false") == [(real_id, False)]
    _, detail = invoke("get_message", {**ACME, "messageId": test_id}, sub=OPERATOR)
    assert detail["message"]["testMode"] is True


def test_the_idempotency_key_tells_a_test_send_from_a_real_one(ses: SesSpy) -> None:
    assert send("a@example.org", idempotencyKey="k-1", testMode=True)[0] == 202
    status, body = send("a@example.org", idempotencyKey="k-1")

    assert (status, body["error"]) == (409, "idempotency_key_conflict")
