"""PUT/GET sender profiles through the real handlers on moto: the contract's step 2 and its
error rows, plus the header-injection and mass-assignment refusals."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tenx_email.dal import domains as domain_store
from tenx_email.identity_models import IdentityStatus
from tenx_email.roles import Role
from tenx_email.services import domains, tenancy
from tests.events import invoke
from tests.integration.conftest import MEMBERS, OUTSIDER

OPERATOR = MEMBERS[Role.OPERATOR]
CONTRACT_BODY = {
    "domain": "example.com",
    "localPart": "notifications",
    "displayName": "Acme Notifications",
    "replyTo": "support@example.com",
    "purposes": ["PRODUCT_NOTIFICATION", "LEAD_VERIFICATION", "TRANSACTIONAL_API"],
    "enabled": True,
}


def put(
    sender_id: str = "sender_notifications", body: Any = None, sub: str = OPERATOR, **kw: Any
) -> tuple[int, Any]:
    return invoke(
        "put_sender",
        {"handle": "acme", "senderId": sender_id},
        sub=sub,
        body=CONTRACT_BODY if body is None else body,
        **kw,
    )


def with_fields(**changes: Any) -> dict[str, Any]:
    return {**CONTRACT_BODY, **changes}


pytestmark = pytest.mark.usefixtures("tenant")


def test_the_contract_example_returns_the_contract_response() -> None:
    assert put() == (
        200,
        {
            "sender": {
                "senderId": "sender_notifications",
                "domain": "example.com",
                "localPart": "notifications",
                "fromEmail": "notifications@example.com",
                "displayName": "Acme Notifications",
                "replyTo": "support@example.com",
                "purposes": ["PRODUCT_NOTIFICATION", "LEAD_VERIFICATION", "TRANSACTIONAL_API"],
                "enabled": True,
                "status": "READY",
                "identityKey": "us-east-1#example.com",
            }
        },
    )


def test_repeating_the_put_is_idempotent_and_lists_one_sender() -> None:
    first, second = put(), put()
    assert first == second
    status, body = invoke("list_senders", {"handle": "acme"}, sub=OPERATOR)
    assert (status, [s["senderId"] for s in body["senders"]]) == (200, ["sender_notifications"])


def test_a_disabled_sender_reads_back_not_ready() -> None:
    assert put(body=with_fields(enabled=False))[1]["sender"]["status"] == "NOT_READY"


@pytest.mark.parametrize(
    "sender_id", ["notifications", "sender_", "sender_a.b", "SENDER_x", "sender_" + "x" * 65]
)
def test_a_sender_id_without_the_prefix_is_invalid_sender_id(sender_id: str) -> None:
    status, body = put(sender_id)
    assert (status, body["error"]) == (400, "invalid_sender_id")


def test_a_local_part_off_the_allow_list_is_refused() -> None:
    status, body = put(body=with_fields(localPart="ceo"))
    assert (status, body["error"]) == (400, "sender_local_part_not_allowed")


def test_a_domain_of_another_account_is_account_domain_not_found() -> None:
    domains.attach_domain("acc_globex", "globex.example", "us-east-1")
    status, body = put(body=with_fields(domain="globex.example"))
    assert (status, body["error"]) == (404, "account_domain_not_found")


def test_an_identity_that_is_not_ready_refuses_an_enabled_sender() -> None:
    identity = domain_store.get("acc_demo", "example.com")
    assert identity is not None
    domain_store.save(identity.model_copy(update={"status": IdentityStatus.PENDING}))
    status, body = put()
    assert (status, body["error"]) == (409, "domain_email_identity_not_ready")
    assert put(body=with_fields(enabled=False))[0] == 200


def test_reconcile_moves_the_senders_status_with_the_identity() -> None:
    put()
    identity = domain_store.get("acc_demo", "example.com")
    assert identity is not None
    domain_store.save(identity.model_copy(update={"status": IdentityStatus.PENDING}))
    domains.reconcile_domain("acc_demo", "example.com")  # moto reports it verified again
    _, body = invoke("list_senders", {"handle": "acme"}, sub=OPERATOR)
    assert body["senders"][0]["status"] == "READY"


@pytest.mark.parametrize(
    "changes",
    [
        {"displayName": "Acme\r\nBcc: victim@example.com"},
        {"displayName": "Acme\x00"},
        {"displayName": "Acme\u2028Team"},
        {"displayName": 'Acme "Team" <x@evil.test>'},
        {"replyTo": "support@example.com\r\nBcc: victim@example.com"},
        {"replyTo": "not-an-address"},
        {"replyTo": "a@example.com, b@example.com"},
        {"displayName": ""},
    ],
)
def test_header_values_that_could_inject_or_break_headers_are_refused(
    changes: dict[str, str],
) -> None:
    status, body = put(body=with_fields(**changes))
    assert (status, body["error"]) == (400, "invalid_header_value")


@pytest.mark.parametrize(
    "changes",
    [
        {"status": "READY"},
        {"handle": "globex"},
        {"fromEmail": "ceo@example.com"},
        {"identityKey": "x"},
        {"purposes": []},
        {"purposes": ["MARKETING"]},
        {"enabled": "yes"},
    ],
)
def test_unknown_fields_and_bad_values_are_invalid_request(changes: dict[str, Any]) -> None:
    status, body = put(body=with_fields(**changes))
    assert (status, body["error"]) == (400, "invalid_request")
    assert body["message"]


def test_malformed_json_is_a_400_not_a_500() -> None:
    status, body = put(raw_body='{"domain": "example.com",')
    assert (status, body["error"]) == (400, "invalid_request")


def test_a_creator_cannot_change_senders_and_an_outsider_cannot_see_them() -> None:
    assert put(sub=MEMBERS[Role.CREATOR])[1]["error"] == "insufficient_role"
    assert put(sub=OUTSIDER)[1]["error"] == "forbidden"


def test_the_sender_is_stored_under_the_path_handle_only() -> None:
    tenancy.grant_membership("globex", OPERATOR, Role.OPERATOR)
    put()
    _, body = invoke("list_senders", {"handle": "globex"}, sub=OPERATOR)
    assert body == {"senders": []}
    assert json.dumps(body)
