"""The account's domain identity routes through the real handlers on moto: the contract's
step 1, reconcile, and attaching a domain."""

from __future__ import annotations

import pytest

from tenx_email.dal import domains as domain_store
from tenx_email.identity_models import IdentityStatus
from tenx_email.roles import Role
from tenx_email.services import tenancy
from tests.events import invoke
from tests.integration.conftest import MEMBERS, OUTSIDER

OPERATOR, OWNER = MEMBERS[Role.OPERATOR], MEMBERS[Role.OWNER]
EXAMPLE = {"domain": "example.com"}

pytestmark = pytest.mark.usefixtures("tenant")


@pytest.fixture(autouse=True)
def _ses_region(monkeypatch: pytest.MonkeyPatch) -> None:
    from tenx_email.settings import ses_settings

    monkeypatch.setenv("SES_REGION", "us-east-1")
    ses_settings.cache_clear()


def test_the_ready_identity_has_the_contract_shape() -> None:
    assert invoke("get_domain_identity", EXAMPLE, sub=OPERATOR) == (
        200,
        {
            "identity": {
                "identityKey": "us-east-1#example.com",
                "region": "us-east-1",
                "domain": "example.com",
                "status": "READY",
                "statusReason": None,
                "requiredDnsRecords": [],
                "mailFromDomain": "bounce.example.com",
            },
            "senderProfiles": [],
        },
    )


def test_the_identity_lists_the_senders_that_use_it() -> None:
    body = {
        "domain": "example.com",
        "localPart": "hello",
        "displayName": "Acme",
        "purposes": ["TRANSACTIONAL_API"],
    }
    invoke("put_sender", {"handle": "acme", "senderId": "sender_hello"}, sub=OPERATOR, body=body)
    _, identity = invoke("get_domain_identity", EXAMPLE, sub=OPERATOR)
    assert [(s["handle"], s["senderId"], s["status"]) for s in identity["senderProfiles"]] == [
        ("acme", "sender_hello", "READY")
    ]


def test_reconcile_answers_202_and_moves_a_pending_identity_to_ready() -> None:
    identity = domain_store.get("acc_demo", "example.com")
    assert identity is not None
    domain_store.save(identity.model_copy(update={"status": IdentityStatus.PENDING}))
    _, pending = invoke("get_domain_identity", EXAMPLE, sub=OPERATOR)
    assert pending["identity"]["status"] == "PENDING"
    assert {record["type"] for record in pending["identity"]["requiredDnsRecords"]} >= {"MX", "TXT"}

    status, body = invoke("reconcile_domain_identity", EXAMPLE, sub=OPERATOR)
    assert (status, body["identity"]["status"]) == (202, "READY")
    assert invoke("get_domain_identity", EXAMPLE, sub=OPERATOR)[1]["identity"]["status"] == "READY"


def test_attaching_a_domain_shows_the_dns_records_to_create_and_is_repeatable() -> None:
    status, body = invoke("attach_domain", {"domain": "News.Acme.example"}, sub=OWNER)
    assert status == 200
    identity = body["identity"]
    assert (identity["domain"], identity["mailFromDomain"]) == (
        "news.acme.example",
        "bounce.news.acme.example",
    )
    assert {(r["type"], r["name"]) for r in identity["requiredDnsRecords"]} >= {
        ("MX", "bounce.news.acme.example"),
        ("TXT", "bounce.news.acme.example"),
        ("TXT", "_dmarc.news.acme.example"),
    }
    assert invoke("attach_domain", {"domain": "news.acme.example"}, sub=OWNER)[0] == 200
    assert invoke("get_domain_identity", {"domain": "news.acme.example"}, sub=OPERATOR)[0] == 200


def test_attaching_needs_the_owner_role() -> None:
    status, body = invoke("attach_domain", {"domain": "news.acme.example"}, sub=OPERATOR)
    assert (status, body["error"]) == (403, "insufficient_role")


def test_a_domain_of_another_account_cannot_be_attached_or_read() -> None:
    tenancy.grant_membership("globex", "user_globex_owner", Role.OWNER)
    status, body = invoke("attach_domain", EXAMPLE, sub="user_globex_owner")
    assert (status, body["error"]) == (409, "domain_already_attached")
    status, body = invoke("get_domain_identity", EXAMPLE, sub=OUTSIDER)
    assert (status, body["error"]) == (404, "account_domain_not_found")


def test_a_user_with_several_accounts_must_name_one() -> None:
    tenancy.grant_membership("globex", OWNER, Role.OWNER)
    status, body = invoke("attach_domain", {"domain": "two.example"}, sub=OWNER)
    assert (status, body["error"]) == (400, "account_id_required")
    query = {"accountId": "acc_globex"}
    assert invoke("attach_domain", {"domain": "two.example"}, sub=OWNER, query=query)[0] == 200
    assert domain_store.owner_of("two.example") == "acc_globex"


@pytest.mark.parametrize(
    ("route_id", "params", "sub", "status", "code"),
    [
        (
            "get_domain_identity",
            {"domain": "unknown.example"},
            OPERATOR,
            404,
            "account_domain_not_found",
        ),
        (
            "reconcile_domain_identity",
            {"domain": "unknown.example"},
            OPERATOR,
            404,
            "account_domain_not_found",
        ),
        ("get_domain_identity", EXAMPLE, MEMBERS[Role.CREATOR], 403, "insufficient_role"),
        ("get_domain_identity", EXAMPLE, "user_nobody", 403, "forbidden"),
        ("get_domain_identity", {"domain": "not a domain"}, OPERATOR, 400, "invalid_request"),
        ("attach_domain", {"domain": "example..com"}, OWNER, 400, "invalid_request"),
    ],
)
def test_refusals(route_id: str, params: dict[str, str], sub: str, status: int, code: str) -> None:
    result_status, body = invoke(route_id, params, sub=sub)
    assert (result_status, body["error"]) == (status, code)
