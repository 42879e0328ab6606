"""The domain identity view reads its senders from the snapshot on the domain's owner item
(PK=DOMAIN#d, SK=OWNER, `senders`), which put_sender and reconcile write in the same
transaction as the sender item: the view is read in two calls and always shows what
list_senders shows. An owner item without the snapshot (written before it existed) falls
back to GSI1."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tenx_email import keys
from tenx_email.adapters import ses
from tenx_email.dal import domains as domain_store
from tenx_email.dal import senders as sender_store
from tenx_email.dal.table import table
from tenx_email.errors import AccountDomainNotFound
from tenx_email.identity_models import IdentityStatus, Sender
from tenx_email.models import Purpose
from tenx_email.roles import Role
from tenx_email.services import domains
from tests.events import invoke
from tests.integration.conftest import MEMBERS
from tests.integration.test_prefetch_routes import dynamodb_calls, operations

OPERATOR, OWNER = MEMBERS[Role.OPERATOR], MEMBERS[Role.OWNER]
EXAMPLE, NEWS = "example.com", "news.example.com"

pytestmark = pytest.mark.usefixtures("tenant")


@pytest.fixture(autouse=True)
def _news_domain(tenant: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    from tenx_email.settings import ses_settings

    monkeypatch.setenv("SES_REGION", "us-east-1")
    ses_settings.cache_clear()
    domains.attach_domain("acc_demo", NEWS, "us-east-1")
    yield
    ses_settings.cache_clear()


def put(sender_id: str, domain: str = EXAMPLE, handle: str = "acme", **changes: Any) -> Any:
    body = {
        "domain": domain,
        "localPart": "hello",
        "displayName": "Acme",
        "purposes": ["TRANSACTIONAL_API"],
        **changes,
    }
    status, answer = invoke(
        "put_sender", {"handle": handle, "senderId": sender_id}, sub=OPERATOR, body=body
    )
    return status, answer


def view(domain: str) -> list[dict[str, Any]]:
    status, body = invoke("get_domain_identity", {"domain": domain}, sub=OPERATOR)
    assert status == 200, body
    profiles: list[dict[str, Any]] = body["senderProfiles"]
    return profiles


def listed(domain: str) -> list[dict[str, Any]]:
    """What list_senders shows of acme's senders on `domain`, in the view's shape."""
    status, body = invoke("list_senders", {"handle": "acme"}, sub=OPERATOR)
    assert status == 200
    return [{**s, "handle": "acme"} for s in body["senders"] if s["domain"] == domain]


def snapshot(domain: str) -> dict[str, Any] | None:
    item = table().get_item(Key=keys.domain_owner(domain), ConsistentRead=True)["Item"]
    senders: dict[str, Any] | None = item.get("senders")
    return senders


def drop_snapshot(domain: str) -> None:
    """An owner item as attach wrote it before the snapshot existed."""
    table().update_item(Key=keys.domain_owner(domain), UpdateExpression="REMOVE senders")


def test_the_view_is_two_calls_and_shows_the_sender_as_list_senders_does() -> None:
    assert put("sender_hello", replyTo="support@example.com")[0] == 200
    with dynamodb_calls() as calls:
        shown = view(EXAMPLE)
    assert operations(calls) == ["Query", "BatchGetItem"]
    assert shown == listed(EXAMPLE) != []
    assert shown[0]["replyTo"] == "support@example.com"


def test_put_sender_reads_the_old_sender_with_the_access_check_and_writes_once() -> None:
    assert put("sender_hello")[0] == 200
    with dynamodb_calls() as calls:
        assert put("sender_hello", NEWS)[0] == 200
    assert operations(calls) == ["BatchGetItem", "GetItem", "TransactWriteItems"]
    assert ("HANDLE#acme", "SENDER#sender_hello") in calls[0].keys


def test_a_moved_sender_leaves_the_old_domains_view_and_joins_the_new_one() -> None:
    assert put("sender_hello")[0] == 200
    assert put("sender_stay")[0] == 200
    assert [s["senderId"] for s in view(EXAMPLE)] == ["sender_hello", "sender_stay"]
    assert put("sender_hello", NEWS, displayName="Acme News")[0] == 200
    assert [s["senderId"] for s in view(EXAMPLE)] == ["sender_stay"]
    assert [(s["senderId"], s["displayName"]) for s in view(NEWS)] == [
        ("sender_hello", "Acme News")
    ]
    assert view(NEWS) == listed(NEWS)
    assert view(EXAMPLE) == listed(EXAMPLE)
    # and back again
    assert put("sender_hello", EXAMPLE)[0] == 200
    assert view(NEWS) == []
    assert view(EXAMPLE) == listed(EXAMPLE)
    assert sorted(snapshot(EXAMPLE) or {}) == ["acme#sender_hello", "acme#sender_stay"]


def test_the_view_matches_list_senders_after_reconcile_changes_readiness(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert put("sender_hello")[0] == 200
    assert put("sender_off", enabled=False)[0] == 200
    assert [s["status"] for s in view(EXAMPLE)] == ["READY", "NOT_READY"]
    # SES no longer knows the identity: reconcile moves it to FAILED and the senders with it.
    with monkeypatch.context() as patched:
        patched.setattr(ses, "domain_identity_state", lambda region, domain: None)
        assert domains.reconcile_domain("acc_demo", EXAMPLE).status is IdentityStatus.FAILED
        assert [s["status"] for s in view(EXAMPLE)] == ["NOT_READY", "NOT_READY"]
        assert view(EXAMPLE) == listed(EXAMPLE)
        statuses = {entry["identityStatus"] for entry in (snapshot(EXAMPLE) or {}).values()}
        assert statuses == {"FAILED"}
        # A disabled sender may be put while it is FAILED, and shows FAILED in both.
        assert put("sender_off", enabled=False, displayName="Off")[0] == 200
    assert domains.reconcile_domain("acc_demo", EXAMPLE).status is IdentityStatus.READY
    assert [s["status"] for s in view(EXAMPLE)] == ["READY", "NOT_READY"]
    assert view(EXAMPLE) == listed(EXAMPLE)


def test_an_owner_item_without_the_snapshot_falls_back_to_the_index() -> None:
    assert put("sender_hello")[0] == 200
    drop_snapshot(EXAMPLE)
    with dynamodb_calls() as calls:
        shown = view(EXAMPLE)
    assert operations(calls) == ["Query", "BatchGetItem", "Query"]
    assert [s["senderId"] for s in shown] == ["sender_hello"]
    assert shown == listed(EXAMPLE)
    # Sender writes still work there and never start an (incomplete) snapshot.
    assert put("sender_two")[0] == 200
    assert put("sender_hello", NEWS)[0] == 200
    assert put("sender_three", NEWS)[0] == 200
    assert put("sender_three", EXAMPLE)[0] == 200
    assert snapshot(EXAMPLE) is None
    assert [s["senderId"] for s in view(EXAMPLE)] == ["sender_three", "sender_two"]
    assert [s["senderId"] for s in view(NEWS)] == ["sender_hello"]
    assert view(EXAMPLE) == listed(EXAMPLE)
    assert view(NEWS) == listed(NEWS)
    # A repeated attach does not start one either, and reconcile still moves the senders.
    assert invoke("attach_domain", {"domain": EXAMPLE}, sub=OWNER)[0] == 200
    assert snapshot(EXAMPLE) is None
    identity = domain_store.get("acc_demo", EXAMPLE)
    assert identity is not None
    domain_store.save(identity.model_copy(update={"status": IdentityStatus.PENDING}))
    assert put("sender_two", enabled=False)[0] == 200
    domains.reconcile_domain("acc_demo", EXAMPLE)
    assert [s["status"] for s in view(EXAMPLE)] == ["READY", "NOT_READY"]
    assert view(EXAMPLE) == listed(EXAMPLE)


def test_a_repeated_attach_keeps_the_snapshot() -> None:
    assert put("sender_hello")[0] == 200
    status, _ = invoke("attach_domain", {"domain": EXAMPLE}, sub=OWNER)
    assert status == 200
    assert list(snapshot(EXAMPLE) or {}) == ["acme#sender_hello"]
    assert [s["senderId"] for s in view(EXAMPLE)] == ["sender_hello"]


def test_a_new_sender_beyond_the_cap_is_refused_and_existing_ones_still_change(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(sender_store, "MAX_SENDERS_PER_DOMAIN", 2)
    assert put("sender_a")[0] == 200
    assert put("sender_b")[0] == 200
    status, body = put("sender_c")
    assert (status, body["error"]) == (400, "invalid_request")
    assert "2 sender profiles" in body["message"]
    assert put("sender_b", displayName="Changed")[0] == 200
    assert put("sender_c", NEWS)[0] == 200  # another domain has room
    assert put("sender_b", NEWS)[0] == 200  # moving one out makes room
    assert put("sender_c", EXAMPLE)[0] == 200
    assert [s["senderId"] for s in view(EXAMPLE)] == ["sender_a", "sender_c"]
    assert view(EXAMPLE) == listed(EXAMPLE)
    assert view(NEWS) == listed(NEWS)


def _sender(domain: str, name: str = "Acme") -> Sender:
    return Sender(
        handle="acme",
        sender_id="sender_race",
        domain=domain,
        local_part="hello",
        display_name=name,
        reply_to=None,
        purposes=(Purpose.TRANSACTIONAL_API,),
        enabled=True,
        identity_key=f"us-east-1#{domain}",
        identity_status=IdentityStatus.READY,
    )


def test_a_write_over_a_sender_changed_since_it_was_read_leaves_no_stale_entry() -> None:
    sender_store.put_sender(_sender(EXAMPLE), None, "acc_demo")
    # Moved to NEWS by another request after this one read it on EXAMPLE.
    sender_store.put_sender(_sender(NEWS), _sender(EXAMPLE), "acc_demo")
    stale = _sender(EXAMPLE)
    sender_store.put_sender(_sender(EXAMPLE, "Back"), stale, "acc_demo")  # believed unmoved
    sender_store.put_sender(_sender(NEWS, "Again"), stale, "acc_demo")  # believed on EXAMPLE
    assert list(snapshot(EXAMPLE) or {}) == []
    assert [(s.domain, s.display_name) for s in sender_store.list_senders("acme")] == [
        (NEWS, "Again")
    ]
    assert snapshot(NEWS) == {
        "acme#sender_race": {
            "handle": "acme",
            "senderId": "sender_race",
            "localPart": "hello",
            "displayName": "Again",
            "purposes": ["TRANSACTIONAL_API"],
            "enabled": True,
            "identityKey": f"us-east-1#{NEWS}",
            "identityStatus": "READY",
        }
    }
    # A sender created meanwhile by another request (believed absent) is replaced cleanly.
    sender_store.put_sender(_sender(EXAMPLE, "New"), None, "acc_demo")
    assert snapshot(NEWS) == {}
    assert list(snapshot(EXAMPLE) or {}) == ["acme#sender_race"]


def test_a_domain_of_another_account_is_refused_by_the_owner_item() -> None:
    with pytest.raises(AccountDomainNotFound):
        sender_store.put_sender(_sender(EXAMPLE), None, "acc_globex")
    with pytest.raises(AccountDomainNotFound):
        sender_store.put_sender(_sender("unattached.example"), None, "acc_demo")
    assert sender_store.list_senders("acme") == []
    assert snapshot(EXAMPLE) == {}
