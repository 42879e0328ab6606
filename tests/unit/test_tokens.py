"""The authorizer's token rules: what is accepted, and every known way of forging one."""

from __future__ import annotations

import time
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from tenx_email.auth.jwks import JwksCache
from tenx_email.auth.tokens import TokenRejected, bearer_token, verify
from tests.tokens import AUDIENCE, ISSUER, JWKS_URL, FakeIdp, hs256_token, unsigned_token


@pytest.fixture
def idp() -> FakeIdp:
    return FakeIdp()


@pytest.fixture
def keys(idp: FakeIdp) -> JwksCache:
    return JwksCache(JWKS_URL, fetch=lambda _url: idp.jwks())


def check(token: str, keys: JwksCache) -> str:
    return verify(token, issuer=ISSUER, audience=AUDIENCE, keys=keys).sub


def rejected(token: str, keys: JwksCache) -> TokenRejected:
    with pytest.raises(TokenRejected) as caught:
        check(token, keys)
    return caught.value


@pytest.mark.parametrize("algorithm", ["RS256", "ES256"])
def test_a_well_formed_token_is_accepted_with_its_subject(
    idp: FakeIdp, keys: JwksCache, algorithm: str
) -> None:
    assert check(idp.token("user_42", algorithm=algorithm), keys) == "user_42"


def test_the_expiry_is_reported_so_routes_can_recheck_it(idp: FakeIdp, keys: JwksCache) -> None:
    exp = int(time.time()) + 100
    assert verify(idp.token(exp=exp), issuer=ISSUER, audience=AUDIENCE, keys=keys).expires_at == exp


@pytest.mark.parametrize("missing", ["exp", "iat", "iss", "aud", "sub"])
def test_a_token_missing_a_required_claim_is_refused(
    idp: FakeIdp, keys: JwksCache, missing: str
) -> None:
    assert rejected(idp.token(**{missing: None}), keys).code == "invalid_token"


@pytest.mark.parametrize(
    "claims",
    [
        {"exp": int(time.time()) - 61},
        {"nbf": int(time.time()) + 3600},
        {"iat": int(time.time()) + 3600},
        {"iss": "https://evil.test/"},
        {"aud": "another-api"},
        {"sub": "user#1"},
        {"sub": ""},
    ],
    ids=[
        "expired",
        "not-yet-valid",
        "issued-in-future",
        "issuer",
        "audience",
        "sub-sep",
        "sub-empty",
    ],
)
def test_a_token_with_a_bad_claim_is_refused(
    idp: FakeIdp, keys: JwksCache, claims: dict[str, Any]
) -> None:
    assert rejected(idp.token(**claims), keys).code == "invalid_token"


def test_expiry_within_the_leeway_is_still_accepted(idp: FakeIdp, keys: JwksCache) -> None:
    assert check(idp.token(exp=int(time.time()) - 30), keys) == "user_1"


def test_alg_none_is_refused(idp: FakeIdp, keys: JwksCache) -> None:
    assert "algorithm" in rejected(unsigned_token(idp.claims()), keys).message


def test_hs256_signed_with_the_public_key_is_refused(idp: FakeIdp, keys: JwksCache) -> None:
    forged = hs256_token(idp.claims(), idp.public_pem())
    assert "algorithm" in rejected(forged, keys).message


def test_a_key_outside_the_jwks_is_refused(idp: FakeIdp, keys: JwksCache) -> None:
    stranger = FakeIdp(rsa_key=rsa.generate_private_key(public_exponent=65537, key_size=2048))
    assert rejected(stranger.token(), keys).code == "invalid_token"


@pytest.mark.parametrize("kid", ["../../etc/passwd", "rsa-1' OR 1=1", "x" * 300, "unknown"])
def test_a_kid_that_is_not_in_the_jwks_is_refused(idp: FakeIdp, keys: JwksCache, kid: str) -> None:
    token = jwt.encode(idp.claims(), idp.rsa_key, algorithm="RS256", headers={"kid": kid})
    assert rejected(token, keys).code == "invalid_token"


@pytest.mark.parametrize("header", ["jku", "x5u", "jwk", "x5c"])
def test_header_supplied_keys_are_refused(idp: FakeIdp, keys: JwksCache, header: str) -> None:
    token = idp.token(headers={header: "https://evil.test/keys"})
    assert "own key" in rejected(token, keys).message


def test_an_ec_token_naming_the_rsa_key_is_refused(idp: FakeIdp, keys: JwksCache) -> None:
    token = jwt.encode(idp.claims(), idp.ec_key, algorithm="ES256", headers={"kid": idp.rsa_kid})
    assert "does not fit" in rejected(token, keys).message


def test_rs512_is_not_on_the_allow_list(idp: FakeIdp, keys: JwksCache) -> None:
    token = jwt.encode(idp.claims(), idp.rsa_key, algorithm="RS512", headers={"kid": idp.rsa_kid})
    assert "algorithm" in rejected(token, keys).message


def test_a_tampered_payload_fails_the_signature(idp: FakeIdp, keys: JwksCache) -> None:
    header, _, signature = idp.token().split(".")
    other_payload = idp.token("user_admin").split(".")[1]
    assert rejected(f"{header}.{other_payload}.{signature}", keys).code == "invalid_token"


def test_a_personal_access_token_is_refused_by_name(keys: JwksCache) -> None:
    assert "personal access tokens" in rejected("pat_0123456789abcdef", keys).message


def test_an_oversized_token_is_refused(idp: FakeIdp, keys: JwksCache) -> None:
    assert "too large" in rejected(idp.token(padding="x" * 9000), keys).message


@pytest.mark.parametrize("header", [None, "", "Bearer", "Bearer   ", "Basic dXNlcjpwdw==", "jwt"])
def test_no_bearer_token_means_missing_bearer_token(header: str | None) -> None:
    with pytest.raises(TokenRejected) as caught:
        bearer_token(header)
    assert caught.value.code == "missing_bearer_token"


def test_the_bearer_scheme_is_case_insensitive() -> None:
    assert bearer_token("bearer abc.def.ghi") == "abc.def.ghi"
