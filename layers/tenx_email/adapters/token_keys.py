"""The stage's token keys, kept in Secrets Manager: what signs and seals the tokens clients
hold (page tokens now; unsubscribe tokens and the like later).

The secret is a JSON object `{"current": <secret text>, "previous": <secret text> | null}`.
New tokens are sealed with `current`; tokens sealed with `previous` still open, so rotating
(`tenx-admin rotate-token-keys`: current becomes previous, a new current is made) never breaks
a token issued before it. A token issued before the rotation before that stops opening.

Read once per execution environment, and again when a token names a key we do not hold (a
rotation since we read it), at most once per MIN_REFRESH_SECONDS, so forged key ids cannot
turn into a flood of reads. Secret text is never logged.
"""

from __future__ import annotations

import json
import secrets
import time
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING

import boto3

from tenx_email.settings import token_settings

if TYPE_CHECKING:
    from mypy_boto3_secretsmanager import SecretsManagerClient

MIN_REFRESH_SECONDS = 30
# Random text of a new key: 48 bytes of randomness (384 bits), URL-safe.
_NEW_KEY_BYTES = 48


@dataclass(frozen=True)
class TokenKeys:
    current: str
    previous: str | None


@cache
def _client() -> SecretsManagerClient:
    return boto3.client("secretsmanager")


def _read() -> TokenKeys:
    value = _client().get_secret_value(SecretId=token_settings().token_keys_secret)
    document = json.loads(value["SecretString"])
    return TokenKeys(current=str(document["current"]), previous=document.get("previous"))


class _Cache:
    def __init__(self) -> None:
        self.keys: TokenKeys | None = None
        self.read_at = float("-inf")

    def get(self) -> TokenKeys:
        if self.keys is None:
            self.refresh()
        assert self.keys is not None
        return self.keys

    def refresh(self) -> bool:
        """Read the secret again, unless it was read moments ago; True if it was read."""
        if time.monotonic() - self.read_at < MIN_REFRESH_SECONDS and self.keys is not None:
            return False
        self.keys, self.read_at = _read(), time.monotonic()
        return True


_cache = _Cache()


def current_keys() -> TokenKeys:
    return _cache.get()


def refresh_keys() -> bool:
    """After a token named a key we do not hold: read the secret again (rate-limited)."""
    return _cache.refresh()


def reset() -> None:
    """Forget the cached client and keys (tests switch between fake AWS accounts)."""
    global _cache
    _cache = _Cache()
    _client.cache_clear()
    token_settings.cache_clear()


def initial_secret() -> str:
    """The secret's first value, as the stack (and the local stack) creates it."""
    return json.dumps({"current": secrets.token_urlsafe(_NEW_KEY_BYTES), "previous": None})


def rotate() -> TokenKeys:
    """Make a new current key and keep the old one as previous (the operators' command)."""
    old = _read()
    rotated = TokenKeys(current=secrets.token_urlsafe(_NEW_KEY_BYTES), previous=old.current)
    _client().put_secret_value(
        SecretId=token_settings().token_keys_secret,
        SecretString=json.dumps({"current": rotated.current, "previous": rotated.previous}),
    )
    reset()
    return rotated
