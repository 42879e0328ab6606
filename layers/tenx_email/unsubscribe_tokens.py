"""Unsubscribe tokens: what a List-Unsubscribe link carries (RFC 8058).

A token names the handle, the message, the recipient (its index in the message and its
address), the message's purpose and when it was issued, sealed with the stage's token keys
(sealed.py: AES-SIV, a key of its own derived for this purpose): no one can make or alter
one, and nothing of it can be read without the keys. Each recipient of each message gets its
own token, so none can be derived from another.

A token opens for LINK_LIFETIME after it was issued (the mail was sent): long enough for a
recipient to act on any mail they still read, and a bound on what a leaked link can do.
Rotating the token keys keeps the previous key (adapters/token_keys.py); a link outlives a
rotation, but not the one after it, so keys are rotated at most once per LINK_LIFETIME
(docs/security.md) and every link works for its whole lifetime.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from tenx_email import ids, sealed
from tenx_email.models import Purpose

PURPOSE = "unsubscribe-link"
LINK_LIFETIME = timedelta(days=90)
# A sealed token of the longest address (254) and ids is under 600 characters; anything much
# longer is not one of ours, and is refused before any work.
MAX_TOKEN_CHARS = 1024
TOKEN_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


@dataclass(frozen=True)
class UnsubscribeToken:
    handle: str
    message_id: str
    recipient_index: int
    email: str
    purpose: Purpose
    issued_at: datetime

    def expired(self, now: datetime) -> bool:
        return now - self.issued_at > LINK_LIFETIME


class _Payload(BaseModel):
    """The sealed JSON, with short names: the token goes into a header and a URL."""

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)
    h: str = Field(pattern=ids.HANDLE_PATTERN)
    m: str = Field(min_length=1, max_length=100)
    i: int = Field(ge=0, lt=1000)
    e: str = Field(min_length=3, max_length=320)
    p: Purpose
    t: int = Field(ge=0)


def issue(
    handle: str, message_id: str, index: int, email: str, purpose: Purpose, at: datetime
) -> str:
    payload = _Payload(h=handle, m=message_id, i=index, e=email, p=purpose, t=int(at.timestamp()))
    return sealed.seal(PURPOSE, payload.model_dump_json().encode())


def well_formed(token: str) -> bool:
    """Could this be a token at all (length and alphabet)? Checked before anything is read."""
    return 0 < len(token) <= MAX_TOKEN_CHARS and set(token) <= TOKEN_CHARS


def read(token: str) -> UnsubscribeToken | None:
    """The token's contents; None when it is not a token we issued (forged, altered, sealed
    with a key we no longer hold)."""
    if not well_formed(token):
        return None
    opened = sealed.open_sealed(PURPOSE, token)
    if opened is None:
        return None
    try:
        payload = _Payload.model_validate(json.loads(opened))
    except (ValueError, ValidationError):
        return None  # sealed by us, so this does not happen; refused all the same
    return UnsubscribeToken(
        handle=payload.h,
        message_id=payload.m,
        recipient_index=payload.i,
        email=payload.e,
        purpose=payload.p,
        issued_at=datetime.fromtimestamp(payload.t, UTC),
    )
