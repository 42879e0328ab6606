"""Identifiers. Ids that list newest-first are ULIDs: 48 bits of milliseconds then 80 random
bits, Crockford base32, so they sort by creation time."""

from __future__ import annotations

import re
import secrets
from datetime import datetime

from tenx_email import clock

_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

# Path and body identifiers never carry key separators ('#'), slashes or whitespace.
HANDLE_PATTERN = r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$"
ACCOUNT_ID_PATTERN = r"^acc_[A-Za-z0-9_-]{1,64}$"
CAMPAIGN_ID_PATTERN = r"^cmp_[A-Za-z0-9_-]{1,64}$"
USER_SUB_PATTERN = r"^[A-Za-z0-9._:|@+-]{1,128}$"


def ulid(at: datetime | None = None) -> str:
    moment = at or clock.now()
    value = (int(moment.timestamp() * 1000) << 80) | secrets.randbits(80)
    chars = []
    for _ in range(26):
        chars.append(_CROCKFORD[value & 31])
        value >>= 5
    return "".join(reversed(chars))


def is_valid(pattern: str, value: str) -> bool:
    return re.fullmatch(pattern, value) is not None


def ulid_time_prefix(at: datetime) -> str:
    """The first 10 ULID characters for a moment: sorts before every ULID made at or after it."""
    value = int(at.timestamp() * 1000)
    chars = []
    for _ in range(10):
        chars.append(_CROCKFORD[value & 31])
        value >>= 5
    return "".join(reversed(chars))
