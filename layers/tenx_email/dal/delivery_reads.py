"""What delivery and feedback read of messages: a delivery batch reads its messages and what
their send-time re-check needs in two consistent BatchGetItems whatever its size
(`load_batch`); a record outside it reads its message and its re-check on its own
(`load_recheck`); a feedback batch reads its events' messages together (`load_messages`).
(Their writes, each recipient's status transitions, are in dal/delivery.py.)"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from tenx_email import keys, sandbox
from tenx_email.dal.identity_items import DomainIdentityItem, SenderItem
from tenx_email.dal.items import HandleItem
from tenx_email.dal.message_items import MessageItem, SuppressionItem
from tenx_email.dal.queries import ItemKey, item_key, items_by_key
from tenx_email.dal.sandbox import ready_among
from tenx_email.dal.table import table
from tenx_email.dal.template_items import TemplateVersionItem
from tenx_email.identity_models import DomainIdentity, Sender
from tenx_email.message_models import Message, MessageStatus
from tenx_email.models import Handle
from tenx_email.template_models import TemplateVersion

# A message's handle and id: how SQS records and SES events name it.
MessageRef = tuple[str, str]


@dataclass(frozen=True)
class Recheck:
    """What delivery checks again just before sending."""

    handle: Handle | None
    sender: Sender | None
    # The identity of the From address's domain, in the handle's account.
    identity: DomainIdentity | None
    version: TemplateVersion | None
    suppressed: frozenset[str]  # lowercased addresses suppressed for the message's purpose
    checked: frozenset[str]  # the lowercased addresses whose suppressions were read
    # Lowercased addresses a sandboxed handle may not mail (services/sandbox.py).
    outside_sandbox: frozenset[str] = frozenset()

    def covers(self, emails: Iterable[str]) -> bool:
        return {email.lower() for email in emails} <= self.checked


@dataclass(frozen=True)
class Loaded:
    """A message as a batch read found it (None: not stored), and its re-check when it has
    recipients to send to (None when it has none, or when it could not be read)."""

    message: Message | None
    recheck: Recheck | None


def _at(found: dict[ItemKey, dict[str, Any]], key: keys.Key) -> dict[str, Any] | None:
    return found.get(item_key(key))


def _recheck_keys(message: Message, handle: Handle | None, emails: set[str]) -> list[keys.Key]:
    wanted = [
        keys.sender(message.handle, message.sender_id),
        keys.template_version(message.handle, message.template_id, message.template_version),
    ]
    wanted += [keys.suppression(message.handle, email) for email in sorted(emails)]
    if handle is not None:
        wanted.append(keys.account_domain(handle.account_id, message.from_domain))
        wanted += _sandbox_keys(message, handle, emails)
    return wanted


def _sandbox_keys(message: Message, handle: Handle, emails: set[str]) -> list[keys.Key]:
    """A sandboxed handle's own domains among the recipients' (their identities)."""
    if not sandbox.needs_check(handle, message.test_mode):
        return []
    domains = sorted({sandbox.domain_of(email) for email in emails})
    return [keys.account_domain(handle.account_id, domain) for domain in domains]


def _outside_sandbox(
    message: Message, handle: Handle | None, emails: set[str], found: dict[ItemKey, dict[str, Any]]
) -> frozenset[str]:
    if handle is None or not sandbox.needs_check(handle, message.test_mode):
        return frozenset()
    items = [_at(found, key) for key in _sandbox_keys(message, handle, emails)]
    ready = ready_among(item for item in items if item is not None)
    return frozenset(sandbox.outsiders(emails, ready))


def _recheck(
    message: Message,
    handle: Handle | None,
    emails: set[str],
    found: dict[ItemKey, dict[str, Any]],
) -> Recheck:
    sender = _at(found, keys.sender(message.handle, message.sender_id))
    version = _at(
        found, keys.template_version(message.handle, message.template_id, message.template_version)
    )
    identity = (
        _at(found, keys.account_domain(handle.account_id, message.from_domain))
        if handle is not None
        else None
    )
    suppressions = [_at(found, keys.suppression(message.handle, email)) for email in emails]
    return Recheck(
        handle=handle,
        sender=SenderItem.from_item(sender).to_domain() if sender else None,
        identity=DomainIdentityItem.from_item(identity).to_domain() if identity else None,
        version=TemplateVersionItem.from_item(version).to_domain() if version else None,
        suppressed=frozenset(
            suppression.email
            for suppression in (
                SuppressionItem.from_item(item).to_domain()
                for item in suppressions
                if item is not None
            )
            if suppression.applies_to(message.purpose)
        ),
        checked=frozenset(emails),
        outside_sandbox=_outside_sandbox(message, handle, emails, found),
    )


def _pending_emails(message: Message) -> set[str]:
    return {r.email.lower() for r in message.recipients if r.status is MessageStatus.QUEUED}


def load_batch(refs: Iterable[MessageRef]) -> dict[MessageRef, Loaded]:
    """Delivery of a batch of records, in two rounds of consistent BatchGetItems (one call
    each up to 100 keys): first the messages (SK=MSG#id) and their handles (SK=HANDLE); then,
    for the messages with QUEUED recipients, their senders (SK=SENDER#id), template versions
    (SK=TMPLVER#id#n), those recipients' suppressions (SK=SUPP#email) and the identities of
    their From domains (PK=ACCOUNT#id, SK=DOMAIN#d: the account is the handle's).

    Every ref gets an entry but a message whose item cannot be read as one: that record
    reads again on its own (and fails there)."""
    wanted = list(dict.fromkeys(refs))
    first = items_by_key(
        key
        for handle_name, message_id in wanted
        for key in (keys.message(handle_name, message_id), keys.handle(handle_name))
    )
    handles: dict[str, Handle | None] = {}
    for handle_name in dict.fromkeys(handle_name for handle_name, _ in wanted):
        item = _at(first, keys.handle(handle_name))
        try:
            handles[handle_name] = HandleItem.from_item(item).to_domain() if item else None
        except ValidationError:
            continue  # its records read on their own
    messages: dict[MessageRef, Message | None] = {}
    for handle_name, message_id in wanted:
        item = _at(first, keys.message(handle_name, message_id))
        if handle_name not in handles:
            continue
        try:
            messages[(handle_name, message_id)] = (
                MessageItem.from_item(item).to_domain() if item else None
            )
        except ValidationError:
            continue
    to_check = {
        ref: message
        for ref, message in messages.items()
        if message is not None
        and message.status.rank < MessageStatus.SENT.rank
        and _pending_emails(message)
    }
    second = items_by_key(
        key
        for message in to_check.values()
        for key in _recheck_keys(message, handles[message.handle], _pending_emails(message))
    )
    loaded: dict[MessageRef, Loaded] = {}
    for ref, message in messages.items():
        recheck = None
        if ref in to_check and message is not None:
            try:
                recheck = _recheck(message, handles[ref[0]], _pending_emails(message), second)
            except ValidationError:
                recheck = None  # re-read on its own when it is needed
        loaded[ref] = Loaded(message, recheck)
    return loaded


def load_messages(refs: Iterable[MessageRef]) -> dict[MessageRef, Message | None]:
    """Feedback of a batch of events: their messages (PK=HANDLE#h, SK=MSG#id) in consistent
    BatchGetItems (one call up to 100 messages). Every ref gets an entry (None: not stored)
    but a message whose item cannot be read as one."""
    wanted = list(dict.fromkeys(refs))
    found = items_by_key(keys.message(*ref) for ref in wanted)
    messages: dict[MessageRef, Message | None] = {}
    for ref in wanted:
        item = _at(found, keys.message(*ref))
        try:
            messages[ref] = MessageItem.from_item(item).to_domain() if item else None
        except ValidationError:
            continue
    return messages


def load_recheck(message: Message, emails: Iterable[str]) -> Recheck:
    """Delivery re-check of one message on its own: one consistent BatchGetItem of the
    handle (SK=HANDLE), the sender (SK=SENDER#id), the template version (SK=TMPLVER#id#n) and
    the suppressions of the given addresses (SK=SUPP#email; at most 50 recipients, so under
    the 100-key limit), then the identity of the From domain in the handle's account
    (PK=ACCOUNT#id, SK=DOMAIN#d), with those of the recipients' domains when the handle is in
    the sandbox (in one BatchGetItem then)."""
    lowered = {email.lower() for email in emails}
    handle_key = keys.handle(message.handle)
    found = items_by_key([handle_key, *_recheck_keys(message, None, lowered)])
    handle_item = _at(found, handle_key)
    handle = HandleItem.from_item(handle_item).to_domain() if handle_item else None
    if handle is not None:
        identity_key = keys.account_domain(handle.account_id, message.from_domain)
        sandbox_keys = _sandbox_keys(message, handle, lowered)
        if sandbox_keys:
            found.update(items_by_key([identity_key, *sandbox_keys]))
        elif identity := table().get_item(Key=identity_key, ConsistentRead=True).get("Item"):
            found[(identity_key["PK"], identity_key["SK"])] = identity
    return _recheck(message, handle, lowered, found)
