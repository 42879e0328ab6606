"""Direct sends: check, store and queue one message.

Checks, in this order, each with the contract's code. First what needs no read: the body's
shape (400 invalid_request) and the recipients (400 invalid_recipient: plain addresses, at
most 50 entries, duplicates removed case-insensitively). Then, after one read: a replay of a stored
idempotencyKey answers with the original message (a different body under the same key: 409
idempotency_key_conflict); the handle's sending is not paused (403 handle_sending_paused);
the sender exists (404
sender_profile_not_found), is READY (409 sender_profile_not_ready) and allows the purpose
(403 sender_purpose_not_allowed); consentAttestation is true (400
consent_attestation_required); the template exists (404 email_template_not_found) and is
ACTIVE (409 email_template_not_active), and every variable it uses is given (400
missing_template_variables: direct sends refuse what would render empty); no recipient is
suppressed (409 email_recipient_suppressed); the day's quota has room (429
email_quota_exceeded, with Retry-After); the delivery queue takes it (503
transactional_email_queue_unavailable).

The quota is checked against the day's usage as read. Usage counts stored messages, charged
by the event projection from the table's stream a few seconds after they are stored, not in
the store's own write: so sends racing each other within those seconds can pass the limit
together by what they carry (decision log, "a message is stored in one write; what follows
from it comes from the stream").

The one read is made with the route's access check (`prefetch`: the keys this body names,
read in the access check's BatchGetItem; the route entrypoint), so a send costs that read,
the enqueue and the store; the answers above keep their order all the same. That read is
eventually consistent (half the price of a consistent one): every check it serves is made
again where it matters, or confirmed. A missing handle, membership, sender or template is
read again consistently before the request is refused; a stale idempotency key is caught by
the store's condition (the request then answers as its replay); a suppression or a sender
disabled a moment ago is caught by delivery's consistent re-check (DENIED, never sent);
usage is a soft count anyway (below). What a stale read can still let through for about a
second after a change: a send from a member just removed, or rendered with the template
version active just before an update.

Order of effects: enqueue first, then store. A failed enqueue leaves nothing behind (the
retry starts clean); a failed store leaves only a queue record that names a message that
does not exist, which delivery drops. So no accepted message is ever left unqueued, and
quota and idempotency only count messages that were accepted.
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from tenx_email import clock, ids, keys, sandbox
from tenx_email.adapters import queues
from tenx_email.dal import message_size
from tenx_email.dal import messages as store
from tenx_email.dal.message_items import IdempotencyItem
from tenx_email.errors import (
    ConsentAttestationRequired,
    EmailQuotaExceeded,
    EmailRecipientSuppressed,
    EmailTemplateNotActive,
    EmailTemplateNotFound,
    IdempotencyKeyConflict,
    InvalidRecipient,
    MessageTooLarge,
    MissingTemplateVariables,
    SenderProfileNotFound,
    SenderProfileNotReady,
    SenderPurposeNotAllowed,
    TransactionalEmailQueueUnavailable,
)
from tenx_email.identity_models import SenderStatus
from tenx_email.ids import EMAIL_ADDRESS, IDEMPOTENCY_KEY, SENDER_ID, TEMPLATE_ID
from tenx_email.message_models import DeliveryEvent, EventType, Message, MessageStatus, Recipient
from tenx_email.models import HandleAccess, Purpose
from tenx_email.rendering import has_header_breakers, render
from tenx_email.services import sandbox as sandbox_check
from tenx_email.services import sending_pause
from tenx_email.services.quotas import DEFAULT_DAILY_LIMIT, quota_day
from tenx_email.settings import delivery_settings
from tenx_email.template_models import TemplateStatus

MAX_RECIPIENTS = 50
# More `to` entries than the request schema allows (before duplicates are removed): such a
# body is refused anyway, so its prefetch does not look at them.
_MAX_TO_ENTRIES = 500
IDEMPOTENCY_RETENTION = timedelta(hours=48)


@dataclass(frozen=True)
class SendRequest:
    sender_id: str
    to: tuple[str, ...]
    purpose: Purpose
    consent_attestation: bool
    template_id: str
    variables: dict[str, str]
    idempotency_key: str | None = None
    list_unsubscribe: bool | None = None  # None: only for PRODUCT_NOTIFICATION
    test_mode: bool = False

    @property
    def carries_list_unsubscribe(self) -> bool:
        if self.list_unsubscribe is None:
            return self.purpose is Purpose.PRODUCT_NOTIFICATION
        return self.list_unsubscribe


@dataclass(frozen=True)
class Accepted:
    message: Message
    replayed: bool  # True: an idempotent replay of an earlier request


def prefetch(handle_name: str, body: Mapping[str, Any]) -> list[keys.Key]:
    """What queue_message reads (its send context), from the body as sent, before anything
    validated it, for the access check to read along. Lenient: an id, key or address that
    fails its pattern is left out, and so are the suppressions when `to` is not a list of at
    most MAX_RECIPIENTS distinct plain addresses; a body that is not a JSON object reads
    nothing. Whatever is left out, queue_message reads itself."""
    if not body:
        return []
    sender_id, template_id = body.get("senderId"), body.get("templateId")
    idempotency_key, to = body.get("idempotencyKey"), body.get("to")
    return store.send_context_keys(
        handle_name,
        quota_day(clock.now()),
        sender_id=sender_id if _matches(SENDER_ID, sender_id) else None,
        template_id=template_id if _matches(TEMPLATE_ID, template_id) else None,
        idempotency_key=idempotency_key if _matches(IDEMPOTENCY_KEY, idempotency_key) else None,
        recipients=_lenient_recipients(to),
    )


def _matches(pattern: re.Pattern[str], value: object) -> bool:
    return isinstance(value, str) and pattern.fullmatch(value) is not None


def _lenient_recipients(to: object) -> list[str]:
    """`to` as queue_message keys its suppressions (stripped, lowercased, unique), or [] if
    it is not a list of plain addresses that queue_message would accept."""
    if not isinstance(to, list) or len(to) > _MAX_TO_ENTRIES:
        return []
    if not all(isinstance(address, str) for address in to):
        return []
    try:
        recipients = normalize_recipients(tuple(to))
    except InvalidRecipient:
        return []
    return [address.lower() for address in recipients]


def normalize_recipients(addresses: tuple[str, ...]) -> tuple[str, ...]:
    """Valid, plain addresses, first occurrence kept, duplicates removed case-insensitively.
    The limit counts entries, duplicates included, so that the OpenAPI document can state it
    (maxItems) as it is."""
    if len(addresses) > MAX_RECIPIENTS:
        raise InvalidRecipient(f"`to` takes at most {MAX_RECIPIENTS} addresses")
    unique: dict[str, str] = {}
    for address in addresses:
        candidate = address.strip()
        if has_header_breakers(candidate) or not EMAIL_ADDRESS.fullmatch(candidate):
            raise InvalidRecipient(f"not a single plain email address: {len(unique) + 1}. entry")
        unique.setdefault(candidate.lower(), candidate)
    if not unique:
        raise InvalidRecipient("`to` needs at least one recipient")
    return tuple(unique.values())


def _request_hash(handle: str, request: SendRequest, recipients: tuple[str, ...]) -> str:
    canonical = {
        "handle": handle,
        "senderId": request.sender_id,
        "to": sorted(address.lower() for address in recipients),
        "purpose": request.purpose.value,
        "templateId": request.template_id,
        "variables": request.variables,
        "consentAttestation": request.consent_attestation,
    }
    # Each only when given, so the hashes of requests without them are as they always were.
    if request.list_unsubscribe is not None:
        canonical["listUnsubscribe"] = request.list_unsubscribe
    if request.test_mode:
        canonical["testMode"] = True
    return hashlib.sha256(json.dumps(canonical, sort_keys=True).encode()).hexdigest()


def _seconds_until_next_day(now: datetime) -> int:
    tomorrow = (now + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    return max(1, int((tomorrow - now).total_seconds()))


def _replay(handle: str, idempotency: IdempotencyItem, request_hash: str) -> Accepted:
    if idempotency.request_hash != request_hash:
        raise IdempotencyKeyConflict(
            "this idempotencyKey was used for a different request; use a new key"
        )
    original = store.get(handle, idempotency.message_id)
    if original is None:  # the key outlives nothing it names; should not happen
        raise IdempotencyKeyConflict("this idempotencyKey's message is gone; use a new key")
    return Accepted(message=original, replayed=True)


def queue_message(access: HandleAccess, request: SendRequest) -> Accepted:
    handle = access.handle.handle
    recipients = normalize_recipients(request.to)
    now = clock.now()
    day = quota_day(now)
    context = store.read_send_context(
        handle,
        request.sender_id,
        request.template_id,
        request.idempotency_key,
        [address.lower() for address in recipients],
        day,
    )
    if context.sender is None or context.template is None:
        # The access check reads eventually consistently: a sender or template made a moment
        # ago may not show there yet, so a refusal for a missing one is confirmed first.
        context = store.confirm_sender_and_template(
            context, handle, request.sender_id, request.template_id
        )
    request_hash = _request_hash(handle, request, recipients)
    if context.idempotency is not None:
        return _replay(handle, context.idempotency, request_hash)
    sending_pause.refuse_if_paused(access.handle)

    sender = context.sender
    if sender is None:
        raise SenderProfileNotFound(f"sender profile {request.sender_id} does not exist")
    if sender.status is not SenderStatus.READY:
        raise SenderProfileNotReady(
            f"sender profile {sender.sender_id} is disabled or its domain is not READY"
        )
    if request.purpose not in sender.purposes:
        raise SenderPurposeNotAllowed(
            f"sender profile {sender.sender_id} does not allow {request.purpose.value}"
        )
    if not request.consent_attestation:
        raise ConsentAttestationRequired("set consentAttestation: true to attest consent")
    template = context.template
    if template is None:
        raise EmailTemplateNotFound(f"template {request.template_id} does not exist")
    if template.status is not TemplateStatus.ACTIVE:
        raise EmailTemplateNotActive(f"template {template.template_id} is paused")
    missing = [name for name in template.active_variables if name not in request.variables]
    if missing:
        raise MissingTemplateVariables(f"variables missing: {', '.join(missing)}")
    suppressed = {
        entry.email for entry in context.suppressions if entry.applies_to(request.purpose)
    }
    refused = [address for address in recipients if address.lower() in suppressed]
    if refused:
        raise EmailRecipientSuppressed(
            f"{len(refused)} recipient(s) are suppressed for this handle's "
            f"{request.purpose.value} mail"
        )
    sandbox_check.check_recipients(access.handle, recipients, request.test_mode)
    configured = context.daily_limit if context.daily_limit is not None else DEFAULT_DAILY_LIMIT
    daily_limit = sandbox.daily_limit(access.handle, configured)
    if not request.test_mode and context.used_today + len(recipients) > daily_limit:
        raise _quota_exceeded(now, daily_limit)
    subject = render(template.active_subject, None, None, request.variables).subject

    message = Message(
        handle=handle,
        # Any shard: a direct send's id is made once (a retry finds it by its idempotency key).
        message_id=ids.message_id(now, shard=secrets.randbelow(access.handle.shard_count)),
        status=MessageStatus.QUEUED,
        purpose=request.purpose,
        sender_id=sender.sender_id,
        from_name=sender.display_name,
        from_address=sender.from_email,
        reply_to=sender.reply_to,
        recipients=tuple(Recipient(email=address) for address in recipients),
        subject=subject,
        template_id=template.template_id,
        template_version=template.active_version,
        variables=request.variables,
        idempotency_key=request.idempotency_key,
        list_unsubscribe=request.carries_list_unsubscribe,
        test_mode=request.test_mode,
        created_at=now,
        updated_at=now,
    )
    queued = DeliveryEvent(
        handle=handle,
        message_id=message.message_id,
        event_id=ids.ulid(now),
        type=EventType.QUEUED,
        purpose=message.purpose,
        occurred_at=now,
        test_mode=message.test_mode,
    )
    _check_size(message, queued)
    _enqueue(message)
    idempotency = (
        IdempotencyItem(
            **keys.idempotency(handle, request.idempotency_key),
            message_id=message.message_id,
            request_hash=request_hash,
            expires_at=int((now + IDEMPOTENCY_RETENTION).timestamp()),
        )
        if request.idempotency_key
        else None
    )
    try:
        store.accept(message, queued, idempotency)
    except store.IdempotencyKeyTaken:
        # A concurrent request with the same key won; answer as its replay.
        taken = store.get_idempotency(handle, request.idempotency_key or "")
        if taken is None:
            raise
        return _replay(handle, taken, request_hash)
    return Accepted(message=message, replayed=False)


def _quota_exceeded(now: datetime, daily_limit: int) -> EmailQuotaExceeded:
    wait = _seconds_until_next_day(now)
    return EmailQuotaExceeded(
        f"the handle's daily quota of {daily_limit} recipients is used up",
        headers={"Retry-After": str(wait)},
    )


def _check_size(message: Message, queued: DeliveryEvent) -> None:
    """The stored message, with room for every event each recipient can get, must fit an item
    (413 message_too_large, before anything is queued)."""
    recipients = len(message.recipients)
    reserved = message_size.growth_bytes(recipients)
    stored = store.stored_bound_bytes(message, queued) - reserved
    room = message_size.ITEM_LIMIT_BYTES - reserved
    if stored > room:
        raise MessageTooLarge(
            f"this message would store {stored} bytes (subject, variables, recipients); with "
            f"{recipients} recipient(s) at most {room} fit: send smaller or fewer variables, "
            "or split the recipients over several messages"
        )


def _enqueue(message: Message) -> None:
    queue_url = delivery_settings().delivery_queue_url
    if not queue_url:
        raise TransactionalEmailQueueUnavailable("no delivery queue is configured here")
    try:
        queues.enqueue_delivery(queue_url, message.handle, message.message_id)
    except queues.QueueUnavailable as error:
        raise TransactionalEmailQueueUnavailable(
            "the delivery queue is unavailable; retry with the same idempotencyKey"
        ) from error
