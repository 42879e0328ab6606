"""The senders' snapshot on a domain's owner item stays far below DynamoDB's 400 KB item limit
at MAX_SENDERS_PER_DOMAIN entries of the largest size the sender rules allow."""

from __future__ import annotations

from typing import Any

from tenx_email import keys
from tenx_email.dal.identity_items import DomainOwnerItem, DomainSenderEntry
from tenx_email.dal.senders import MAX_SENDERS_PER_DOMAIN
from tenx_email.identity_models import IdentityStatus, Sender
from tenx_email.models import Purpose
from tenx_email.services.senders import ALLOWED_LOCAL_PARTS, MAX_DISPLAY_NAME

ITEM_LIMIT = 400 * 1024
LONGEST_DOMAIN = ".".join(["a" * 63, "b" * 63, "c" * 63, "d" * 61])  # 253 characters
LONGEST_HANDLE = "h" * 63
LONGEST_SENDER_ID = "sender_" + "s" * 64


def dynamodb_size(value: Any) -> int:
    """DynamoDB's item size rules, rounded up: names and strings in UTF-8 bytes, 1 byte a
    boolean or null, 3 bytes a map or list and 1 byte per element (numbers: 21 at most)."""
    if isinstance(value, str):
        return len(value.encode())
    if isinstance(value, bool) or value is None:
        return 1
    if isinstance(value, int | float):
        return 21
    if isinstance(value, dict):
        return 3 + sum(1 + len(name.encode()) + dynamodb_size(v) for name, v in value.items())
    if isinstance(value, list):
        return 3 + sum(1 + dynamodb_size(v) for v in value)
    raise TypeError(type(value))


def largest_sender(number: int) -> Sender:
    return Sender(
        handle=LONGEST_HANDLE[:-6] + f"{number:06d}",
        sender_id=LONGEST_SENDER_ID,
        domain=LONGEST_DOMAIN,
        local_part=max(ALLOWED_LOCAL_PARTS, key=len),
        display_name="\U0001f600" * MAX_DISPLAY_NAME,  # 4 bytes a character
        reply_to=f"{'r' * 64}@{LONGEST_DOMAIN}",
        purposes=tuple(Purpose),
        enabled=True,
        identity_key=f"ap-southeast-3#{LONGEST_DOMAIN}",
        identity_status=IdentityStatus.PENDING,
    )


def test_a_full_snapshot_of_the_largest_senders_leaves_ample_room() -> None:
    senders = [largest_sender(number) for number in range(MAX_SENDERS_PER_DOMAIN)]
    owner = DomainOwnerItem(
        **keys.domain_owner(LONGEST_DOMAIN),
        domain=LONGEST_DOMAIN,
        account_id="acc_" + "x" * 60,
        senders={
            DomainSenderEntry.key(s.handle, s.sender_id): DomainSenderEntry.from_domain(s)
            for s in senders
        },
    )
    size = dynamodb_size(owner.to_item())
    assert size < 0.75 * ITEM_LIMIT, size


def test_an_entry_reads_back_as_the_sender_it_was_taken_from() -> None:
    sender = largest_sender(1)
    entry = DomainSenderEntry.from_domain(sender)
    assert DomainSenderEntry.model_validate(entry.to_attribute()).to_domain(sender.domain) == sender
    assert "domain" not in entry.to_attribute()
