"""The new-handle sandbox on moto: a sandboxed handle reaches its account's READY domains,
the mailbox simulator and anyone in test mode, and no one else (refused at the send, DENIED
at delivery); its limit is the sandbox's; an operator lifts it; the quota route shows it."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest

from tenx_email import sandbox as rules
from tenx_email.admin import main as admin
from tenx_email.dal import tenancy as tenancy_store
from tenx_email.dal.items import HandleItem
from tenx_email.dal.table import table
from tenx_email.message_models import MessageStatus
from tenx_email.roles import Role
from tenx_email.services import quotas, tenancy
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


@pytest.fixture(autouse=True)
def sandboxed(direct_sends: str) -> None:
    """acme, put in the sandbox, with a READY example.com (its account's) and a sender."""
    tenancy.set_sandbox("acme", True)


send = send_direct


def test_a_sandboxed_handle_cannot_reach_an_outside_address(ses: SesSpy, queue: str) -> None:
    status, body = send("team@example.com", "customer@elsewhere.org")

    assert (status, body["error"]) == (403, "handle_in_sandbox")
    assert "sandbox" in body["message"]
    # and nothing was queued
    sqs = boto3.client("sqs")
    assert "Messages" not in sqs.receive_message(QueueUrl=queue, WaitTimeSeconds=0)


@pytest.mark.parametrize(
    ("to", "changes"),
    [
        (["team@example.com", "Ops@EXAMPLE.com"], {}),
        (["bounce@simulator.amazonses.com"], {}),
        (["customer@elsewhere.org"], {"testMode": True}),
    ],
    ids=["own-domain", "simulator", "test-mode"],
)
def test_a_sandboxed_handle_reaches_its_own_domains_the_simulator_and_test_sends(
    to: list[str], changes: dict[str, Any]
) -> None:
    assert send(*to, **changes)[0] == 202


def test_the_sandbox_limit_applies_and_the_quota_shows_the_mode() -> None:
    quotas.set_daily_limit("acme", 5000)
    _, quota = invoke("get_quota", ACME, sub=OPERATOR)
    assert (quota["quota"]["sandbox"], quota["quota"]["dailyLimit"]) == (
        True,
        rules.SANDBOX_DAILY_LIMIT,
    )
    tenancy.set_sandbox("acme", False)
    _, lifted = invoke("get_quota", ACME, sub=OPERATOR)
    assert "sandbox" not in lifted["quota"]
    assert lifted["quota"]["dailyLimit"] == 5000


def test_a_send_over_the_sandbox_limit_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(rules, "SANDBOX_DAILY_LIMIT", 1)
    status, body = send("team@example.com", "ops@example.com")

    assert (status, body["error"]) == (429, "email_quota_exceeded")


def test_delivery_denies_outsiders_of_a_handle_put_back_in_the_sandbox(
    ses: SesSpy, queue: str
) -> None:
    # Given a message accepted while the handle was out of the sandbox
    tenancy.set_sandbox("acme", False)
    status, accepted = send("team@example.com", "customer@elsewhere.org")
    assert status == 202
    message_id = accepted["message"]["messageId"]

    # When the handle is put back before delivery
    tenancy.set_sandbox("acme", True)
    assert run_delivery(enqueue(queue, {"handle": "acme", "messageId": message_id})) == []

    # Then only its own domain's address was sent; the outsider is DENIED
    assert ses.sent_to() == ["team@example.com"]
    _, detail = invoke("get_message", {**ACME, "messageId": message_id}, sub=OPERATOR)
    assert [(r["email"], r["status"], r["reason"]) for r in detail["message"]["recipients"]] == [
        ("team@example.com", MessageStatus.SENT.value, None),
        ("customer@elsewhere.org", MessageStatus.DENIED.value, "handle_in_sandbox"),
    ]


def test_the_admin_command_lifts_and_restores_the_sandbox(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("tenx_email.admin._target_environment", lambda arguments: {})
    assert admin(["--local", "set-sandbox", "--handle", "acme", "--off"]) == 0
    assert json.loads(capsys.readouterr().out)["sandbox"] is False
    assert send("customer@elsewhere.org")[0] == 202
    assert admin(["--local", "set-sandbox", "--handle", "acme", "--on"]) == 0
    assert send("customer@elsewhere.org")[0] == 403


def test_new_handles_start_in_the_sandbox_and_old_ones_are_not_in_it() -> None:
    created = tenancy.create_handle("newco", "acc_demo")
    assert created.sandbox is True
    # A handle item stored before the sandbox existed has no flag
    item = HandleItem.from_domain(created).to_item()
    del item["sandbox"]
    table().put_item(Item={**item, "PK": "HANDLE#oldco", "handle": "oldco"})
    old = tenancy_store.get_handle("oldco")
    assert old is not None
    assert old.sandbox is False
