"""Messages, their events and idempotency keys: what the send route writes and the
inspection routes read, and the quota and usage the send checks. (Delivery's recipient
claims live in dal/delivery.py.)"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from boto3.dynamodb.conditions import Attr, ConditionBase

from tenx_email import keys
from tenx_email.dal import message_size, pagination, sharded
from tenx_email.dal.identity_items import SenderItem
from tenx_email.dal.message_items import (
    IdempotencyItem,
    MessageItem,
    QuotaItem,
    SuppressionItem,
    UsageItem,
    real_sends,
)
from tenx_email.dal.queries import Page, batch_get, confirmed, get_item
from tenx_email.dal.table import ABSENT, table, transact
from tenx_email.dal.template_items import TemplateItem
from tenx_email.identity_models import Sender
from tenx_email.message_models import DeliveryEvent, Message
from tenx_email.sending_models import Suppression
from tenx_email.template_models import Template

_TRANSACTION_ATTEMPTS = 3


class IdempotencyKeyTaken(Exception):
    """Another request stored this idempotency key first."""


@dataclass(frozen=True)
class SendContext:
    """Everything a send checks, read in one BatchGetItem."""

    sender: Sender | None
    template: Template | None
    idempotency: IdempotencyItem | None
    suppressions: tuple[Suppression, ...]
    daily_limit: int | None
    used_today: int


def send_context_keys(
    handle_name: str,
    day: str,
    *,
    sender_id: str | None = None,
    template_id: str | None = None,
    idempotency_key: str | None = None,
    recipients: Sequence[str] = (),
) -> list[keys.Key]:
    """What `read_send_context` reads (recipients lowercased): the sender, template and
    idempotency key when given, quota, the day's usage, each recipient's suppression."""
    wanted = [keys.sender(handle_name, sender_id)] if sender_id else []
    if template_id:
        wanted.append(keys.template(handle_name, template_id))
    wanted += [keys.quota(handle_name), keys.usage(handle_name, day)]
    wanted += [keys.suppression(handle_name, email) for email in recipients]
    if idempotency_key:
        wanted.append(keys.idempotency(handle_name, idempotency_key))
    return wanted


def read_send_context(
    handle_name: str,
    sender_id: str,
    template_id: str,
    idempotency_key: str | None,
    recipients: list[str],
    day: str,
) -> SendContext:
    """Direct send: sender, template, idempotency key, the recipients' suppressions, quota and
    today's usage, in one BatchGetItem (at most 5 + 50 keys, under DynamoDB's 100), or none
    when the access check already read them (`send_context_keys`)."""
    found = batch_get(
        send_context_keys(
            handle_name,
            day,
            sender_id=sender_id,
            template_id=template_id,
            idempotency_key=idempotency_key,
            recipients=recipients,
        )
    )
    by_sort = {item["SK"]: item for item in found}

    def item(key: keys.Key) -> dict[str, Any] | None:
        return by_sort.get(key["SK"])

    sender = item(keys.sender(handle_name, sender_id))
    template = item(keys.template(handle_name, template_id))
    quota = item(keys.quota(handle_name))
    usage = item(keys.usage(handle_name, day))
    idempotency = item(keys.idempotency(handle_name, idempotency_key)) if idempotency_key else None
    return SendContext(
        sender=SenderItem.from_item(sender).to_domain() if sender else None,
        template=TemplateItem.from_item(template).to_domain() if template else None,
        idempotency=IdempotencyItem.from_item(idempotency) if idempotency else None,
        suppressions=tuple(
            SuppressionItem.from_item(entry).to_domain()
            for entry in found
            if entry["SK"].startswith(keys.SUPPRESSION_PREFIX)
        ),
        daily_limit=QuotaItem.from_item(quota).daily_limit if quota else None,
        used_today=UsageItem.from_item(usage).used if usage else 0,
    )


def confirm_sender_and_template(
    context: SendContext, handle_name: str, sender_id: str, template_id: str
) -> SendContext:
    """`context` with its sender or template, if an eventually consistent read found it
    missing, read again consistently (one made a moment ago shows then)."""
    missing = [
        key
        for key, found in (
            (keys.sender(handle_name, sender_id), context.sender),
            (keys.template(handle_name, template_id), context.template),
        )
        if found is None
    ]
    by_sort = {item["SK"]: item for item in confirmed(missing)}
    sender = by_sort.get(keys.sender(handle_name, sender_id)["SK"])
    template = by_sort.get(keys.template(handle_name, template_id)["SK"])
    return replace(
        context,
        sender=SenderItem.from_item(sender).to_domain() if sender else context.sender,
        template=TemplateItem.from_item(template).to_domain() if template else context.template,
    )


def stored_bound_bytes(message: Message, queued: DeliveryEvent) -> int:
    """The most the message's item, stored as `accept` stores it, can ever weigh with every
    event it can get (dal/message_size.py)."""
    item = MessageItem.from_domain(message, [queued]).to_item()
    return message_size.bound_bytes(item, len(message.recipients))


def accept(message: Message, queued: DeliveryEvent, idempotency: IdempotencyItem | None) -> None:
    """Store an accepted message: the message (PK=HANDLE#h, SK=MSG#id) with its QUEUED event on
    its timeline and, when the request named one, its idempotency key (never overwriting one),
    both or neither. The day's usage is charged by the event projection when it sees the
    message stored."""
    item = MessageItem.from_domain(message, [queued]).to_item()
    if idempotency is None:
        table().put_item(Item=item, ConditionExpression=ABSENT)
        return
    for _ in range(_TRANSACTION_ATTEMPTS):
        reasons = transact([_put_new(item), _put_new(idempotency.to_item())])
        if not reasons:
            return
        if reasons[1] == "ConditionalCheckFailed":
            raise IdempotencyKeyTaken(message.idempotency_key)
        if "TransactionConflict" not in reasons:
            raise RuntimeError(f"message write cancelled: {reasons}")
    raise RuntimeError("message write kept conflicting with concurrent writes")


def _put_new(item: dict[str, Any]) -> dict[str, Any]:
    return {"Put": {"TableName": table().name, "Item": item, "ConditionExpression": ABSENT}}


def get(handle_name: str, message_id: str) -> Message | None:
    """Get a handle's message by id."""
    found = get_item(keys.message(handle_name, message_id), consistent=True)
    return MessageItem.from_item(found).to_domain() if found else None


def get_with_timeline(
    handle_name: str, message_id: str
) -> tuple[Message, list[DeliveryEvent]] | None:
    """A handle's message and its timeline, oldest event first (both on the message item)."""
    found = get_item(keys.message(handle_name, message_id), consistent=True)
    if not found:
        return None
    item = MessageItem.from_item(found)
    return item.to_domain(), item.events()


def timeline_page(
    handle_name: str,
    message_id: str,
    *,
    purpose: str | None,
    since_event_id: str | None,
    limit: int,
    next_token: str | None,
) -> Page[DeliveryEvent] | None:
    """One page of a message's events, oldest first, from its item (None: no such message).
    Its tokens name the last event given out (`MEVT#<messageId>#<eventId>` under the handle's
    partition), checked like every list's (`pagination`)."""
    found = get_with_timeline(handle_name, message_id)
    if found is None:
        return None
    message, events = found
    handle_pk = keys.handle(handle_name)["PK"]
    prefix = keys.events_of_message_prefix(message_id)
    start = pagination.decode(next_token, exact={keys.PK: handle_pk}, prefixes={keys.SK: prefix})
    after = start[keys.SK][len(prefix) :] if start else ""
    since = since_event_id or ""
    # A message's events all have its purpose.
    of_purpose = purpose is None or message.purpose.value == purpose
    wanted = [
        event
        for event in events
        if of_purpose and event.event_id > after and event.event_id >= since
    ]
    page = wanted[:limit]
    if len(wanted) <= limit:
        return Page(page, None)
    return Page(
        page, pagination.encode({keys.PK: handle_pk, keys.SK: f"{prefix}{page[-1].event_id}"})
    )


def get_idempotency(handle_name: str, idempotency_key: str) -> IdempotencyItem | None:
    """Get an idempotency key's record."""
    key = keys.idempotency(handle_name, idempotency_key)
    found = get_item(key, consistent=True)
    return IdempotencyItem.from_item(found) if found else None


def list_messages(
    handle_name: str,
    *,
    shards: int,
    status: str | None,
    purpose: str | None,
    limit: int,
    next_token: str | None,
    test_mode: bool | None = None,
) -> Page[Message]:
    """A handle's messages, newest first, across its `shards` (dal/sharded.py: SK begins_with
    MSG# in each), status and purpose as filters. Messages are in no index, so that their
    many writes (accept, each recipient's claim and outcome, feedback) do not write one too;
    test_mode keeps test sends (True) or real ones (False) only; a filtered page may hold
    fewer than `limit` (even none) and still have a next page. Its tokens are bound to its
    filters."""
    scope = {name: value for name, value in (("status", status), ("purpose", purpose)) if value}
    filters: ConditionBase | None = None
    for name, value in scope.items():
        condition = Attr(name).eq(value)
        filters = condition if filters is None else filters & condition
    if test_mode is not None:
        kept: ConditionBase = Attr("testMode").eq(True) if test_mode else real_sends()
        filters = kept if filters is None else filters & kept
        scope["testMode"] = "true" if test_mode else "false"
    items, token = sharded.newest_messages_page(
        handle_name, shards, limit=limit, next_token=next_token, filters=filters, scope=scope
    )
    return Page([MessageItem.from_item(item).to_domain() for item in items], token)
