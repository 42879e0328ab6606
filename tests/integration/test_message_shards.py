"""A handle whose messages are spread over several shards (dal/sharded.py) reads as one:
the same items in the same order, page tokens that hold across shards and are refused when
forged or foreign, and every message still found from its id alone."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from tenx_email import clock, ids, keys
from tenx_email.dal.table import table
from tenx_email.errors import InvalidInput
from tenx_email.services import recovery, tenancy
from tests.events import invoke
from tests.integration.test_message_routes import ready_to_send, send_many
from tests.integration.test_send_routes import ACME, OPERATOR, send
from tests.integration.test_triggers import (
    IMMEDIATE,
    capture,
    create_rule,
    drain,
    run_trigger,
    trigger_queue,
)

pytestmark = pytest.mark.usefixtures("ready_to_send")
ready_to_send = ready_to_send
trigger_queue = trigger_queue
SHARDS = 4


def listing(**query: str) -> tuple[int, Any]:
    return invoke("list_messages", ACME, sub=OPERATOR, query=query or None)


def every_page(limit: int, **query: str) -> tuple[list[str], int]:
    """Every message id the list gives, page by page, and how many pages it took."""
    seen: list[str] = []
    token: str | None = None
    for pages in range(1, 100):
        status, page = listing(limit=str(limit), **query, **({"nextToken": token} if token else {}))
        assert status == 200, page
        seen += [message["messageId"] for message in page["messages"]]
        token = page.get("nextToken")
        if not token:
            return seen, pages
    raise AssertionError("the list never ended")


def stored_partitions() -> set[str]:
    items = table().scan()["Items"]
    return {str(item["PK"]) for item in items if str(item["SK"]).startswith("MSG#")}


@pytest.fixture
def sharded(tenant: None) -> None:
    tenancy.set_message_shards("acme", SHARDS)


@pytest.mark.usefixtures("sharded")
def test_a_sharded_handle_lists_the_same_items_in_the_same_order() -> None:
    sent = send_many(14)
    # Spread over the shards (each send picks one at random): the ids say where, and the
    # items are there.
    used = {ids.message_shard(message_id) for message_id in sent}
    assert len(used) > 1
    assert used <= set(range(SHARDS))
    assert stored_partitions() == {keys.message_partition("acme", k) for k in used}
    # One partition would list them by id, newest first: so do the shards, merged.
    newest_first = sorted(sent, reverse=True)
    for limit in (1, 3, 5, 14, 50):
        assert every_page(limit)[0] == newest_first, limit
    # Filters apply in every shard; a filtered page may be short, never out of order.
    assert every_page(4, purpose="TRANSACTIONAL_API")[0] == newest_first
    assert every_page(4, status="SENT")[0] == []
    # And each message is found from its id alone.
    for message_id in sent:
        status, body = invoke("get_message", {**ACME, "messageId": message_id}, sub=OPERATOR)
        assert (status, body["message"]["messageId"]) == (200, message_id)


@pytest.mark.usefixtures("sharded")
def test_a_sharded_lists_tokens_are_refused_when_forged_foreign_or_of_another_filter() -> None:
    send_many(6)
    status, page = listing(limit="2")
    token = page["nextToken"]
    assert status == 200
    assert token
    forged = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    assert listing(limit="2", nextToken=forged)[0] == 400
    assert listing(limit="2", nextToken=token, purpose="TRANSACTIONAL_API")[0] == 400
    # Another handle's member, with a real token of acme's list, on their own handle.
    status, body = invoke(
        "list_messages",
        {"handle": "globex"},
        sub="user_outsider",
        query={"limit": "2", "nextToken": token},
    )
    assert (status, body["error"]) == (400, "invalid_next_token")


def test_messages_sent_before_a_handle_is_sharded_stay_listed_and_found(tenant: None) -> None:
    before = send_many(3)
    assert {ids.message_shard(message_id) for message_id in before} == {0}
    tenancy.set_message_shards("acme", SHARDS)
    after = [send(idempotencyKey=f"after-{index}")[1]["message"]["messageId"] for index in range(9)]
    assert every_page(4)[0] == sorted(before + after, reverse=True)
    status, body = invoke("get_message", {**ACME, "messageId": before[0]}, sub=OPERATOR)
    assert (status, body["message"]["messageId"]) == (200, before[0])


@pytest.mark.usefixtures("sharded")
def test_the_days_recount_reads_every_shard() -> None:
    send_many(7)
    assert recovery.recount_usage("acme", clock.now().strftime("%Y-%m-%d")) == 7


def test_shard_counts_only_grow_and_apply_to_rule_messages_ahead(tenant: None) -> None:
    with pytest.raises(InvalidInput, match="2 to 32"):
        tenancy.set_message_shards("acme", 1)
    with pytest.raises(InvalidInput, match="2 to 32"):
        tenancy.set_message_shards("acme", ids.MAX_MESSAGE_SHARDS + 1)
    now = clock.now()
    handle = tenancy.set_message_shards("acme", 8)
    with pytest.raises(InvalidInput, match="only grow"):
        tenancy.set_message_shards("acme", 8)
    # Lists and direct sends use the new count at once; rule messages of earlier events keep
    # the count their events had, so a retried job makes the same message id.
    assert handle.shard_count == 8
    assert handle.shard_count_at(now) == 1
    assert handle.shard_count_at(now + tenancy.SHARD_CHANGE_LEAD + timedelta(seconds=1)) == 8
    later = tenancy.set_message_shards("acme", 16)
    assert [epoch.count for epoch in later.message_shards] == [8, 16]
    assert later.shard_count_at(now) == 1


def test_an_id_names_its_shard() -> None:
    plain = ids.message_id()
    assert ids.message_shard(plain) == 0
    assert keys.message("acme", plain)["PK"] == "HANDLE#acme"
    placed = ids.message_id(shard=7)
    assert placed.endswith("_7")
    assert ids.message_shard(placed) == 7
    assert keys.message("acme", placed)["PK"] == "HANDLE#acme#SHARD7"
    # Anything else names no shard (and is simply not found).
    assert ids.message_shard(plain + "_99") == 0
    assert ids.message_shard(plain + "_x") == 0


def test_rule_messages_of_a_sharded_handle_keep_their_id_and_are_made_once(
    trigger_queue: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    tenancy.set_message_shards("acme", SHARDS)
    create_rule(IMMEDIATE)
    # An event of before the change: its message stays in the first shard.
    capture()
    early_jobs = drain(trigger_queue)
    lead = tenancy.SHARD_CHANGE_LEAD + timedelta(seconds=1)
    monkeypatch.setattr(clock, "_offset", clock._offset + lead)
    # Events of after it: each rule message in the shard its (rule, event) names.
    for index in range(12):
        capture({"email": f"lead+{index}@example.org", "name": f"Lead {index}", "fields": {}})
    jobs = drain(trigger_queue)
    for batch in (early_jobs, jobs, early_jobs, jobs):  # every job twice: one message each
        assert run_trigger(trigger_queue, batch) == {"batchItemFailures": []}

    made, _ = every_page(50)
    assert len(made) == 13
    assert ids.message_shard(min(made)) == 0  # the early event's message: the oldest id
    assert len({ids.message_shard(message_id) for message_id in made}) > 1
