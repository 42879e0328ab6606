"""Delivery and feedback on the message item: the send-time re-check, each recipient's status
transitions (with the timeline event they produce) and the message's own status.

Every transition is a conditional update of one element of the message's `recipients` list,
so it happens at most once and only from the status it expects; a transition that produces
an event writes it in the same transaction."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from typing import Any

from pydantic_core import to_jsonable_python

from tenx_email import clock, keys
from tenx_email.dal.items import (
    EventItem,
    HandleItem,
    SenderItem,
    SuppressionItem,
    TemplateVersionItem,
)
from tenx_email.dal.queries import batch_get
from tenx_email.dal.table import table, transact
from tenx_email.models import (
    DeliveryEvent,
    Handle,
    Message,
    MessageStatus,
    Sender,
    TemplateVersion,
)

_NAMES = {"#r": "recipients", "#s": "status", "#status": "status"}
_NAME = re.compile(r"#\w+")
_CONDITION_FAILED = "ConditionalCheckFailed"
_TRANSACTION_ATTEMPTS = 3


@dataclass(frozen=True)
class Recheck:
    """What delivery checks again just before sending."""

    handle: Handle | None
    sender: Sender | None
    version: TemplateVersion | None
    suppressed: frozenset[str]  # lowercased addresses


def load_recheck(message: Message, emails: Iterable[str]) -> Recheck:
    """Delivery re-check, one consistent BatchGetItem: the handle (SK=HANDLE), the sender
    (SK=SENDER#id), the template version (SK=TMPLVER#id#n) and the suppressions of the
    given addresses (SK=SUPP#email; at most 50 recipients, so under the 100-key limit)."""
    handle_key = keys.handle(message.handle)
    sender_key = keys.sender(message.handle, message.sender_id)
    version_key = keys.template_version(
        message.handle, message.template_id, message.template_version
    )
    suppression_keys = {
        keys.suppression(message.handle, email.lower())["SK"] for email in set(emails)
    }
    wanted = [handle_key, sender_key, version_key]
    wanted += [{"PK": handle_key["PK"], "SK": sort} for sort in sorted(suppression_keys)]
    found = {item["SK"]: item for item in batch_get(wanted)}
    handle, sender = found.get(handle_key["SK"]), found.get(sender_key["SK"])
    version = found.get(version_key["SK"])
    return Recheck(
        handle=HandleItem.from_item(handle).to_domain() if handle else None,
        sender=SenderItem.from_item(sender).to_domain() if sender else None,
        version=TemplateVersionItem.from_item(version).to_domain() if version else None,
        suppressed=frozenset(
            SuppressionItem.from_item(item).email
            for sort, item in found.items()
            if sort in suppression_keys
        ),
    )


def _json(value: datetime) -> str:
    # Exactly as the item models store datetimes, so a condition can compare claimedAt.
    return str(to_jsonable_python(value))


def _lower_than(status: MessageStatus) -> list[str]:
    return [other.value for other in MessageStatus if other.rank < status.rank]


def _in(name: str, values: list[str], prefix: str) -> tuple[str, dict[str, str]]:
    placeholders = {f":{prefix}{n}": value for n, value in enumerate(values)}
    return f"{name} IN ({', '.join(placeholders)})", placeholders


def _recipient_update(
    message: Message,
    index: int,
    *,
    sets: dict[str, Any],
    condition: str,
    values: dict[str, Any],
    remove: str = "",
    also: str = "",
) -> dict[str, Any]:
    """An Update of recipient `index` of the message: `sets` are the recipient's attributes,
    `also` more assignments (with their values in `values`); `{r}` in the condition and in
    `also` stands for the recipient's path."""
    path = f"#r[{index}]"
    assignments = [f"{path}.{name} = :set_{name.lstrip('#')}" for name in sets]
    expression = f"SET {', '.join([*assignments, 'updatedAt = :now'])}"
    if also:
        expression += f", {also.replace('{r}', path)}"
    if remove:
        expression += f" REMOVE {path}.{remove}"
    return _request(
        message,
        expression,
        condition.replace("{r}", path),
        {
            **{f":set_{name.lstrip('#')}": value for name, value in sets.items()},
            ":now": _json(clock.now()),
            **values,
        },
    )


def _request(
    message: Message, expression: str, condition: str, values: dict[str, Any]
) -> dict[str, Any]:
    # DynamoDB refuses names an expression does not use, so pass only those it does.
    used = set(_NAME.findall(expression + " " + condition))
    return {
        "TableName": table().name,
        "Key": keys.message(message.handle, message.message_id),
        "UpdateExpression": expression,
        "ConditionExpression": condition,
        "ExpressionAttributeNames": {name: _NAMES[name] for name in sorted(used)},
        "ExpressionAttributeValues": values,
    }


def _from_claim(claimed_at: datetime) -> tuple[str, dict[str, Any]]:
    return (
        "{r}.#s = :expected AND {r}.claimedAt = :claimed",
        {":expected": MessageStatus.SENDING.value, ":claimed": _json(claimed_at)},
    )


def claim(message: Message, index: int, at: datetime) -> bool:
    """Claim a recipient before its SES call: QUEUED -> SENDING with claimedAt, and the
    message QUEUED -> SENDING. Only one of any number of concurrent claims succeeds."""
    sending = MessageStatus.SENDING.value
    update = _recipient_update(
        message,
        index,
        sets={"#s": sending, "claimedAt": _json(at)},
        # While a recipient is QUEUED the message has no outcome yet: QUEUED or SENDING.
        condition="{r}.#s = :queued AND #status IN (:queued, :sending)",
        values={
            ":queued": MessageStatus.QUEUED.value,
            ":sending": sending,
            ":by_status": keys.messages_by_status(message.handle, sending),
        },
        also="#status = :sending, GSI1PK = :by_status",
    )
    return _conditional(lambda client: client.update_item(**update))


def release(message: Message, index: int, claimed_at: datetime) -> bool:
    """Give a claim back (SES did not take the message): SENDING -> QUEUED, if still ours."""
    condition, values = _from_claim(claimed_at)
    update = _recipient_update(
        message,
        index,
        sets={"#s": MessageStatus.QUEUED.value},
        condition=condition,
        values=values,
        remove="claimedAt",
    )
    return _conditional(lambda client: client.update_item(**update))


def settle(
    message: Message,
    index: int,
    event: DeliveryEvent,
    status: MessageStatus,
    *,
    claimed_at: datetime | None,
    reason: str | None = None,
    ses_message_id: str | None = None,
) -> bool:
    """Record a recipient's send outcome and its event together: from our claim (SENDING with
    that claimedAt) when `claimed_at` is given, else from QUEUED (never claimed)."""
    if claimed_at is None:
        condition, values = "{r}.#s = :expected", {":expected": MessageStatus.QUEUED.value}
    else:
        condition, values = _from_claim(claimed_at)
    sets: dict[str, Any] = {"#s": status.value}
    if reason is not None:
        sets["reason"] = reason
    if ses_message_id is not None:
        sets["sesMessageId"] = ses_message_id
    update = _recipient_update(message, index, sets=sets, condition=condition, values=values)
    return not _transact([_put_event(event), {"Update": update}])


class Advance(Enum):
    MOVED = "moved"  # status moved forward, event written
    RECORDED = "recorded"  # status already as far or further; event written on its own
    STALE = "stale"  # status already as far or further; event not written
    DUPLICATE = "duplicate"  # this event was handled before


def advance(
    message: Message,
    index: int,
    event: DeliveryEvent,
    status: MessageStatus,
    *,
    ses_message_id: str,
    reason: str | None,
    record_if_stale: bool,
) -> Advance:
    """Feedback: move a recipient forward (to a higher rank only) with its event, which is
    written at most once (its id comes from the SES event). A status that cannot move still
    gets its event on the timeline if `record_if_stale`."""
    condition, values = _in("{r}.#s", _lower_than(status), "lower")
    sets: dict[str, Any] = {"#s": status.value}
    if reason is not None:
        sets["reason"] = reason
    update = _recipient_update(
        message,
        index,
        sets=sets,
        condition=condition,
        values={**values, ":ses_id": ses_message_id},
        # Keep the id delivery stored; fill it in when SES reported before delivery could.
        also="{r}.sesMessageId = if_not_exists({r}.sesMessageId, :ses_id)",
    )
    reasons = _transact([_put_event(event), {"Update": update}])
    if not reasons:
        return Advance.MOVED
    if reasons[0] == _CONDITION_FAILED:
        return Advance.DUPLICATE
    if reasons[1] != _CONDITION_FAILED:
        raise RuntimeError(f"feedback transaction cancelled: {reasons}")
    if not record_if_stale:
        return Advance.STALE
    return Advance.RECORDED if put_event(event) else Advance.DUPLICATE


def set_status(message: Message, status: MessageStatus, reason: str | None) -> bool:
    """Move the message (PK=HANDLE#h, SK=MSG#id) to `status` if that is forward, keeping its
    GSI1 status partition in step."""
    condition, values = _in("#status", _lower_than(status), "lower")
    expression = "SET #status = :status, GSI1PK = :by_status, updatedAt = :now"
    if reason is not None:
        expression += ", statusReason = :reason"
        values[":reason"] = reason
    values |= {
        ":status": status.value,
        ":by_status": keys.messages_by_status(message.handle, status.value),
        ":now": _json(clock.now()),
    }
    update = _request(message, expression, condition, values)
    return _conditional(lambda client: client.update_item(**update))


def _put_event(event: DeliveryEvent) -> dict[str, Any]:
    return {
        "Put": {
            "TableName": table().name,
            "Item": EventItem.from_domain(event).to_item(),
            "ConditionExpression": "attribute_not_exists(PK)",
        }
    }


def put_event(event: DeliveryEvent) -> bool:
    """Add an event to a message's timeline (SK=MEVT#msg#event) unless it is there already."""
    put = _put_event(event)["Put"]
    return _conditional(lambda client: client.put_item(**put))


def _transact(items: list[dict[str, Any]]) -> list[str]:
    """A transaction whose only expected cancellation is a failed condition; a clash with
    another transaction on the same message (TransactionConflict) is retried."""
    for _ in range(_TRANSACTION_ATTEMPTS):
        reasons = transact(items)
        if not reasons or _CONDITION_FAILED in reasons:
            return reasons
        if "TransactionConflict" not in reasons:
            break
    raise RuntimeError(f"transaction cancelled: {reasons}")


def _conditional(write: Callable[[Any], object]) -> bool:
    """Run one conditional write; False when its condition did not hold."""
    client = table().meta.client
    try:
        write(client)
    except client.exceptions.ConditionalCheckFailedException:
        return False
    return True
