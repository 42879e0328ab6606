"""The identity provider's signing keys, cached across invocations.

Keys are refreshed when they grow old, and on an unknown kid at most once per
`min_refresh_seconds`, so a flood of tokens with made-up kids cannot turn into a flood of
fetches. The kid is only ever a dictionary key here, never part of a URL or a path.
"""

from __future__ import annotations

import json
import time
import urllib.request
from collections.abc import Callable
from typing import Any

from jwt import PyJWK, PyJWKSet
from jwt.exceptions import PyJWKSetError

FETCH_TIMEOUT_SECONDS = 3
MAX_JWKS_BYTES = 256 * 1024


class JwksUnavailable(Exception):
    """No signing keys could be fetched and none are cached."""


def fetch_json(url: str) -> dict[str, Any]:
    if not url.startswith(("https://", "http://")):
        raise JwksUnavailable("the JWKS URL must be http(s)")
    with urllib.request.urlopen(url, timeout=FETCH_TIMEOUT_SECONDS) as response:  # noqa: S310
        document: dict[str, Any] = json.loads(response.read(MAX_JWKS_BYTES))
    return document


class JwksCache:
    def __init__(
        self,
        url: str,
        *,
        max_age_seconds: float = 3600,
        min_refresh_seconds: float = 30,
        fetch: Callable[[str], dict[str, Any]] = fetch_json,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._url = url
        self._max_age = max_age_seconds
        self._min_refresh = min_refresh_seconds
        self._fetch = fetch
        self._monotonic = monotonic
        self._keys: dict[str, PyJWK] = {}
        self._fetched_at: float | None = None
        self.fetch_count = 0

    def _refresh(self) -> None:
        self._fetched_at = self._monotonic()
        self.fetch_count += 1
        try:
            key_set = PyJWKSet.from_dict(self._fetch(self._url))
        except (OSError, ValueError, PyJWKSetError) as error:
            if not self._keys:
                raise JwksUnavailable("could not fetch the signing keys") from error
            return  # keep serving the keys we have until the provider answers again
        self._keys = {key.key_id: key for key in key_set.keys if key.key_id}

    def _may_refresh(self) -> bool:
        return self._fetched_at is None or self._monotonic() - self._fetched_at >= self._min_refresh

    def key(self, kid: str) -> PyJWK | None:
        stale = self._fetched_at is None or self._monotonic() - self._fetched_at >= self._max_age
        if stale or (kid not in self._keys and self._may_refresh()):
            self._refresh()
        return self._keys.get(kid)
