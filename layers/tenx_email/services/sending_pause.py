"""Pausing a handle's sending, and resuming it.

A paused handle (by the reputation guard, services/reputation.py, or by an operator) sends
nothing: the send route refuses new mail (`403 handle_sending_paused`, with the reason), and
delivery holds what was already queued (its recipients stay QUEUED, and a marker says why:
dal/holds.py) rather than burning it as FAILED. Resuming, an operator's decision after review,
lifts the pause and queues the held messages again.
"""

from __future__ import annotations

from dataclasses import dataclass

from tenx_email import clock, resources
from tenx_email.adapters import queues
from tenx_email.dal import holds
from tenx_email.dal import reputation as reputation_counts
from tenx_email.dal import tenancy as handles
from tenx_email.errors import HandleSendingPaused, InvalidInput
from tenx_email.message_models import Hold
from tenx_email.models import Handle, SendingPause
from tenx_email.observability import logger
from tenx_email.settings import data_settings

MAX_REASON = 200


def refuse_if_paused(handle: Handle) -> None:
    pause = handle.sending_paused
    if pause is not None:
        raise HandleSendingPaused(
            f"sending is paused for this handle since {clock.iso(pause.since)}: {pause.reason}."
            " Queued mail is held; an operator resumes sending after review"
        )


def pause(handle_name: str, reason: str) -> Handle:
    reason = " ".join(reason.split())
    if not reason or len(reason) > MAX_REASON:
        raise InvalidInput(f"a pause needs a reason of 1 to {MAX_REASON} characters")
    paused = handles.set_sending_paused(handle_name, SendingPause(reason=reason, since=clock.now()))
    logger.warning("handle sending paused", extra={"handle": handle_name, "reason": reason})
    return paused


def hold(handle_name: str, message_id: str, reason: str) -> None:
    holds.hold(handle_name, message_id, Hold(reason=reason, since=clock.now()))


@dataclass(frozen=True)
class Resumed:
    handle: str
    requeued: int


def resume(handle_name: str) -> Resumed:
    """Lift the pause, then queue every held message again (a resume that fails midway is
    simply run again: what it requeued is no longer held). The reputation guard's counts
    start again: the rates that paused the handle were reviewed, and must not pause it anew."""
    handles.set_sending_paused(handle_name, None)
    reputation_counts.restart(handle_name)
    queue_url = queues.queue_url(
        resources.queue_name(data_settings().stage, resources.DELIVERY_QUEUE)
    )
    requeued = 0
    for message_id in list(holds.held_messages(handle_name)):
        queues.enqueue_delivery(queue_url, handle_name, message_id)
        holds.release(handle_name, message_id)
        requeued += 1
    logger.info("handle sending resumed", extra={"handle": handle_name, "requeued": requeued})
    return Resumed(handle=handle_name, requeued=requeued)
