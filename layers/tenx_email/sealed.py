"""Sealed tokens: what a client holds and hands back (page tokens, later unsubscribe links) is
encrypted and authenticated with the stage's token keys (AES-SIV, RFC 5297), so it is opaque
(no key, address or filter can be read from it) and cannot be forged or altered. AES-SIV is
deterministic: the same payload seals to the same token, which is what lets a poller see that
the feed's last page gave back the token it sent (nothing new); all it tells an onlooker is
that two tokens hold the same position.

Each kind of token has its own key, derived from the stage's secret for its `purpose`, which
is also the cipher's associated data: a token of one kind never opens as another. A token
starts with the id of the key that sealed it (4 bytes of its hash), so one sealed before a
rotation opens with the previous key, and one naming a key we do not hold makes us read the
keys again (rate-limited) before it is refused.

`cryptography` is imported when a token is first sealed or opened, not at import: it costs
~30 ms, which only a request that carries or returns a token should pay.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from functools import cache

from tenx_email.adapters import token_keys

_KEY_ID_BYTES = 4
_SIV_KEY_BYTES = 64  # AES-256-SIV: two 256-bit keys
_SIV_BYTES = 16


@cache
def _derived(secret_text: str, purpose: str) -> bytes:
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF

    kdf = HKDF(algorithm=hashes.SHA256(), length=_SIV_KEY_BYTES, salt=None, info=purpose.encode())
    return kdf.derive(secret_text.encode())


def _key_id(key: bytes) -> bytes:
    return hashlib.sha256(key).digest()[:_KEY_ID_BYTES]


def _keys(purpose: str) -> list[bytes]:
    held = token_keys.current_keys()
    texts = [held.current] + ([held.previous] if held.previous else [])
    return [_derived(text, purpose) for text in texts]


def seal(purpose: str, payload: bytes) -> str:
    from cryptography.hazmat.primitives.ciphers.aead import AESSIV

    key = _keys(purpose)[0]
    sealed = AESSIV(key).encrypt(payload, [purpose.encode()])
    return base64.urlsafe_b64encode(_key_id(key) + sealed).decode().rstrip("=")


def _key_named(purpose: str, key_id: bytes) -> bytes | None:
    return next((key for key in _keys(purpose) if _key_id(key) == key_id), None)


def open_sealed(purpose: str, token: str) -> bytes | None:
    """The payload a token of this purpose seals; None when it is not one we sealed."""
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.ciphers.aead import AESSIV

    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    except (binascii.Error, ValueError):
        return None
    if len(raw) <= _KEY_ID_BYTES + _SIV_BYTES:
        return None
    key_id, sealed = raw[:_KEY_ID_BYTES], raw[_KEY_ID_BYTES:]
    key = _key_named(purpose, key_id)
    if key is None and token_keys.refresh_keys():
        key = _key_named(purpose, key_id)
    if key is None:
        return None
    try:
        return AESSIV(key).decrypt(sealed, [purpose.encode()])
    except InvalidTag:
        return None
