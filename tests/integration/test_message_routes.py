"""Reading messages, events, suppressions and quota through the real handlers on moto."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tenx_email import keys
from tenx_email.dal.table import table
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


def _set_status(message_id: str, status: str) -> None:
    table().update_item(
        Key=keys.message("acme", message_id),
        UpdateExpression="SET #s = :s",
        ExpressionAttributeNames={"#s": "status"},
        ExpressionAttributeValues={":s": status},
    )


def _page_through(limit: int, **query: str) -> tuple[list[str], list[tuple[int, bool]]]:
    """Every message id a filtered listing gives, page by page, and each page's (size, has a
    next page)."""
    seen: list[str] = []
    pages: list[tuple[int, bool]] = []
    token: str | None = None
    for _ in range(20):
        status, page = listing(limit=str(limit), **query, **({"nextToken": token} if token else {}))
        assert status == 200, page
        assert len(page["messages"]) <= limit
        seen += [message["messageId"] for message in page["messages"]]
        token = page["nextToken"]
        pages.append((len(page["messages"]), token is not None))
        if not token:
            return seen, pages
    raise AssertionError("the listing never ended")


def test_filtered_listings_page_through_exactly_the_matching_messages() -> None:
    """Messages are in no index: status and purpose filter the handle's messages page by
    page, so a page may be short (even empty) and still have a next one, but paging on gives
    exactly the matching messages, newest first."""
    purposes = ["PRODUCT_NOTIFICATION", "TRANSACTIONAL_API", "TRANSACTIONAL_API"] * 3
    sent = [
        send(idempotencyKey=f"key-{index}", purpose=purpose)[1]["message"]["messageId"]
        for index, purpose in enumerate(purposes)
    ]
    statuses = ["SENT", "QUEUED", "QUEUED", "FAILED", "SENT", "QUEUED", "QUEUED", "QUEUED", "SENT"]
    for message_id, status in zip(sent, statuses, strict=True):
        if status != "QUEUED":
            _set_status(message_id, status)
    newest_first = list(reversed(list(zip(sent, statuses, purposes, strict=True))))

    def matching(status: str | None = None, purpose: str | None = None) -> list[str]:
        return [
            message_id
            for message_id, its_status, its_purpose in newest_first
            if status in (None, its_status) and purpose in (None, its_purpose)
        ]

    by_status, pages = _page_through(2, status="SENT")
    assert by_status == matching(status="SENT")
    assert len(by_status) == 3
    assert any(size < 2 and more for size, more in pages)  # short pages still page on
    by_purpose, _ = _page_through(2, purpose="PRODUCT_NOTIFICATION")
    assert by_purpose == matching(purpose="PRODUCT_NOTIFICATION")
    assert len(by_purpose) == 3
    queued_api, _ = _page_through(3, status="QUEUED", purpose="TRANSACTIONAL_API")
    assert queued_api == matching("QUEUED", "TRANSACTIONAL_API")
    assert len(queued_api) == 4
    assert _page_through(4, status="DENIED")[0] == []
    assert _page_through(100, status="FAILED")[0] == matching(status="FAILED")
    for message in listing(status="SENT", limit="100")[1]["messages"]:
        assert message["status"] == "SENT"


def test_a_token_is_only_good_with_the_filters_that_gave_it() -> None:
    send_many(3)
    unfiltered = listing(limit="1")[1]["nextToken"]
    queued = listing(status="QUEUED", limit="1")[1]["nextToken"]
    both = listing(status="QUEUED", purpose="TRANSACTIONAL_API", limit="1")[1]["nextToken"]
    for token, query in [
        (unfiltered, {"status": "QUEUED"}),
        (queued, {}),
        (queued, {"status": "SENT"}),
        (queued, {"status": "QUEUED", "purpose": "TRANSACTIONAL_API"}),
        (both, {"status": "QUEUED"}),
        (both, {"purpose": "TRANSACTIONAL_API"}),
    ]:
        status, body = listing(**query, nextToken=token)
        assert (status, body["error"]) == (400, "invalid_next_token"), (query, body)
    assert listing(status="QUEUED", nextToken=queued)[0] == 200


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


def test_events_by_message_purpose_and_since(project_events: Callable[[], int]) -> None:
    (message_id,) = send_many(1)
    # The handle-wide lists read the feed, which the projection fills from the table's stream.
    assert (
        invoke("list_events", ACME, sub=OPERATOR, query={"purpose": "TRANSACTIONAL_API"})[1][
            "events"
        ]
        == []
    )
    project_events()
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


def test_a_messages_events_filtered_to_nothing_are_an_empty_page() -> None:
    (message_id,) = send_many(1)
    future = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    for query in ({"purpose": "PRODUCT_NOTIFICATION"}, {"since": future}):
        status, page = invoke(
            "list_events", ACME, sub=OPERATOR, query={"messageId": message_id, **query}
        )
        assert (status, page) == (200, {"events": [], "nextToken": None})


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


def test_the_quota_shows_limit_usage_and_reset(project_events: Callable[[], int]) -> None:
    send_many(2)
    project_events()
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
