"""What delivery and feedback both know and decide of a message's recipients: when every
recipient has an outcome, the message's outcome (`outcome_of`); what one write of a recipient
should also give the message (`conclusion`); and what an invocation knows of a message
(`KnownMessage`: a consistent read, then its own successful writes applied), read together
for a consumer's batch (`read_together`).

The rules are the same for both consumers, so that a message's status is the outcome of its
recipients whichever of them writes last (docs/guarantees.md)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from tenx_email.dal import messages as message_store
from tenx_email.dal.delivery import Outcome
from tenx_email.dal.delivery_reads import MessageRef, Recheck
from tenx_email.message_models import Message, MessageStatus, Recipient
from tenx_email.observability import logger

SENT_FAMILY = frozenset(
    {
        MessageStatus.SENT,
        MessageStatus.DELIVERY_DELAYED,
        MessageStatus.DELIVERED,
        MessageStatus.BOUNCED,
        MessageStatus.COMPLAINED,
    }
)
_IN_FLIGHT = frozenset({MessageStatus.QUEUED, MessageStatus.SENDING})


def outcome_of(recipients: Sequence[Recipient]) -> tuple[MessageStatus, str | None] | None:
    """The message's status once every recipient has a send outcome (None before): the
    furthest news of any recipient that was sent; else DENIED if all were denied; else
    UNKNOWN if any is unknown; else FAILED. With the reason of the recipient it came from."""
    if any(recipient.status in _IN_FLIGHT for recipient in recipients):
        return None
    sent = [recipient.status for recipient in recipients if recipient.status in SENT_FAMILY]
    if sent:
        return max(sent, key=lambda status: status.rank), None
    if all(recipient.status is MessageStatus.DENIED for recipient in recipients):
        status = MessageStatus.DENIED
    elif any(recipient.status is MessageStatus.UNKNOWN for recipient in recipients):
        status = MessageStatus.UNKNOWN
    else:
        status = MessageStatus.FAILED
    reason = next(r.reason for r in recipients if r.status is status)
    return status, reason


class KnownMessage:
    """What this invocation knows of one message: a consistent read of it, then each of our
    own successful writes applied to it. Every write is conditioned on what it assumes, so
    knowledge that went stale costs a failed write, never a wrong one; once a write of ours
    failed (`fresh` is False), the message is read again before anything is decided from
    its other recipients."""

    def __init__(
        self,
        handle: str,
        message_id: str,
        message: Message | None,
        *,
        fresh: bool = True,
        recheck: Recheck | None = None,
    ) -> None:
        self.handle = handle
        self.message_id = message_id
        self.message = message
        self.fresh = fresh
        self.recheck = recheck

    @classmethod
    def unread(cls, handle: str, message_id: str) -> KnownMessage:
        return cls(handle, message_id, None, fresh=False)

    def refresh(self) -> Message | None:
        """The message, read again (GetItem) if what we know may be stale."""
        if not self.fresh:
            self.message = message_store.get(self.handle, self.message_id)
            self.fresh = True
        return self.message

    def current(self) -> Message:
        if self.message is None:
            raise RuntimeError("no message to work on")
        return self.message

    def wrote(
        self, index: int, message_status: MessageStatus | None = None, **changes: object
    ) -> None:
        """Apply our successful write of recipient `index` (and of the message's status)."""
        self.message = with_recipient(self.current(), index, **changes)
        if message_status is not None:
            self.message = self.message.model_copy(update={"status": message_status})


def with_recipient(message: Message, index: int, **changes: object) -> Message:
    """The message with recipient `index` changed."""
    recipients = list(message.recipients)
    recipients[index] = recipients[index].model_copy(update=changes)
    return message.model_copy(update={"recipients": tuple(recipients)})


def conclusion(before: Message, after: Message) -> Outcome | None:
    """The outcome a write that turns `before` into `after` should also give the message:
    when every recipient of `after` has one, and it is further than `before`'s status."""
    outcome = outcome_of(after.recipients)
    if outcome is None or outcome[0].rank <= before.status.rank:
        return None
    return outcome


def read_together(
    refs: list[MessageRef],
    read: Callable[[list[MessageRef]], dict[MessageRef, KnownMessage]],
) -> dict[MessageRef, KnownMessage]:
    """What a consumer's batch read learns of its records' messages: nothing when no record
    names one, or when the read failed (each record then reads on its own)."""
    if not refs:
        return {}
    try:
        return read(refs)
    except Exception as error:
        logger.warning(
            "batch read failed; each record reads on its own",
            extra={"error": type(error).__name__},
        )
        return {}
