"""Identifiers, and the id and address patterns several services check. Ids that list
newest-first are ULIDs: 48 bits of milliseconds then 80 random bits, Crockford base32, so they
sort by creation time."""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import UTC, datetime, timedelta

from tenx_email import clock

_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

# Path and body identifiers never carry key separators ('#'), slashes or whitespace.
HANDLE_PATTERN = r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$"
ACCOUNT_ID_PATTERN = r"^acc_[A-Za-z0-9_-]{1,64}$"
CAMPAIGN_ID_PATTERN = r"^cmp_[A-Za-z0-9_-]{1,64}$"
LEAD_ID_PATTERN = r"^[A-Za-z0-9_-]{1,64}$"
USER_SUB_PATTERN = r"^[A-Za-z0-9._:|@+-]{1,128}$"

# Compiled, and here rather than in their own area's service: several services check them, and
# a route should not load another area's service module for a regex.
SENDER_ID = re.compile(r"^sender_[A-Za-z0-9_-]{1,64}$")
TEMPLATE_ID = re.compile(r"^tmpl_[A-Za-z0-9_-]{1,64}$")
# A client's idempotency key: a send's `idempotencyKey`, a campaign event's Idempotency-Key.
IDEMPOTENCY_KEY = re.compile(r"^[A-Za-z0-9._:@+=/-]{1,128}$")
# One plain address: no display name, comments, quotes or whitespace, so it cannot carry a
# second header or recipient into Reply-To.
_LOCAL_PART = r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}"
_DOMAIN_NAME = r"(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}"
EMAIL_ADDRESS = re.compile(rf"^{_LOCAL_PART}@(?=.{{1,253}}$){_DOMAIN_NAME}$")
# The OpenAPI document's form of an address: the same without the lookahead (test-data
# generators cannot honour one, and filter out nearly all they make), bounded instead by
# SMTP's 254 characters in all. A little stricter than EMAIL_ADDRESS, never looser.
EMAIL_ADDRESS_FORM = {"pattern": rf"^{_LOCAL_PART}@{_DOMAIN_NAME}$", "maxLength": 254}


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _milliseconds(at: datetime) -> int:
    # Integer arithmetic: a float timestamp times 1000 can land a millisecond short. A moment
    # without a time zone (a client's `since`) is taken as UTC.
    aware = at if at.tzinfo is not None else at.replace(tzinfo=UTC)
    return (aware - _EPOCH) // timedelta(milliseconds=1)


def ulid(at: datetime | None = None, *, seed: str | None = None) -> str:
    """A new ULID; with `seed`, the random part is derived from it, so the same seed and time
    give the same id (how a redelivered trigger job finds the message it already made)."""
    moment = at or clock.now()
    randomness = (
        int.from_bytes(hashlib.sha256(seed.encode()).digest()[:10], "big")
        if seed is not None
        else secrets.randbits(80)
    )
    value = (_milliseconds(moment) << 80) | randomness
    chars = []
    for _ in range(26):
        chars.append(_CROCKFORD[value & 31])
        value >>= 5
    return "".join(reversed(chars))


def ulid_time(value: str) -> datetime:
    """The moment a ULID was made for, to the millisecond (its first 10 characters)."""
    milliseconds = 0
    for char in value[:10].upper():
        milliseconds = milliseconds * 32 + _CROCKFORD.index(char)
    return _EPOCH + timedelta(milliseconds=milliseconds)


def is_valid(pattern: str, value: str) -> bool:
    return re.fullmatch(pattern, value) is not None


def ulid_time_prefix(at: datetime) -> str:
    """The first 10 ULID characters for a moment: sorts before every ULID made at or after it."""
    value = _milliseconds(at)
    chars = []
    for _ in range(10):
        chars.append(_CROCKFORD[value & 31])
        value >>= 5
    return "".join(reversed(chars))


# A message id names the shard its handle keeps it in (keys.message_partition): `msg_<ULID>`
# is shard 0, `msg_<ULID>_<k>` shard k (1 <= k < MAX_MESSAGE_SHARDS).
MAX_MESSAGE_SHARDS = 32
_MESSAGE_ID_LENGTH = len("msg_") + 26


def message_id(at: datetime | None = None, *, shard: int = 0, seed: str | None = None) -> str:
    base = f"msg_{ulid(at, seed=seed).lower()}"
    if not 0 <= shard < MAX_MESSAGE_SHARDS:
        raise ValueError(f"no message shard {shard}")
    return f"{base}_{shard}" if shard else base


def message_shard(message_id: str) -> int:
    """The shard a message id names (0 for an id of another form: it is simply not found)."""
    suffix = message_id[_MESSAGE_ID_LENGTH:]
    if suffix[:1] == "_" and suffix[1:].isdigit() and 0 < int(suffix[1:]) < MAX_MESSAGE_SHARDS:
        return int(suffix[1:])
    return 0


def seeded_shard(seed: str, count: int) -> int:
    """One of `count` shards, always the same for the same seed."""
    return int.from_bytes(hashlib.sha256(f"shard|{seed}".encode()).digest()[:4], "big") % count
