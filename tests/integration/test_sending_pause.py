"""A paused handle sends nothing: new sends are refused with the reason, queued mail is held
(not FAILED, not dead-lettered) and shown as held, and resuming queues it again."""

from __future__ import annotations

import json

import pytest

from tenx_email.dal import holds
from tenx_email.errors import InvalidInput
from tenx_email.message_models import MessageStatus
from tenx_email.services import sending_pause
from tests.events import invoke
from tests.integration import delivery_support as support
from tests.integration.delivery_support import (
    HANDLE,
    SesSpy,
    dead_letters,
    enqueue,
    get_message,
    job,
    queue_message,
    receive,
    run_delivery,
    send_direct,
    stored,
)

ses = support.ses
queue = support.queue
direct_sends = support.direct_sends
OPERATOR = "user_operator"
REASON = "bounce rate 7.5% over the last 24 hours (threshold 5%)"


def test_a_paused_handle_refuses_new_sends_with_the_reason(direct_sends: str) -> None:
    status, accepted = send_direct("asha@example.org", idempotencyKey="before-pause")
    assert status == 202
    sending_pause.pause(HANDLE, REASON)

    status, body = send_direct("ravi@example.org", idempotencyKey="after-pause")
    assert (status, body["error"]) == (403, "handle_sending_paused")
    assert REASON in body["message"]
    # A replay of what was accepted before still answers with it (nothing new is sent).
    again = send_direct("asha@example.org", idempotencyKey="before-pause")
    assert again == (202, accepted)
    # The quota shows why and since when.
    status, quota = invoke("get_quota", {"handle": HANDLE}, sub=OPERATOR)
    assert status == 200
    assert quota["quota"]["sendingPaused"]["reason"] == REASON


def test_queued_mail_is_held_then_sent_once_resumed(ses: SesSpy, queue: str) -> None:
    message = queue_message("asha@example.org", "ravi@example.org")
    sending_pause.pause(HANDLE, REASON)

    # When delivery meets it (twice: a duplicate record)
    assert run_delivery(enqueue(queue, job(message), job(message))) == []

    # Then nothing went to SES, every recipient is still QUEUED, nothing is dead-lettered,
    # and the message shows why it waits
    assert ses.calls == []
    assert [r.status for r in stored(message).recipients] == [MessageStatus.QUEUED] * 2
    assert dead_letters(queue) == 0
    held = get_message(message.message_id)
    assert held["status"] == "QUEUED"
    assert held["held"]["reason"] == f"handle_sending_paused: {REASON}"  # type: ignore[index]
    assert list(holds.held_messages(HANDLE)) == [message.message_id]

    # When an operator resumes the handle
    resumed = sending_pause.resume(HANDLE)

    # Then the held message is queued again (once), and delivers
    assert resumed.requeued == 1
    requeued = receive(queue, 1, wait_seconds=2)
    assert [json.loads(r["body"]) for r in requeued["Records"]] == [job(message)]
    assert run_delivery(requeued) == []
    assert sorted(ses.sent_to()) == ["asha@example.org", "ravi@example.org"]
    assert stored(message).status is MessageStatus.SENT
    assert "held" not in get_message(message.message_id)
    assert list(holds.held_messages(HANDLE)) == []
    # A second resume finds nothing more to queue.
    assert sending_pause.resume(HANDLE).requeued == 0


def test_a_pause_needs_a_reason(tenant: None) -> None:
    with pytest.raises(InvalidInput, match="reason"):
        sending_pause.pause(HANDLE, "   ")
    with pytest.raises(InvalidInput, match="reason"):
        sending_pause.pause(HANDLE, "x" * 201)
