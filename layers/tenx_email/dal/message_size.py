"""How large a message item can grow, so that every message we accept can record every event it
can get: DynamoDB refuses to store an item over 400 KB, and a refusal after SES sent would
leave a recipient's outcome unrecorded.

A message item is written once at acceptance and then only grows by bounded steps: each
recipient's claim, outcome and SES id (`RECIPIENT_GROWTH_BYTES`), and timeline entries, of
which a recipient gets at most `MOVES_PER_RECIPIENT` that move its status (each status is
reached once) plus, while the timeline holds fewer than `stale_event_limit`, events that move
nothing (a repeated delay, a delivery after a bounce). Reasons and details are at most
`MAX_DETAIL_BYTES`. So `bound_bytes` is the most the item can ever weigh.

Sizes are DynamoDB's: UTF-8 bytes of names and strings, about one byte per two digits of a
number, 3 bytes per map or list plus one per element (rounded up here, never down)."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

# DynamoDB's "400 KB", read as 400,000 bytes: below the 409,600 it is said to allow, so the
# rounding of the sizes here can never carry a message over the real limit.
ITEM_LIMIT_BYTES = 400_000
# A reason or event detail (SES's words, or a refusal code) is cut to this many bytes.
MAX_DETAIL_BYTES = 200
# claimedAt, sesMessageId, reason and unsubscribedAt with their names, and a longer status:
# 36 + 100 + 206 + 45 + 10, rounded up.
RECIPIENT_GROWTH_BYTES = 450
# The outcome of the send, then DELIVERY_DELAYED, DELIVERED, BOUNCED, COMPLAINED (and a
# REJECTED or RENDERING_FAILED that fails it), each at most once; and one UNSUBSCRIBED (it
# moves no status, but is written once per recipient: dal/unsubscribes.py).
MOVES_PER_RECIPIENT = 7
# Events that move nothing are kept while the timeline holds fewer than this many per
# recipient (and one for QUEUED); beyond it they are counted in the logs only.
STALE_EVENTS_PER_RECIPIENT = 4
# One entry: its id (26) and {type, rcpt, detail} with their names and the map's overhead.
TIMELINE_ENTRY_BYTES = 26 + 3 + (4 + 16 + 1) + (4 + 3 + 1) + (6 + MAX_DETAIL_BYTES + 1) + 10
# The message's own statusReason and the room a status change needs.
MESSAGE_GROWTH_BYTES = 12 + MAX_DETAIL_BYTES + 32


def value_bytes(value: Any) -> int:
    """A stored value's size as DynamoDB counts it (rounded up)."""
    if isinstance(value, str):
        return len(value.encode())
    if isinstance(value, bytes | bytearray):
        return len(value)
    if isinstance(value, bool) or value is None:
        return 1
    if isinstance(value, int | float | Decimal):
        return len(str(value)) // 2 + 2
    if isinstance(value, Mapping):
        return 3 + sum(1 + len(str(name).encode()) + value_bytes(v) for name, v in value.items())
    if isinstance(value, list | tuple | set | frozenset):
        return 3 + sum(1 + value_bytes(v) for v in value)
    raise TypeError(f"no DynamoDB size for {type(value).__name__}")


def item_bytes(item: Mapping[str, Any]) -> int:
    return sum(len(name.encode()) + value_bytes(value) for name, value in item.items())


def stale_event_limit(recipients: int) -> int:
    """While the timeline holds fewer entries than this, an event that moves nothing is kept."""
    return 1 + recipients * STALE_EVENTS_PER_RECIPIENT


def growth_bytes(recipients: int) -> int:
    """The most a message of `recipients` can grow after it was stored."""
    entries = stale_event_limit(recipients) + recipients * MOVES_PER_RECIPIENT
    return (
        recipients * RECIPIENT_GROWTH_BYTES + entries * TIMELINE_ENTRY_BYTES + MESSAGE_GROWTH_BYTES
    )


def bound_bytes(item: Mapping[str, Any], recipients: int) -> int:
    """The most the message item `item` (as accepted) can ever weigh."""
    return item_bytes(item) + growth_bytes(recipients)


def bounded_detail(text: str) -> str:
    """`text` cut to MAX_DETAIL_BYTES of UTF-8, never inside a character."""
    encoded = text.encode()
    if len(encoded) <= MAX_DETAIL_BYTES:
        return text
    return encoded[:MAX_DETAIL_BYTES].decode(errors="ignore")
