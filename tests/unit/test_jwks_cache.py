"""Signing keys are cached across invocations and refetched on an unknown kid, but rarely."""

from __future__ import annotations

from typing import Any

import pytest

from tenx_email.auth.jwks import JwksCache, JwksUnavailable
from tests.tokens import JWKS_URL, FakeIdp


class FakeTime:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class CountingFetch:
    def __init__(self, document: dict[str, Any]) -> None:
        self.document = document
        self.calls = 0
        self.fail = False

    def __call__(self, _url: str) -> dict[str, Any]:
        self.calls += 1
        if self.fail:
            raise OSError("identity provider unreachable")
        return self.document


def make_cache(idp: FakeIdp) -> tuple[JwksCache, CountingFetch, FakeTime]:
    fetch, clock = CountingFetch(idp.jwks()), FakeTime()
    cache = JwksCache(
        JWKS_URL, fetch=fetch, monotonic=clock, min_refresh_seconds=30, max_age_seconds=3600
    )
    return cache, fetch, clock


def test_known_keys_are_served_from_cache() -> None:
    idp = FakeIdp()
    cache, fetch, _ = make_cache(idp)
    for _ in range(50):
        assert cache.key(idp.rsa_kid) is not None
    assert fetch.calls == 1


def test_a_flood_of_unknown_kids_causes_at_most_one_fetch_per_interval() -> None:
    idp = FakeIdp()
    cache, fetch, clock = make_cache(idp)
    cache.key(idp.rsa_kid)
    for attempt in range(100):
        assert cache.key(f"made-up-{attempt}") is None
    assert fetch.calls == 1
    clock.now += 31
    cache.key("made-up-again")
    assert fetch.calls == 2


def test_a_rotated_key_is_found_after_the_refresh_interval() -> None:
    idp = FakeIdp()
    cache, fetch, clock = make_cache(idp)
    cache.key(idp.rsa_kid)
    idp.rsa_kid = "rsa-2"
    fetch.document = idp.jwks()
    clock.now += 31
    assert cache.key("rsa-2") is not None


def test_cached_keys_survive_an_identity_provider_outage() -> None:
    idp = FakeIdp()
    cache, fetch, clock = make_cache(idp)
    cache.key(idp.rsa_kid)
    fetch.fail = True
    clock.now += 4000
    assert cache.key(idp.rsa_kid) is not None


def test_no_keys_and_no_provider_is_an_error_not_an_acceptance() -> None:
    cache, fetch, _ = make_cache(FakeIdp())
    fetch.fail = True
    with pytest.raises(JwksUnavailable):
        cache.key("rsa-1")
