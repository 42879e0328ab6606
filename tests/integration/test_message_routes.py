"""Reading messages, events, suppressions and quota through the real handlers on moto."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tenx_email.roles import Role
from tenx_email.services import tenancy
from tests.events import invoke
from tests.integration.conftest import MEMBERS
from tests.integration.test_send_routes import ACME, CONTRACT_SEND, OPERATOR, send

pytestmark = pytest.mark.usefixtures("ready_to_send")


@pytest.fixture
def ready_to_send(tenant: None, delivery_queue: str) -> None:
    from tests.integration.test_send_routes import SENDER, TEMPLATE

    invoke(
        "put_sender",
        {"handle": "acme", "senderId": "sender_notifications"},
        sub=OPERATOR,
        body=SENDER,
    )
    invoke("create_template", ACME, sub=OPERATOR, body=TEMPLATE)


def send_many(count: int) -> list[str]:
    return [
        send(idempotencyKey=f"key-{index}")[1]["message"]["messageId"] for index in range(count)
    ]


def listing(**query: str) -> tuple[int, Any]:
    return invoke("list_messages", ACME, sub=OPERATOR, query=query or None)


def test_messages_list_newest_first_in_pages() -> None:
    sent = send_many(3)
    seen: list[str] = []
    token: str | None = None
    for _ in range(4):
        status, page = listing(limit="2", **({"nextToken": token} if token else {}))
        assert status == 200
        seen += [message["messageId"] for message in page["messages"]]
        token = page["nextToken"]
        if not token:
            break
    assert seen == list(reversed(sent))


def test_messages_filter_by_status_and_purpose() -> None:
    send_many(2)
    assert len(listing(status="QUEUED")[1]["messages"]) == 2
    assert listing(status="SENT")[1]["messages"] == []
    assert len(listing(purpose="TRANSACTIONAL_API")[1]["messages"]) == 2
    assert listing(status="QUEUED", purpose="PRODUCT_NOTIFICATION")[1]["messages"] == []
    assert listing(status="NOPE")[0] == 400


def test_a_status_token_cannot_be_used_for_another_query() -> None:
    send_many(3)
    token = listing(status="QUEUED", limit="1")[1]["nextToken"]
    status, body = listing(purpose="TRANSACTIONAL_API", nextToken=token)
    assert (status, body["error"]) == (400, "invalid_next_token")


def test_one_message_has_its_recipients_and_timeline() -> None:
    (message_id,) = send_many(1)
    status, body = invoke("get_message", {"handle": "acme", "messageId": message_id}, sub=OPERATOR)
    assert status == 200
    message = body["message"]
    assert message["subject"] == "Thanks for reaching out, Asha"
    assert (message["templateId"], message["templateVersion"]) == ("tmpl_lead_followup", 1)
    assert message["recipients"] == [
        {"email": "buyer@example.com", "status": "QUEUED", "reason": None}
    ]
    assert [event["type"] for event in message["timeline"]] == ["QUEUED"]
    assert "variables" not in message


def test_another_handles_message_is_not_found_through_your_handle() -> None:
    (message_id,) = send_many(1)
    tenancy.grant_membership("globex", OPERATOR, Role.OPERATOR)
    status, body = invoke(
        "get_message", {"handle": "globex", "messageId": message_id}, sub=OPERATOR
    )
    assert (status, body["error"]) == (404, "message_not_found")
    status, body = invoke(
        "get_message", {"handle": "acme", "messageId": "msg_..%2F..%2Fx"}, sub=OPERATOR
    )
    assert (status, body["error"]) == (404, "message_not_found")


def test_events_by_message_purpose_and_since() -> None:
    (message_id,) = send_many(1)
    by_message = invoke("list_events", ACME, sub=OPERATOR, query={"messageId": message_id})[1]
    assert [(e["type"], e["messageId"]) for e in by_message["events"]] == [("QUEUED", message_id)]
    by_purpose = invoke("list_events", ACME, sub=OPERATOR, query={"purpose": "TRANSACTIONAL_API"})[
        1
    ]
    assert len(by_purpose["events"]) == 1
    future = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    past = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
    assert invoke("list_events", ACME, sub=OPERATOR, query={"since": future})[1]["events"] == []
    assert len(invoke("list_events", ACME, sub=OPERATOR, query={"since": past})[1]["events"]) == 1


def test_events_need_a_filter() -> None:
    status, body = invoke("list_events", ACME, sub=OPERATOR)
    assert (status, body["error"]) == (400, "event_filter_required")
    assert invoke("list_events", ACME, sub=OPERATOR, query={"since": "yesterday"})[0] == 400


def test_suppressions_are_listed_with_reason_and_source() -> None:
    assert (
        invoke(
            "put_suppression",
            {"handle": "acme", "email": "X@Example.com"},
            sub=OPERATOR,
            body={"reason": "asked"},
        )[0]
        == 200
    )
    status, body = invoke("list_suppressions", ACME, sub=OPERATOR)
    assert status == 200
    assert [(s["email"], s["reason"], s["source"]) for s in body["suppressions"]] == [
        ("x@example.com", "asked", "manual")
    ]
    assert (
        invoke("delete_suppression", {"handle": "acme", "email": "x@example.com"}, sub=OPERATOR)[0]
        == 204
    )
    assert (
        invoke("delete_suppression", {"handle": "acme", "email": "x@example.com"}, sub=OPERATOR)[0]
        == 204
    )
    assert invoke("list_suppressions", ACME, sub=OPERATOR)[1]["suppressions"] == []


@pytest.mark.parametrize(
    ("email", "body"),
    [
        ("not-an-address", {}),
        ("a@example.com", {"reason": "line\nbreak"}),
        ("a@example.com", {"source": "bounce"}),
    ],
)
def test_bad_suppressions_are_refused(email: str, body: dict[str, str]) -> None:
    status, _ = invoke(
        "put_suppression", {"handle": "acme", "email": email}, sub=OPERATOR, body=body
    )
    assert status == 400


def test_the_quota_shows_limit_usage_and_reset() -> None:
    send_many(2)
    status, body = invoke("get_quota", ACME, sub=OPERATOR)
    assert status == 200
    assert {k: v for k, v in body["quota"].items() if k != "resetsAt"} == {
        "dailyLimit": 1000,
        "usedToday": 2,
        "remainingToday": 998,
    }
    assert body["quota"]["resetsAt"].endswith("T00:00:00.000Z")


@pytest.mark.parametrize(
    "route_id", ["list_messages", "list_events", "list_suppressions", "get_quota", "send_message"]
)
def test_creators_cannot_use_message_routes(route_id: str) -> None:
    status, body = invoke(route_id, ACME, sub=MEMBERS[Role.CREATOR], body=CONTRACT_SEND)
    assert (status, body["error"]) == (403, "insufficient_role")
