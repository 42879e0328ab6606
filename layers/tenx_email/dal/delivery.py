"""Delivery and feedback's writes on the message item: each recipient's status transitions
(with the timeline event they produce) and the message's own status.

Every transition is a conditional update of one element of the message's `recipients` list,
so it happens at most once and only from the status it expects; a transition that produces
an event adds it to the message's timeline (under its id, only if not there yet) in the same
write. A transition may also move the message's own status forward in the same write
(`conclude`): it is then also conditioned on every other recipient still having the status
the caller read, so the status it writes is exactly the outcome of the recipients as they
are when it is written. (The event lists beyond a message's own are projected from the
table's stream: services/projection.py.)

What delivery and feedback read before these writes (messages, the re-check) is in
dal/delivery_reads.py."""

from __future__ import annotations

import re
from datetime import datetime
from enum import Enum
from typing import Any

from pydantic_core import to_jsonable_python

from tenx_email import clock, keys
from tenx_email.dal.message_items import TimelineEntryItem
from tenx_email.dal.message_size import bounded_detail, stale_event_limit
from tenx_email.dal.table import conditional, table
from tenx_email.message_models import DeliveryEvent, Message, MessageStatus

_NAMES = {"#r": "recipients", "#s": "status", "#status": "status", "#tl": "timeline"}
_NAME = re.compile(r"#\w+")

# A message's status once every recipient has one, with its reason
# (`services/recipient_state.py`, `outcome_of`).
Outcome = tuple[MessageStatus, str | None]


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
    event_id: str | None = None,
) -> dict[str, Any]:
    """An Update of recipient `index` of the message: `sets` are the recipient's attributes,
    `also` more assignments (with their values in `values`), `remove` attributes to remove;
    `{r}` in the condition, `also` and `remove` stands for the recipient's path, `#event` for
    `event_id`."""
    path = f"#r[{index}]"
    assignments = [f"{path}.{name} = :set_{name.lstrip('#')}" for name in sets]
    expression = f"SET {', '.join([*assignments, 'updatedAt = :now'])}"
    if also:
        expression += f", {also.replace('{r}', path)}"
    if remove:
        expression += f" REMOVE {remove.replace('{r}', path)}"
    return _request(
        message,
        expression,
        condition.replace("{r}", path),
        {
            **{f":set_{name.lstrip('#')}": value for name, value in sets.items()},
            ":now": _json(clock.now()),
            **values,
        },
        event_id,
    )


def _request(
    message: Message,
    expression: str,
    condition: str,
    values: dict[str, Any],
    event_id: str | None = None,
) -> dict[str, Any]:
    # DynamoDB refuses names an expression does not use, so pass only those it does.
    used = set(_NAME.findall(expression + " " + condition))
    names = _NAMES if event_id is None else {**_NAMES, "#event": event_id}
    return {
        "TableName": table().name,
        "Key": keys.message(message.handle, message.message_id),
        "UpdateExpression": expression,
        "ConditionExpression": condition,
        "ExpressionAttributeNames": {name: names[name] for name in sorted(used)},
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
        values={":queued": MessageStatus.QUEUED.value, ":sending": sending},
        also="#status = :sending",
    )
    return conditional(lambda: table().meta.client.update_item(**update))


def release(message: Message, index: int, claimed_at: datetime) -> bool:
    """Give a claim back (SES did not take the message): SENDING -> QUEUED, if still ours."""
    condition, values = _from_claim(claimed_at)
    update = _recipient_update(
        message,
        index,
        sets={"#s": MessageStatus.QUEUED.value},
        condition=condition,
        values=values,
        remove="{r}.claimedAt",
    )
    return conditional(lambda: table().meta.client.update_item(**update))


def _and(*conditions: str) -> str:
    return " AND ".join(condition for condition in conditions if condition)


def _others_as_read(message: Message, index: int | None) -> tuple[str, dict[str, Any]]:
    """A condition: every recipient but `index` still has the status `message` shows."""
    parts, values = [], {}
    for other, recipient in enumerate(message.recipients):
        if other != index:
            placeholder = f":was_{recipient.status.value}"
            parts.append(f"#r[{other}].#s = {placeholder}")
            values[placeholder] = recipient.status.value
    return " AND ".join(parts), values


def _move_status(outcome: Outcome) -> tuple[str, str, dict[str, Any]]:
    """The message to `outcome` if that is forward: (assignments, condition, values)."""
    status, reason = outcome
    condition, values = _in("#status", _lower_than(status), "below")
    assignments = "#status = :status"
    moved: dict[str, Any] = {**values, ":status": status.value}
    if reason is not None:
        assignments += ", statusReason = :status_reason"
        moved[":status_reason"] = bounded_detail(reason)
    return assignments, condition, moved


def _with_outcome(
    message: Message,
    index: int,
    condition: str,
    values: dict[str, Any],
    outcome: Outcome | None,
    *,
    others_as_read: bool,
) -> tuple[str, dict[str, Any], str]:
    """Add to an update of recipient `index`: the other recipients' statuses as `message`
    shows them (when asked, and always with an outcome) and the message's move to `outcome`
    (if any). Returns (condition, values, more assignments)."""
    assignments = ""
    if others_as_read or outcome is not None:
        others, as_read = _others_as_read(message, index)
        condition, values = _and(condition, others), {**values, **as_read}
    if outcome is not None:
        assignments, forward, moved = _move_status(outcome)
        condition, values = _and(condition, forward), {**values, **moved}
    return condition, values, assignments


def settle(
    message: Message,
    index: int,
    event: DeliveryEvent,
    status: MessageStatus,
    *,
    claimed_at: datetime | None,
    reason: str | None = None,
    ses_message_id: str | None = None,
    conclude: Outcome | None = None,
) -> bool:
    """Record a recipient's send outcome and its event in one write: from our claim (SENDING
    with that claimedAt) when `claimed_at` is given, else from QUEUED (never claimed). With
    `conclude`, the same write gives the message that outcome, if every other recipient
    still has the status `message` shows and the move is forward; else nothing is written
    (False), and the caller may record the recipient alone."""
    if claimed_at is None:
        condition, values = "{r}.#s = :expected", {":expected": MessageStatus.QUEUED.value}
    else:
        condition, values = _from_claim(claimed_at)
    condition, values, also = _with_outcome(
        message, index, condition, values, conclude, others_as_read=False
    )
    sets: dict[str, Any] = {"#s": status.value}
    if reason is not None:
        sets["reason"] = bounded_detail(reason)
    if ses_message_id is not None:
        sets["sesMessageId"] = ses_message_id
    append, new_event, entry = _append(event, index)
    update = _recipient_update(
        message,
        index,
        sets=sets,
        condition=_and(condition, new_event),
        values={**values, **entry},
        also=", ".join(assignment for assignment in (append, also) if assignment),
        event_id=event.event_id,
    )
    return conditional(lambda: table().meta.client.update_item(**update))


class Advance(Enum):
    MOVED = "moved"  # status moved forward, event written
    CONFLICT = "conflict"  # the message is not as read (or has this event): read it again


def advance(
    message: Message,
    index: int,
    event: DeliveryEvent,
    status: MessageStatus,
    *,
    ses_message_id: str,
    reason: str | None,
    conclude: Outcome | None,
) -> Advance:
    """Feedback: move a recipient forward (to a higher rank only) with its event, which is
    written at most once (its id comes from the SES event), and with `conclude` the message
    to that outcome (forward only). Only while every other recipient has the status
    `message` shows: the caller decided from them whether the message moves."""
    condition, values = _in("{r}.#s", _lower_than(status), "lower")
    condition, values, also = _with_outcome(
        message, index, condition, values, conclude, others_as_read=True
    )
    sets: dict[str, Any] = {"#s": status.value}
    # An UNKNOWN recipient (and message) carries why it was unknown: moved on, that is stale.
    removes = []
    if reason is not None:
        sets["reason"] = bounded_detail(reason)
    else:
        removes.append("{r}.reason")
    if conclude is not None and conclude[1] is None:
        removes.append("statusReason")
    # Keep the id delivery stored; fill it in when SES reported before delivery could.
    keep_id = "{r}.sesMessageId = if_not_exists({r}.sesMessageId, :ses_id)"
    append, new_event, entry = _append(event, index)
    update = _recipient_update(
        message,
        index,
        sets=sets,
        condition=_and(condition, new_event),
        values={**values, ":ses_id": ses_message_id, **entry},
        also=", ".join(assignment for assignment in (keep_id, append, also) if assignment),
        remove=", ".join(removes),
        event_id=event.event_id,
    )
    moved = conditional(lambda: table().meta.client.update_item(**update))
    return Advance.MOVED if moved else Advance.CONFLICT


def conclude(message: Message, status: MessageStatus, reason: str | None) -> bool:
    """Give the message (PK=HANDLE#h, SK=MSG#id) the outcome of its recipients: `status` if
    that is forward, and only if every recipient still has the status `message` shows (the
    outcome was derived from them)."""
    assignments, forward, values = _move_status((status, reason))
    others, as_read = _others_as_read(message, None)
    stale_reason = " REMOVE statusReason" if reason is None else ""
    update = _request(
        message,
        f"SET {assignments}, updatedAt = :now{stale_reason}",
        _and(others, forward),
        {**values, **as_read, ":now": _json(clock.now())},
    )
    return conditional(lambda: table().meta.client.update_item(**update))


def _append(event: DeliveryEvent, index: int) -> tuple[str, str, dict[str, Any]]:
    """Adding `event` (of recipient `index`) to the message's timeline: the assignment, the
    condition that it is not there yet, and their values (its id is the name `#event`)."""
    entry = TimelineEntryItem.from_domain(event, index).to_item()
    return "#tl.#event = :event", "attribute_not_exists(#tl.#event)", {":event": entry}


def put_event(message: Message, index: int, event: DeliveryEvent) -> bool:
    """Add an event of recipient `index` that moves no status to the message's timeline,
    unless it is there already or the timeline holds as many entries as the message's size
    bound leaves room for such events (dal/message_size.py): False then."""
    append, new_event, entry = _append(event, index)
    update = _request(
        message,
        f"SET {append}, updatedAt = :now",
        _and("attribute_exists(PK)", new_event, "size(#tl) < :room"),
        {
            **entry,
            ":now": _json(clock.now()),
            ":room": stale_event_limit(len(message.recipients)),
        },
        event.event_id,
    )
    return conditional(lambda: table().meta.client.update_item(**update))


def mark_unsubscribed(message: Message, index: int, event: DeliveryEvent) -> bool:
    """The recipient `index` (still the address the link names) unsubscribed: its
    unsubscribedAt and the UNSUBSCRIBED event, in one write, once (False: done before)."""
    append, new_event, entry = _append(event, index)
    update = _recipient_update(
        message,
        index,
        sets={"unsubscribedAt": _json(event.occurred_at)},
        condition=_and(
            "attribute_exists(PK)",
            "{r}.email = :email",
            "attribute_not_exists({r}.unsubscribedAt)",
            new_event,
        ),
        values={":email": message.recipients[index].email, **entry},
        also=append,
        event_id=event.event_id,
    )
    return conditional(lambda: table().meta.client.update_item(**update))
