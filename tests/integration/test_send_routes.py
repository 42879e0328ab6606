"""POST /v2/handles/{handle}/email/messages through the real handler on moto: the contract's
direct send, every refusal in its documented order, idempotency, quota and queue failure."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import boto3
import pytest

from tenx_email import keys
from tenx_email.dal import messages as message_store
from tenx_email.dal.table import table
from tenx_email.roles import Role
from tenx_email.services import quotas
from tests.events import invoke
from tests.integration.conftest import MEMBERS, OUTSIDER

OPERATOR = MEMBERS[Role.OPERATOR]
ACME = {"handle": "acme"}
SENDER = {
    "domain": "example.com",
    "localPart": "notifications",
    "displayName": "Acme Notifications",
    "replyTo": "support@example.com",
    "purposes": ["PRODUCT_NOTIFICATION", "LEAD_VERIFICATION", "TRANSACTIONAL_API"],
    "enabled": True,
}
TEMPLATE = {
    "templateId": "tmpl_lead_followup",
    "name": "Lead follow-up",
    "subject": "Thanks for reaching out, {{firstName}}",
    "html": "<p>Hi {{firstName}}, thanks for your interest in {{service}}.</p>",
    "text": "Hi {{firstName}}, thanks for your interest in {{service}}.",
}
CONTRACT_SEND = {
    "senderId": "sender_notifications",
    "to": ["buyer@example.com"],
    "purpose": "TRANSACTIONAL_API",
    "idempotencyKey": "receipt-ord_12345",
    "consentAttestation": True,
    "templateId": "tmpl_lead_followup",
    "variables": {"firstName": "Asha", "service": "AI workflow setup"},
}


@pytest.fixture(autouse=True)
def ready_to_send(tenant: None, delivery_queue: str) -> None:
    sender = {"handle": "acme", "senderId": "sender_notifications"}
    assert invoke("put_sender", sender, sub=OPERATOR, body=SENDER)[0] == 200
    assert invoke("create_template", ACME, sub=OPERATOR, body=TEMPLATE)[0] == 201


def send(
    body: dict[str, Any] | None = None, sub: str = OPERATOR, **changes: Any
) -> tuple[int, Any]:
    return invoke("send_message", ACME, sub=sub, body={**(body or CONTRACT_SEND), **changes})


def queued(queue_url: str) -> list[dict[str, Any]]:
    sqs = boto3.client("sqs")
    found = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=2)
    return [json.loads(record["Body"]) for record in found.get("Messages", [])]


def test_the_contract_send_is_stored_queued_and_answered_in_the_contract_shape(
    delivery_queue: str,
) -> None:
    status, body = send()
    assert status == 202
    message = body["message"]
    assert message["messageId"].startswith("msg_")
    assert {
        key: value for key, value in message.items() if key not in {"messageId", "createdAt"}
    } == {
        "handle": "acme",
        "status": "QUEUED",
        "purpose": "TRANSACTIONAL_API",
        "senderId": "sender_notifications",
        "recipientCount": 1,
        "fromEmail": "Acme Notifications <notifications@example.com>",
    }
    assert message["createdAt"].endswith("Z")
    assert queued(delivery_queue) == [{"handle": "acme", "messageId": message["messageId"]}]
    stored = message_store.get("acme", message["messageId"])
    assert stored is not None
    assert (stored.subject, stored.template_version) == ("Thanks for reaching out, Asha", 1)


def test_a_stored_message_is_in_no_index() -> None:
    """Every delivery and feedback step writes the message item: index entries would double
    those writes, so it carries no GSI key (listing by status or purpose filters the table)."""
    _, body = send(to=["a@example.com", "b@example.com"])
    key = keys.message("acme", body["message"]["messageId"])
    item = table().get_item(Key=key, ConsistentRead=True)["Item"]
    assert item["status"] == "QUEUED"
    assert not [name for name in item if name.startswith("GSI")], item


def test_an_idempotent_replay_returns_the_same_message_and_queues_nothing_more(
    delivery_queue: str,
) -> None:
    first, second = send(), send()
    assert first[0] == second[0] == 202
    assert first[1]["message"]["messageId"] == second[1]["message"]["messageId"]
    assert len(queued(delivery_queue)) == 1
    _, listing = invoke("list_messages", ACME, sub=OPERATOR)
    assert len(listing["messages"]) == 1


def test_the_same_key_with_another_body_is_a_conflict() -> None:
    send()
    status, body = send(variables={"firstName": "Ravi", "service": "x"})
    assert (status, body["error"]) == (409, "idempotency_key_conflict")


def test_recipients_are_deduplicated_case_insensitively() -> None:
    status, body = send(to=["A@Example.com", "a@example.com", "b@example.com"], idempotencyKey=None)
    assert (status, body["message"]["recipientCount"]) == (202, 2)


@pytest.mark.parametrize(
    ("changes", "status", "code"),
    [
        ({"senderId": "sender_nope"}, 404, "sender_profile_not_found"),
        (
            {"purpose": "LEAD_VERIFICATION", "senderId": "sender_limited"},
            403,
            "sender_purpose_not_allowed",
        ),
        ({"consentAttestation": False}, 400, "consent_attestation_required"),
        ({"templateId": "tmpl_nope"}, 404, "email_template_not_found"),
        ({"variables": {"firstName": "Asha"}}, 400, "missing_template_variables"),
        ({"to": ["not-an-address"]}, 400, "invalid_recipient"),
        ({"to": [f"user{index}@example.com" for index in range(51)]}, 400, "invalid_recipient"),
        ({"to": ["a@example.com\r\nBcc: victim@example.com"]}, 400, "invalid_recipient"),
        (
            {"variables": {"firstName": "x\r\nBcc: v@example.com", "service": "s"}},
            400,
            "rendered_subject_unsafe",
        ),
        ({"status": "SENT"}, 400, "invalid_request"),
        ({"messageId": "msg_mine"}, 400, "invalid_request"),
        ({"idempotencyKey": "has#hash"}, 400, "invalid_request"),
        ({"consentAttestation": "true"}, 400, "invalid_request"),
    ],
)
def test_refusals_have_the_contract_codes(changes: dict[str, Any], status: int, code: str) -> None:
    if changes.get("senderId") == "sender_limited":
        limited = {**SENDER, "localPart": "hello", "purposes": ["TRANSACTIONAL_API"]}
        invoke(
            "put_sender",
            {"handle": "acme", "senderId": "sender_limited"},
            sub=OPERATOR,
            body=limited,
        )
    result_status, body = send(**changes)
    assert (result_status, body["error"]) == (status, code)


def test_a_disabled_sender_is_not_ready() -> None:
    sender = {"handle": "acme", "senderId": "sender_notifications"}
    invoke("put_sender", sender, sub=OPERATOR, body={**SENDER, "enabled": False})
    status, body = send()
    assert (status, body["error"]) == (409, "sender_profile_not_ready")


def test_a_paused_template_is_not_active() -> None:
    template = {"handle": "acme", "templateId": "tmpl_lead_followup"}
    invoke("update_template", template, sub=OPERATOR, body={"status": "PAUSED"})
    status, body = send()
    assert (status, body["error"]) == (409, "email_template_not_active")


def test_a_suppressed_recipient_is_refused_and_nothing_is_stored(delivery_queue: str) -> None:
    suppression = {"handle": "acme", "email": "Buyer@Example.com"}
    assert invoke("put_suppression", suppression, sub=OPERATOR, body={})[0] == 200
    status, body = send()
    assert (status, body["error"]) == (409, "email_recipient_suppressed")
    assert queued(delivery_queue) == []
    assert invoke("delete_suppression", suppression, sub=OPERATOR)[0] == 204
    assert send()[0] == 202


def test_an_exhausted_quota_is_429_with_retry_after_and_counts_only_accepted_sends(
    project_events: Callable[[], int],
) -> None:
    quotas.set_daily_limit("acme", 3)
    assert send(idempotencyKey="k1", to=["a@example.com", "b@example.com"])[0] == 202
    assert send(idempotencyKey="k2")[0] == 202
    assert send(idempotencyKey="k2")[0] == 202  # a replay: accepted again, stored once
    assert send(idempotencyKey="k3", to=["missing-at-sign"])[0] == 400
    # The projection charges the day's usage from the stream: the stored messages'
    # recipients, each message once.
    project_events()
    _, quota = invoke("get_quota", ACME, sub=OPERATOR)
    assert (quota["quota"]["usedToday"], quota["quota"]["remainingToday"]) == (3, 0)
    status, body = send(idempotencyKey="k4")
    assert (status, body["error"]) == (429, "email_quota_exceeded")
    project_events()
    assert invoke("get_quota", ACME, sub=OPERATOR)[1]["quota"]["usedToday"] == 3


def test_sends_within_the_projections_lag_can_pass_the_quota_together(
    project_events: Callable[[], int],
) -> None:
    """The documented price of charging usage from the stream: two sends read the same usage
    before either is charged, so both pass a limit only one of them fits; the count then
    shows the overshoot and the next send is refused."""
    quotas.set_daily_limit("acme", 1)
    assert send(idempotencyKey="k1")[0] == 202
    assert send(idempotencyKey="k2")[0] == 202
    project_events()
    assert invoke("get_quota", ACME, sub=OPERATOR)[1]["quota"]["usedToday"] == 2
    assert send(idempotencyKey="k3")[0] == 429


def test_retry_after_is_sent_with_the_429() -> None:
    from functions import send_message
    from tests.events import FakeLambdaContext, rest_event

    quotas.set_daily_limit("acme", 0)
    event = rest_event(
        "POST", "/v2/handles/{handle}/email/messages", ACME, sub=OPERATOR, body=CONTRACT_SEND
    )
    response = send_message.handler(event, FakeLambdaContext())
    assert response["statusCode"] == 429
    headers = response.get("multiValueHeaders") or {}
    retry_after = headers.get("Retry-After", [response.get("headers", {}).get("Retry-After")])[0]
    assert 0 < int(retry_after) <= 86400


def test_an_unavailable_queue_is_503_and_leaves_nothing_behind(
    monkeypatch: pytest.MonkeyPatch, delivery_queue: str
) -> None:
    from tenx_email.settings import delivery_settings

    monkeypatch.setenv(
        "DELIVERY_QUEUE_URL", "https://sqs.us-east-1.amazonaws.com/123456789012/gone"
    )
    delivery_settings.cache_clear()
    status, body = send()
    assert (status, body["error"]) == (503, "transactional_email_queue_unavailable")
    assert invoke("list_messages", ACME, sub=OPERATOR)[1]["messages"] == []
    assert invoke("get_quota", ACME, sub=OPERATOR)[1]["quota"]["usedToday"] == 0

    monkeypatch.setenv("DELIVERY_QUEUE_URL", delivery_queue)
    delivery_settings.cache_clear()
    # The retry with the same idempotency key goes through: nothing blocks it.
    assert send()[0] == 202


def test_no_configured_queue_is_503(monkeypatch: pytest.MonkeyPatch) -> None:
    from tenx_email.settings import delivery_settings

    monkeypatch.delenv("DELIVERY_QUEUE_URL")
    delivery_settings.cache_clear()
    status, body = send()
    assert (status, body["error"]) == (503, "transactional_email_queue_unavailable")


def test_lower_roles_and_outsiders_cannot_send() -> None:
    assert send(sub=MEMBERS[Role.CREATOR])[1]["error"] == "insufficient_role"
    assert send(sub=OUTSIDER)[1]["error"] == "forbidden"


@contextmanager
def replicas_behind(*prefixes: str) -> Iterator[list[bool]]:
    """Eventually consistent BatchGetItems answer as a replica that has not seen the items
    whose sort keys start with `prefixes` yet (written a moment ago); yields each
    BatchGetItem's ConsistentRead, in order."""
    events = table().meta.client.meta.events
    consistent: list[bool] = []

    def note(params: dict[str, Any], **_: Any) -> None:
        consistent.append(any(r.get("ConsistentRead") for r in params["RequestItems"].values()))

    def hide(parsed: dict[str, Any], **_: Any) -> None:
        if consistent[-1]:
            return
        for name, items in parsed.get("Responses", {}).items():
            parsed["Responses"][name] = [
                item for item in items if not str(item["SK"].get("S")).startswith(prefixes)
            ]

    events.register_first("before-parameter-build.dynamodb.BatchGetItem", note)
    events.register_first("after-call.dynamodb.BatchGetItem", hide)
    try:
        yield consistent
    finally:
        events.unregister("before-parameter-build.dynamodb.BatchGetItem", note)
        events.unregister("after-call.dynamodb.BatchGetItem", hide)


def test_a_send_reads_eventually_consistently_in_one_call() -> None:
    with replicas_behind() as consistent:
        assert send()[0] == 202
    assert consistent == [False]


@pytest.mark.parametrize("written_a_moment_ago", ["MEMBER#", "SENDER#", "TEMPLATE#"])
def test_what_a_replica_has_not_seen_yet_is_read_again_before_a_send_is_refused(
    written_a_moment_ago: str,
) -> None:
    # Given a replica that has not seen the membership, sender or template yet
    with replicas_behind(written_a_moment_ago) as consistent:
        status, body = send()
    # Then the send read it again consistently, and went through
    assert status == 202, body
    assert consistent == [False, True]


def test_concurrent_duplicates_produce_one_message(
    delivery_queue: str, project_events: Callable[[], int]
) -> None:
    """A twin request with the same key commits between this request's read and its write."""
    from tenx_email.dal.table import table

    events = table().meta.client.meta.events
    twin: list[tuple[int, Any]] = []

    def twin_commits_first(**_: Any) -> None:
        if not twin:
            twin.append(("running", None))
            twin[0] = send()

    events.register("before-call.dynamodb.TransactWriteItems", twin_commits_first)
    try:
        status, body = send()
    finally:
        events.unregister("before-call.dynamodb.TransactWriteItems", twin_commits_first)

    assert status == twin[0][0] == 202
    assert body["message"]["messageId"] == twin[0][1]["message"]["messageId"]
    assert len(invoke("list_messages", ACME, sub=OPERATOR)[1]["messages"]) == 1
    project_events()
    assert invoke("get_quota", ACME, sub=OPERATOR)[1]["quota"]["usedToday"] == 1
