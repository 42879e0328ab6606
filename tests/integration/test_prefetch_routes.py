"""A route's own reads ride on its access check: the real handlers on moto, with every
DynamoDB call the service's client makes counted (a botocore hook), so each test fails if a
route reads an item twice, reads it again after its own write, or reads outside the tenant.

What is asserted, route by route: the access check's one BatchGetItem reads the handle, the
caller's membership and the items the route reads next, all under the caller's handle; a
prefetched key found absent answers 404 without another call; a body that is not JSON
prefetches nothing and still gets its 400; a caller without access gets 403 and nothing
else is read.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pytest

from tenx_email import clock, keys
from tenx_email.dal import queries, tenancy
from tenx_email.dal import quotas as quota_store
from tenx_email.dal import templates as template_store
from tenx_email.dal.table import table
from tenx_email.models import HandleStatus
from tenx_email.roles import Role
from tenx_email.services import tenancy as tenancy_service
from tests.events import invoke
from tests.integration.conftest import MEMBERS, OUTSIDER
from tests.integration.test_send_routes import CONTRACT_SEND, SENDER, TEMPLATE

OPERATOR, OWNER = MEMBERS[Role.OPERATOR], MEMBERS[Role.OWNER]
ACME = {"handle": "acme"}
TEMPLATE_PATH = {"handle": "acme", "templateId": "tmpl_lead_followup"}
CAMPAIGN = {"handle": "acme", "campaignId": "cmp_welcome"}
RULE = {
    "trigger": "LEAD_CAPTURED",
    "templateId": "tmpl_lead_followup",
    "senderId": "sender_notifications",
    "enabled": True,
    "variableMappings": {"firstName": "firstName", "service": "fields.service"},
}


@dataclass(frozen=True)
class Call:
    operation: str
    body: dict[str, Any]

    @property
    def keys(self) -> list[tuple[str, str]]:
        """The (PK, SK) pairs a BatchGetItem or GetItem asks for (none for other calls)."""
        if self.operation == "GetItem":
            wanted = [self.body["Key"]]
        elif self.operation != "BatchGetItem":
            return []
        else:
            wanted = [
                key for request in self.body["RequestItems"].values() for key in request["Keys"]
            ]
        return [(key["PK"]["S"], key["SK"]["S"]) for key in wanted]


@contextmanager
def dynamodb_calls() -> Iterator[list[Call]]:
    """Every DynamoDB call made inside the block through the service's table client."""
    client = table().meta.client
    calls: list[Call] = []

    def record(model: Any, params: dict[str, Any], **_: Any) -> None:
        calls.append(Call(model.name, json.loads(params.get("body") or b"{}")))

    client.meta.events.register("before-call.dynamodb", record)
    try:
        yield calls
    finally:
        client.meta.events.unregister("before-call.dynamodb", record)


def operations(calls: list[Call]) -> list[str]:
    return [call.operation for call in calls]


def access_keys(sub: str, *more: tuple[str, str], handle: str = "acme") -> set[tuple[str, str]]:
    return {(f"HANDLE#{handle}", "HANDLE"), (f"HANDLE#{handle}", f"MEMBER#{sub}"), *more}


def acme(sort_key: str) -> tuple[str, str]:
    return ("HANDLE#acme", sort_key)


def today() -> str:
    return clock.now().strftime("%Y-%m-%d")


@pytest.fixture(autouse=True)
def ready(tenant: None, delivery_queue: str) -> None:
    """acme with a READY sender, an ACTIVE template and a campaign."""
    tenancy_service.register_campaign("acme", "cmp_welcome", "Welcome")
    sender = {"handle": "acme", "senderId": "sender_notifications"}
    assert invoke("put_sender", sender, sub=OPERATOR, body=SENDER)[0] == 200
    assert invoke("create_template", ACME, sub=OPERATOR, body=TEMPLATE)[0] == 201


def sent_message_id() -> str:
    status, body = invoke("send_message", ACME, sub=OPERATOR, body=CONTRACT_SEND)
    assert status == 202, body
    message_id: str = body["message"]["messageId"]
    return message_id


# --- templates ----------------------------------------------------------------------------


def test_get_template_reads_the_template_with_the_access_check() -> None:
    with dynamodb_calls() as calls:
        status, body = invoke("get_template", TEMPLATE_PATH, sub=OPERATOR)
    assert (status, body["template"]["templateId"]) == (200, "tmpl_lead_followup")
    assert operations(calls) == ["BatchGetItem", "Query"]
    assert set(calls[0].keys) == access_keys(OPERATOR, acme("TEMPLATE#tmpl_lead_followup"))


def test_a_template_read_absent_answers_404_with_no_other_call() -> None:
    with dynamodb_calls() as calls:
        status, body = invoke(
            "get_template", {**TEMPLATE_PATH, "templateId": "tmpl_nope"}, sub=OPERATOR
        )
    assert (status, body["error"]) == (404, "email_template_not_found")
    assert operations(calls) == ["BatchGetItem"]


def test_an_id_that_cannot_name_a_template_is_not_prefetched() -> None:
    with dynamodb_calls() as calls:
        status, body = invoke("get_template", {**TEMPLATE_PATH, "templateId": "nope"}, sub=OPERATOR)
    assert (status, body["error"]) == (400, "invalid_template_id")
    assert operations(calls) == ["BatchGetItem"]
    assert set(calls[0].keys) == access_keys(OPERATOR)


def test_preview_reads_the_version_it_names_with_the_access_check() -> None:
    variables = {"firstName": "Asha", "service": "setup"}
    with dynamodb_calls() as named:
        status, body = invoke(
            "preview_template",
            TEMPLATE_PATH,
            sub=OPERATOR,
            body={"variables": variables, "version": 1},
        )
    assert (status, body["preview"]["subject"]) == (200, "Thanks for reaching out, Asha")
    assert operations(named) == ["BatchGetItem"]
    assert acme("TMPLVER#tmpl_lead_followup#000001") in named[0].keys

    with dynamodb_calls() as active:
        assert (
            invoke("preview_template", TEMPLATE_PATH, sub=OPERATOR, body={"variables": variables})[
                0
            ]
            == 200
        )
    assert operations(active) == ["BatchGetItem", "GetItem"]


def test_an_update_reads_fresh_after_its_own_write() -> None:
    """update_template retries on a concurrent change; the retry must not see the template
    the access check read (the failed write drops the request's read cache), else it would
    fail the same way three times (409) instead of saving on top of the other change."""
    client = table().meta.client
    raced = False

    def concurrent_change(**_: Any) -> None:
        # Someone else adds version 2 between our read and our write (raw calls: no DAL).
        nonlocal raced
        if raced:
            return
        raced = True
        first = keys.template_version("acme", "tmpl_lead_followup", 1)
        version = client.get_item(TableName=table().name, Key=first)["Item"]
        second = keys.template_version("acme", "tmpl_lead_followup", 2)
        client.put_item(TableName=table().name, Item={**version, **second, "version": 2})
        client.update_item(
            TableName=table().name,
            Key=keys.template("acme", "tmpl_lead_followup"),
            UpdateExpression="SET latestVersion = :two, activeVersion = :two",
            ExpressionAttributeValues={":two": 2},
        )

    client.meta.events.register("before-call.dynamodb.TransactWriteItems", concurrent_change)
    try:
        with dynamodb_calls() as calls:
            status, body = invoke(
                "update_template",
                TEMPLATE_PATH,
                sub=OPERATOR,
                body={"subject": "New {{firstName}}"},
            )
    finally:
        client.meta.events.unregister("before-call.dynamodb.TransactWriteItems", concurrent_change)
    assert raced
    assert (status, body["template"]["activeVersion"]) == (200, 3)
    assert acme("TEMPLATE#tmpl_lead_followup") in calls[0].keys
    reads = [call.keys for call in calls if call.operation == "GetItem"]
    assert [acme("TEMPLATE#tmpl_lead_followup")] in reads  # the retry read it afresh


# --- direct sends -------------------------------------------------------------------------


def test_a_send_reads_its_whole_context_with_the_access_check() -> None:
    with dynamodb_calls() as calls:
        status, _ = invoke("send_message", ACME, sub=OPERATOR, body=CONTRACT_SEND)
    assert status == 202
    assert operations(calls) == ["BatchGetItem", "TransactWriteItems"]
    assert set(calls[0].keys) == access_keys(
        OPERATOR,
        acme("SENDER#sender_notifications"),
        acme("TEMPLATE#tmpl_lead_followup"),
        acme("QUOTA"),
        acme(f"USAGE#{today()}"),
        acme("SUPP#buyer@example.com"),
        acme("IDEMP#receipt-ord_12345"),
    )


def test_a_replay_and_a_suppressed_recipient_are_answered_from_the_prefetch() -> None:
    assert invoke("send_message", ACME, sub=OPERATOR, body=CONTRACT_SEND)[0] == 202
    with dynamodb_calls() as replay:
        assert invoke("send_message", ACME, sub=OPERATOR, body=CONTRACT_SEND)[0] == 202
    # The key's record came with the access check; only the original message is read.
    assert operations(replay) == ["BatchGetItem", "GetItem"]

    path = {"handle": "acme", "email": "Blocked@Example.com"}
    assert invoke("put_suppression", path, sub=OPERATOR, body={})[0] == 200
    body = {**CONTRACT_SEND, "idempotencyKey": "k2", "to": [" BLOCKED@example.com "]}
    with dynamodb_calls() as suppressed:
        status, answer = invoke("send_message", ACME, sub=OPERATOR, body=body)
    assert (status, answer["error"]) == (409, "email_recipient_suppressed")
    assert operations(suppressed) == ["BatchGetItem"]
    assert acme("SUPP#blocked@example.com") in suppressed[0].keys


@pytest.mark.parametrize("raw_body", ["{not json", "[1, 2]", '"text"', "[" * 5000])
def test_a_malformed_send_body_prefetches_nothing_and_gets_its_400(raw_body: str) -> None:
    with dynamodb_calls() as calls:
        status, body = invoke("send_message", ACME, sub=OPERATOR, raw_body=raw_body)
    assert (status, body["error"]) == (400, "invalid_request")
    assert operations(calls) == ["BatchGetItem"]
    assert set(calls[0].keys) == access_keys(OPERATOR)


def test_send_fields_that_fail_their_patterns_are_not_prefetched() -> None:
    body = {
        **CONTRACT_SEND,
        "senderId": "sender with spaces",
        "templateId": "TEMPLATE#x",
        "idempotencyKey": "bad key",
        "to": ["buyer@example.com", "not an address"],
    }
    with dynamodb_calls() as calls:
        status, answer = invoke("send_message", ACME, sub=OPERATOR, body=body)
    assert (status, answer["error"]) == (400, "invalid_request")  # the idempotency key's pattern
    assert set(calls[0].keys) == access_keys(OPERATOR, acme("QUOTA"), acme(f"USAGE#{today()}"))

    # What the prefetch left out, the route reads itself: same answer as without a prefetch.
    body = {**CONTRACT_SEND, "senderId": "sender with spaces"}
    with dynamodb_calls() as calls:
        status, answer = invoke("send_message", ACME, sub=OPERATOR, body=body)
    assert (status, answer["error"]) == (404, "sender_profile_not_found")
    assert operations(calls) == ["BatchGetItem", "BatchGetItem"]
    assert calls[1].keys == [acme("SENDER#sender with spaces")]


def test_a_caller_without_access_is_refused_before_the_body_is_looked_at() -> None:
    for sub, body in ((OUTSIDER, CONTRACT_SEND), (OUTSIDER, {"to": "x"}), ("user_nobody", {})):
        with dynamodb_calls() as calls:
            status, answer = invoke("send_message", ACME, sub=sub, body=body)
        assert (status, answer["error"]) == (403, "forbidden")
        # The send's eventually consistent read, then the refusal confirmed: the handle and
        # membership alone, read consistently (one granted a moment ago would count)
        assert operations(calls) == ["BatchGetItem", "BatchGetItem"]
        assert {pk for pk, _ in calls[0].keys} == {"HANDLE#acme"}
        assert set(calls[1].keys) == {acme("HANDLE"), acme(f"MEMBER#{sub}")}


def test_a_creator_gets_insufficient_role_though_the_send_context_was_read() -> None:
    with dynamodb_calls() as calls:
        status, answer = invoke("send_message", ACME, sub=MEMBERS[Role.CREATOR], body=CONTRACT_SEND)
    assert (status, answer["error"]) == (403, "insufficient_role")
    assert operations(calls) == ["BatchGetItem"]


# --- messages and events ------------------------------------------------------------------


def test_get_message_and_its_events_are_the_access_check_alone() -> None:
    # The timeline is on the message item, which the access check reads along.
    message_id = sent_message_id()
    with dynamodb_calls() as calls:
        status, body = invoke(
            "get_message", {"handle": "acme", "messageId": message_id}, sub=OPERATOR
        )
    assert (status, [event["type"] for event in body["message"]["timeline"]]) == (200, ["QUEUED"])
    assert operations(calls) == ["BatchGetItem"]
    assert acme(f"MSG#{message_id}") in calls[0].keys

    with dynamodb_calls() as calls:
        status, body = invoke("list_events", ACME, sub=OPERATOR, query={"messageId": message_id})
    assert (status, [event["type"] for event in body["events"]]) == (200, ["QUEUED"])
    assert operations(calls) == ["BatchGetItem"]
    assert acme(f"MSG#{message_id}") in calls[0].keys


@pytest.mark.parametrize(
    "query",
    [
        {},
        {"status": "QUEUED"},
        {"purpose": "TRANSACTIONAL_API"},
        {"status": "SENT", "purpose": "TRANSACTIONAL_API"},
    ],
    ids=["all", "by-status", "by-purpose", "both"],
)
def test_a_message_listing_is_the_access_check_and_one_query_of_the_table(
    query: dict[str, str],
) -> None:
    """Messages are in no index: a filtered listing queries the handle's messages and
    filters them, still one Query."""
    message_id = sent_message_id()
    with dynamodb_calls() as calls:
        status, body = invoke("list_messages", ACME, sub=OPERATOR, query=query or None)
    assert status == 200, body
    assert operations(calls) == ["BatchGetItem", "Query"]
    listed = calls[1].body
    assert "IndexName" not in listed
    assert listed["KeyConditionExpression"]
    assert ("FilterExpression" in listed) == bool(query)
    expected = [] if query.get("status") == "SENT" else [message_id]
    assert [message["messageId"] for message in body["messages"]] == expected


def test_a_message_read_absent_answers_404_with_no_other_call() -> None:
    missing = "msg_" + "0" * 26
    with dynamodb_calls() as calls:
        status, body = invoke("get_message", {"handle": "acme", "messageId": missing}, sub=OPERATOR)
    assert (status, body["error"]) == (404, "message_not_found")
    assert operations(calls) == ["BatchGetItem"]
    with dynamodb_calls() as calls:
        status, body = invoke("list_events", ACME, sub=OPERATOR, query={"messageId": missing})
    assert (status, body["error"]) == (404, "message_not_found")
    assert operations(calls) == ["BatchGetItem"]


def test_another_handles_message_is_not_found_and_never_read() -> None:
    message_id = sent_message_id()
    with dynamodb_calls() as calls:
        status, body = invoke(
            "get_message", {"handle": "globex", "messageId": message_id}, sub=OUTSIDER
        )
    assert (status, body["error"]) == (404, "message_not_found")
    assert {pk for call in calls for pk, _ in call.keys} == {"HANDLE#globex"}


def test_quota_is_read_with_the_access_check() -> None:
    with dynamodb_calls() as calls:
        status, body = invoke("get_quota", ACME, sub=OPERATOR)
    assert (status, body["quota"]["dailyLimit"]) == (200, 1000)
    assert operations(calls) == ["BatchGetItem"]


# --- campaign email rules -----------------------------------------------------------------


def test_rule_routes_read_campaign_rule_template_and_sender_with_the_access_check() -> None:
    with dynamodb_calls() as created:
        status, body = invoke("create_email_rule", CAMPAIGN, sub=OPERATOR, body=RULE)
    assert status == 201
    assert operations(created) == ["BatchGetItem", "TransactWriteItems"]
    rule_id = body["rule"]["ruleId"]

    with dynamodb_calls() as listed:
        status, body = invoke("list_email_rules", CAMPAIGN, sub=MEMBERS[Role.CREATOR])
    assert (status, len(body["rules"])) == (200, 1)
    assert operations(listed) == ["BatchGetItem", "Query"]

    rule = {**CAMPAIGN, "ruleId": rule_id}
    with dynamodb_calls() as runs:
        assert invoke("list_rule_runs", rule, sub=OPERATOR) == (
            200,
            {"runs": [], "nextToken": None},
        )
    assert operations(runs) == ["BatchGetItem", "Query"]
    assert acme(f"RULE#cmp_welcome#{rule_id}") in runs[0].keys

    with dynamodb_calls() as updated:
        status, _ = invoke("update_email_rule", rule, sub=OPERATOR, body={**RULE, "enabled": False})
    assert status == 200
    assert operations(updated) == ["BatchGetItem", "PutItem"]


def test_a_campaign_or_rule_read_absent_answers_404_with_no_other_call() -> None:
    other = {"handle": "acme", "campaignId": "cmp_nope"}
    with dynamodb_calls() as calls:
        status, body = invoke("list_email_rules", other, sub=OPERATOR)
    assert (status, body["error"]) == (404, "campaign_not_found")
    assert operations(calls) == ["BatchGetItem"]

    never = {**CAMPAIGN, "ruleId": "cer_00000000-0000-4000-8000-000000000000"}
    with dynamodb_calls() as calls:
        status, body = invoke("list_rule_runs", never, sub=OPERATOR)
    assert (status, body["error"]) == (404, "email_rule_not_found")
    assert operations(calls) == ["BatchGetItem"]


# --- account routes -----------------------------------------------------------------------


def test_the_domain_identity_is_read_with_the_callers_handles() -> None:
    with dynamodb_calls() as calls:
        status, body = invoke("get_domain_identity", {"domain": "example.com"}, sub=OPERATOR)
    assert (status, body["identity"]["status"]) == (200, "READY")
    # The senders come from the snapshot on the owner item the access check reads.
    assert [call.operation for call in calls] == ["Query", "BatchGetItem"]
    assert [profile["senderId"] for profile in body["senderProfiles"]] == ["sender_notifications"]
    assert set(calls[1].keys) == {
        ("HANDLE#acme", "HANDLE"),
        ("DOMAIN#example.com", "OWNER"),
        ("ACCOUNT#acc_demo", "DOMAIN#example.com"),
    }


def test_only_the_callers_own_accounts_identities_are_read_and_only_the_owners_is_used() -> None:
    tenancy_service.grant_membership("globex", OPERATOR, Role.OPERATOR)
    with dynamodb_calls() as calls:
        status, body = invoke("get_domain_identity", {"domain": "example.com"}, sub=OPERATOR)
    assert (status, body["identity"]["domain"]) == (200, "example.com")
    assert {key for key in calls[1].keys if key[0].startswith("ACCOUNT#")} == {
        ("ACCOUNT#acc_demo", "DOMAIN#example.com"),
        ("ACCOUNT#acc_globex", "DOMAIN#example.com"),
    }
    # An outsider's read of acme's domain: 404, and acme's account is never read.
    with dynamodb_calls() as calls:
        status, body = invoke("get_domain_identity", {"domain": "example.com"}, sub=OUTSIDER)
    assert (status, body["error"]) == (404, "account_domain_not_found")
    assert operations(calls) == ["Query", "BatchGetItem"]
    assert not [key for call in calls for key in call.keys if key[0] == "ACCOUNT#acc_demo"]


def test_an_inactive_handles_account_identity_is_read_but_not_shown() -> None:
    tenancy_service.set_handle_status("acme", HandleStatus.INACTIVE)
    status, body = invoke("get_domain_identity", {"domain": "example.com"}, sub=OWNER)
    assert (status, body["error"]) == (403, "forbidden")


def test_reconcile_reads_the_identity_with_the_access_check() -> None:
    with dynamodb_calls() as calls:
        status, _ = invoke("reconcile_domain_identity", {"domain": "example.com"}, sub=OPERATOR)
    assert status == 202
    assert operations(calls)[:2] == ["Query", "BatchGetItem"]
    assert "GetItem" not in operations(calls)


# --- the read cache itself ----------------------------------------------------------------


def template_key() -> keys.Key:
    return keys.template("acme", "tmpl_lead_followup")


def test_the_read_cache_serves_a_read_key_until_the_requests_first_write() -> None:
    with queries.request_reads():
        queries.read_keys([template_key(), keys.template("acme", "tmpl_absent")])
        with dynamodb_calls() as cached:
            assert template_store.get("acme", "tmpl_lead_followup") is not None
            assert template_store.get("acme", "tmpl_absent") is None
        assert cached == []

        quota_store.set_limit("acme", 5)  # a write
        with dynamodb_calls() as fresh:
            assert template_store.get("acme", "tmpl_lead_followup") is not None
        assert operations(fresh) == ["GetItem"]
        # And nothing read after the write is remembered.
        queries.read_keys([template_key()])
        with dynamodb_calls() as after:
            template_store.get("acme", "tmpl_lead_followup")
        assert operations(after) == ["GetItem"]


def test_the_read_cache_is_the_requests_alone() -> None:
    with queries.request_reads():
        queries.read_keys([template_key()])
        seen_elsewhere: list[object] = []
        thread = threading.Thread(
            target=lambda: seen_elsewhere.append(queries.cached(template_key()))
        )
        thread.start()
        thread.join()
        assert seen_elsewhere == [queries.MISS]
        assert queries.cached(template_key()) is not queries.MISS
    assert queries.cached(template_key()) is queries.MISS
    with dynamodb_calls() as calls:
        template_store.get("acme", "tmpl_lead_followup")
    assert operations(calls) == ["GetItem"]


def test_a_prefetch_key_outside_the_handle_is_refused() -> None:
    with pytest.raises(ValueError, match="outside HANDLE#acme"):
        tenancy.get_handle_and_membership("acme", OPERATOR, [keys.template("globex", "tmpl_x")])
    with pytest.raises(ValueError, match="outside HANDLE#acme"):
        tenancy.get_handle_and_membership("acme", OPERATOR, [keys.account("acc_demo")])


def test_more_prefetch_keys_than_one_batch_holds_are_left_to_the_route() -> None:
    wanted = [keys.suppression("acme", f"a{index}@example.com") for index in range(150)]
    with queries.request_reads(), dynamodb_calls() as calls:
        handle, membership = tenancy.get_handle_and_membership("acme", OPERATOR, wanted)
        assert handle is not None
        assert membership is not None
        assert queries.cached(wanted[97]) is None
        assert queries.cached(wanted[98]) is queries.MISS
    assert operations(calls) == ["BatchGetItem"]
    assert len(calls[0].keys) == 100
