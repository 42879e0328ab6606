"""Attacks on the bearer token, through the real authorizer Lambda (functions.authorizer) with
its JWKS fetched over real HTTP: every forged, foreign, stale or malformed token is denied
with invalid_token or missing_bearer_token, and only a well-formed token is allowed.

RELIABILITY.md, "Attacks to refuse": alg none; HS256 signed with the public key; a key not in
the JWKS; kid traversal or injection; jku/x5u headers; missing exp, iss, aud or sub; expired
beyond leeway; nbf in the future; wrong issuer or audience.
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable, Iterator
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.algorithms import RSAAlgorithm

from functions import authorizer
from tenx_email.services import authentication
from tests.events import FakeLambdaContext
from tests.integration.security_support import Jwks, served_jwks
from tests.tokens import AUDIENCE, ISSUER, FakeIdp, hs256_token, unsigned_token

METHOD_ARN = (
    "arn:aws:execute-api:us-east-1:123456789012:abc123/prod/GET/v2/handles/acme/email/quota"
)
STAGE_ARN = "arn:aws:execute-api:us-east-1:123456789012:abc123/prod/*"


@pytest.fixture(scope="module")
def jwks() -> Iterator[Jwks]:
    with served_jwks() as served:
        yield served


@pytest.fixture(scope="module")
def attacker() -> FakeIdp:
    """A key pair the identity provider never published (same kids as the real ones)."""
    return FakeIdp(
        rsa_key=rsa.generate_private_key(public_exponent=65537, key_size=2048),
        ec_key=ec.generate_private_key(ec.SECP256R1()),
    )


@pytest.fixture(autouse=True)
def _fresh_key_cache(jwks: Jwks) -> None:
    authentication.reset()
    jwks.requests.clear()


def authorize(header: str | None) -> dict[str, Any]:
    event = {"type": "TOKEN", "authorizationToken": header, "methodArn": METHOD_ARN}
    return authorizer.handler(event, FakeLambdaContext())


def assert_denied(result: dict[str, Any], code: str) -> None:
    statement = result["policyDocument"]["Statement"][0]
    assert statement["Effect"] == "Deny", result
    assert statement["Resource"] == STAGE_ARN
    assert result["principalId"] == "anonymous"
    assert result["context"]["error"] == code, result["context"]
    assert "sub" not in result["context"]
    assert "exp" not in result["context"]


def b64(data: dict[str, Any] | bytes) -> str:
    raw = data if isinstance(data, bytes) else json.dumps(data).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def signed(idp: FakeIdp, header: dict[str, Any], claims: dict[str, Any]) -> str:
    """RS256 over an arbitrary header (PyJWT would refuse to write some of these)."""
    signing_input = f"{b64(header)}.{b64(claims)}".encode()
    signature = RSAAlgorithm(RSAAlgorithm.SHA256).sign(signing_input, idp.rsa_key)
    return f"{signing_input.decode()}.{b64(signature)}"


# --- the positive controls: the same machinery allows a good token ----------------------------


@pytest.mark.parametrize("algorithm", ["RS256", "ES256"])
def test_a_good_token_is_allowed(jwks: Jwks, algorithm: str) -> None:
    result = authorize(f"Bearer {jwks.idp.token('user_operator', algorithm=algorithm)}")
    assert result["policyDocument"]["Statement"][0]["Effect"] == "Allow"
    assert result["principalId"] == result["context"]["sub"] == "user_operator"
    assert jwks.requests == ["/.well-known/jwks.json"]


def test_expiry_within_the_leeway_is_allowed(jwks: Jwks) -> None:
    token = jwks.idp.token("user_operator", exp=int(time.time()) - 30)
    assert authorize(f"Bearer {token}")["policyDocument"]["Statement"][0]["Effect"] == "Allow"


# --- forged signatures and algorithms ---------------------------------------------------------

Forgery = Callable[[FakeIdp, FakeIdp], str]

FORGERIES: dict[str, Forgery] = {
    "alg-none": lambda idp, _: unsigned_token(idp.claims("user_owner")),
    "alg-None": lambda idp, _: (
        f"{b64({'alg': 'None', 'kid': idp.rsa_kid})}.{b64(idp.claims('user_owner'))}."
    ),
    "alg-none-with-signature": lambda idp, _: (
        f"{b64({'alg': 'none', 'kid': idp.rsa_kid})}.{b64(idp.claims('user_owner'))}."
        + idp.token().split(".")[2]
    ),
    "hs256-with-public-key-pem": lambda idp, _: hs256_token(
        idp.claims("user_owner"), idp.public_pem()
    ),
    "hs256-with-public-jwk": lambda idp, _: hs256_token(
        idp.claims("user_owner"), json.dumps(idp.jwks()["keys"][0]).encode()
    ),
    "hs512-with-a-guessed-secret": lambda idp, _: jwt.encode(
        idp.claims("user_owner"),
        "x" * 64,
        algorithm="HS512",
        headers={"kid": idp.rsa_kid},
    ),
    "rs512-real-key": lambda idp, _: jwt.encode(
        idp.claims("user_owner"), idp.rsa_key, algorithm="RS512", headers={"kid": idp.rsa_kid}
    ),
    "ps256-real-key": lambda idp, _: jwt.encode(
        idp.claims("user_owner"), idp.rsa_key, algorithm="PS256", headers={"kid": idp.rsa_kid}
    ),
    "es256-naming-the-rsa-kid": lambda idp, _: jwt.encode(
        idp.claims("user_owner"), idp.ec_key, algorithm="ES256", headers={"kid": idp.rsa_kid}
    ),
    "rs256-naming-the-ec-kid": lambda idp, _: jwt.encode(
        idp.claims("user_owner"), idp.rsa_key, algorithm="RS256", headers={"kid": idp.ec_kid}
    ),
    "foreign-key-known-kid": lambda _, evil: evil.token("user_owner"),
    "foreign-ec-key-known-kid": lambda _, evil: evil.token("user_owner", algorithm="ES256"),
    "foreign-key-unknown-kid": lambda _, evil: jwt.encode(
        evil.claims("user_owner"), evil.rsa_key, algorithm="RS256", headers={"kid": "rsa-2"}
    ),
    "tampered-payload": lambda idp, _: ".".join(
        (
            idp.token("user_creator").split(".")[0],
            idp.token("user_owner").split(".")[1],
            idp.token("user_creator").split(".")[2],
        )
    ),
    "stripped-signature": lambda idp, _: idp.token("user_owner").rsplit(".", 1)[0] + ".",
    "four-segments": lambda idp, _: idp.token("user_owner") + ".e30",
    "not-base64": lambda idp, _: "%%%.%%%.%%%",
    "header-not-json": lambda idp, _: f"{b64(b'not json')}.{b64(idp.claims())}.c2ln",
}


@pytest.mark.parametrize("forgery", FORGERIES.values(), ids=FORGERIES.keys())
def test_forged_tokens_are_denied(jwks: Jwks, attacker: FakeIdp, forgery: Forgery) -> None:
    assert_denied(authorize(f"Bearer {forgery(jwks.idp, attacker)}"), "invalid_token")


@pytest.mark.parametrize(
    "kid",
    [
        "../../etc/passwd",
        "a'; drop table users; --",
        "rsa-1' OR '1'='1",
        "rsa-1\x00",
        "rsa-1/../rsa-1",
        "https://evil.test/jwks.json",
        "/.well-known/jwks.json",
        "",
        "x" * 300,
        None,
        7,
        ["rsa-1"],
    ],
    ids=[
        "traversal",
        "sql",
        "sql-or",
        "nul",
        "dot-segments",
        "url",
        "jwks-path",
        "empty",
        "long",
        "missing",
        "number",
        "list",
    ],
)
def test_path_like_or_injected_kids_are_denied(jwks: Jwks, kid: Any) -> None:
    header: dict[str, Any] = {"alg": "RS256", "typ": "JWT"}
    if kid is not None:
        header["kid"] = kid
    assert_denied(
        authorize(f"Bearer {signed(jwks.idp, header, jwks.idp.claims())}"), "invalid_token"
    )
    # The kid is a dictionary key only: never a URL or a path the authorizer fetches.
    assert set(jwks.requests) <= {"/.well-known/jwks.json"}


@pytest.mark.parametrize("header", ["jku", "x5u", "jwk", "x5c", "crit"])
def test_header_supplied_keys_are_denied_and_never_fetched(
    jwks: Jwks, attacker: FakeIdp, header: str
) -> None:
    # The attacker publishes its own key set on a server the authorizer can reach, signs with
    # the matching key and points the token's header at it (or embeds the key itself).
    jwks.documents["/evil/jwks.json"] = json.dumps(attacker.jwks()).encode()
    values = {
        "jku": f"{jwks.base}/evil/jwks.json",
        "x5u": f"{jwks.base}/evil/cert.pem",
        "jwk": attacker.jwks()["keys"][0],
        "x5c": [base64.b64encode(attacker.public_pem()).decode()],
        "crit": ["exp"],
    }
    token = signed(
        attacker,
        {"alg": "RS256", "typ": "JWT", "kid": attacker.rsa_kid, header: values[header]},
        attacker.claims("user_owner"),
    )
    assert_denied(authorize(f"Bearer {token}"), "invalid_token")
    assert not [path for path in jwks.requests if path.startswith("/evil")]


# --- claims ------------------------------------------------------------------------------------


def _claims_cases() -> dict[str, dict[str, Any]]:
    now = int(time.time())
    return {
        "missing-exp": {"exp": None},
        "missing-iss": {"iss": None},
        "missing-aud": {"aud": None},
        "missing-sub": {"sub": None},
        "missing-iat": {"iat": None},
        "expired-beyond-leeway": {"exp": now - 61, "iat": now - 3600},
        "expired-long-ago": {"exp": now - 86400, "iat": now - 90000},
        "nbf-in-the-future": {"nbf": now + 3600},
        "nbf-just-beyond-leeway": {"nbf": now + 120},
        "iat-in-the-future": {"iat": now + 3600},
        "wrong-issuer": {"iss": "https://evil.test/"},
        "issuer-without-slash": {"iss": ISSUER.rstrip("/")},
        "issuer-prefix": {"iss": ISSUER + "evil/"},
        "issuer-list": {"iss": [ISSUER]},
        "wrong-audience": {"aud": "another-api"},
        "audience-list-without-ours": {"aud": ["another-api", "third-api"]},
        "audience-prefix": {"aud": AUDIENCE + "-evil"},
        "sub-with-key-separator": {"sub": "user_owner#MEMBER"},
        "sub-empty": {"sub": ""},
        "sub-number": {"sub": 42},
        "exp-string": {"exp": str(now + 3600)},
    }


@pytest.mark.parametrize("case", list(_claims_cases()))
def test_tokens_with_missing_or_wrong_claims_are_denied(jwks: Jwks, case: str) -> None:
    # Times are taken when the test runs, not when it is collected: a long suite would
    # otherwise age "just beyond the leeway" into "within it".
    claims = _claims_cases()[case]
    assert_denied(authorize(f"Bearer {with_claims(jwks.idp, claims)}"), "invalid_token")


def with_claims(idp: FakeIdp, changes: dict[str, Any]) -> str:
    claims = {**idp.claims("user_owner"), **changes}
    header = {"alg": "RS256", "typ": "JWT", "kid": idp.rsa_kid}
    return signed(idp, header, {name: value for name, value in claims.items() if value is not None})


def test_the_hand_built_tokens_are_good_when_nothing_is_wrong(jwks: Jwks) -> None:
    # The control for the header and claim cases: the same builder, unchanged, is allowed.
    header = {"alg": "RS256", "typ": "JWT", "kid": jwks.idp.rsa_kid}
    for token in (with_claims(jwks.idp, {}), signed(jwks.idp, header, jwks.idp.claims())):
        assert authorize(f"Bearer {token}")["policyDocument"]["Statement"][0]["Effect"] == "Allow"


# --- the bearer header itself ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "code"),
    [
        (None, "missing_bearer_token"),
        ("", "missing_bearer_token"),
        ("Bearer", "missing_bearer_token"),
        ("Bearer ", "missing_bearer_token"),
        ("Bearer \t ", "missing_bearer_token"),
        ("Basic dXNlcjpwYXNzd29yZA==", "missing_bearer_token"),
        ("Token abc.def.ghi", "missing_bearer_token"),
        ("pat_0123456789abcdef0123456789abcdef", "missing_bearer_token"),
        ("Bearer pat_0123456789abcdef0123456789abcdef", "invalid_token"),
        ("Bearer tenx_pat_live_0123456789abcdef", "invalid_token"),
        ("Bearer pat.with.dots", "invalid_token"),
        ("Bearer not-a-jwt", "invalid_token"),
    ],
    ids=[
        "none",
        "empty",
        "bearer-alone",
        "bearer-space",
        "bearer-whitespace",
        "basic",
        "other-scheme",
        "bare-pat",
        "pat",
        "tenx-pat",
        "pat-with-dots",
        "opaque",
    ],
)
def test_no_token_or_a_personal_access_token_is_denied(
    jwks: Jwks, header: str | None, code: str
) -> None:
    assert_denied(authorize(header), code)


@pytest.mark.parametrize("size", [8193, 64 * 1024, 1024 * 1024])
def test_oversize_tokens_are_denied_before_any_key_lookup(jwks: Jwks, size: int) -> None:
    token = jwks.idp.token("user_owner", padding="x" * size)
    assert len(token) > size
    assert_denied(authorize(f"Bearer {token}"), "invalid_token")
    assert jwks.requests == []


def test_made_up_kids_cannot_turn_into_a_flood_of_jwks_fetches(
    jwks: Jwks, attacker: FakeIdp
) -> None:
    for index in range(25):
        token = jwt.encode(
            attacker.claims(), attacker.rsa_key, algorithm="RS256", headers={"kid": f"k{index}"}
        )
        assert_denied(authorize(f"Bearer {token}"), "invalid_token")
    assert len(jwks.requests) <= 2


def test_a_denied_token_leaves_no_identity_in_the_answer(jwks: Jwks) -> None:
    token = jwks.idp.token("user_owner", aud="another-api")
    result = authorize(f"Bearer {token}")
    assert_denied(result, "invalid_token")
    answer = json.dumps(result)
    assert "user_owner" not in answer
    assert token.split(".")[2] not in answer
