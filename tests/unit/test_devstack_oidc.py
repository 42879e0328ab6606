"""The local identity provider's OpenID Connect endpoints without the stack: discovery, the
authorize page and redirect, and the token endpoint's exchange and refusals (PKCE, single-use
and short-lived codes, the one registered client, redirects only to the stack's console)."""

from __future__ import annotations

import secrets
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import jwt
import pytest
from werkzeug.test import Client, TestResponse

from devstack.gateway import ApiGateway
from devstack.idp import LocalIdentityProvider
from devstack.oidc import CLIENT_ID, CODE_LIFETIME_SECONDS, LocalOidc, s256

API_BASE = "http://127.0.0.1:3000"
ISSUER = f"{API_BASE}/local-idp"
REDIRECT_URI = f"{API_BASE}/console/"
AUDIENCE = "tenx-email-local"


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def idp() -> LocalIdentityProvider:
    return LocalIdentityProvider(ISSUER, AUDIENCE)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def client(idp: LocalIdentityProvider, clock: Clock) -> Client:
    endpoints = LocalOidc(idp, API_BASE, now=clock).endpoints()
    return Client(ApiGateway([], lambda *_: None, endpoints))


def authorization(verifier: str, **changes: str) -> dict[str, str]:
    params = {
        "client_id": CLIENT_ID,
        "redirect_uri": REDIRECT_URI,
        "response_type": "code",
        "scope": "openid",
        "code_challenge": s256(verifier),
        "code_challenge_method": "S256",
        "state": "state-1",
        "nonce": "nonce-1",
    }
    return {**params, **changes}


def new_verifier() -> str:
    return secrets.token_urlsafe(48)


def issue_code(client: Client, verifier: str, user: str = "OPERATOR") -> str:
    answer = client.post("/local-idp/authorize", data={**authorization(verifier), "user": user})
    assert answer.status_code == 303, answer.text
    location = urlsplit(answer.headers["Location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == REDIRECT_URI
    query = parse_qs(location.query)
    assert query["state"] == ["state-1"]
    return query["code"][0]


def exchange(client: Client, code: str, verifier: str, **changes: str) -> TestResponse:
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": REDIRECT_URI,
        "client_id": CLIENT_ID,
        "code_verifier": verifier,
        **changes,
    }
    return client.post(
        "/local-idp/token",
        data=urlencode(form),
        content_type="application/x-www-form-urlencoded",
    )


def refusal(answer: TestResponse) -> dict[str, Any]:
    assert answer.status_code == 400, answer.text
    assert answer.headers["Cache-Control"] == "no-store"
    return body(answer)


def body(answer: TestResponse) -> dict[str, Any]:
    document = answer.json
    assert isinstance(document, dict), answer.text
    return document


def test_discovery_names_the_endpoints_oidc_clients_need(client: Client) -> None:
    document = body(client.get("/local-idp/.well-known/openid-configuration"))

    assert document["issuer"] == ISSUER
    assert document["authorization_endpoint"] == f"{ISSUER}/authorize"
    assert document["token_endpoint"] == f"{ISSUER}/token"
    assert document["jwks_uri"] == f"{API_BASE}/.well-known/jwks.json"
    assert document["code_challenge_methods_supported"] == ["S256"]


def test_the_authorize_page_offers_one_button_per_demo_user(client: Client) -> None:
    page = client.get(f"/local-idp/authorize?{urlencode(authorization(new_verifier()))}")

    assert page.status_code == 200
    assert "form-action 'self'" in page.headers["Content-Security-Policy"]
    for role in ("OWNER", "OPERATOR", "CREATOR", "OUTSIDER"):
        assert f'name="user" value="{role}"' in page.text
        assert f"Sign in as {role}" in page.text


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"client_id": "someone-else"}, "the only client registered is tenx-console-local"),
        ({"redirect_uri": "https://evil.example/console/"}, "redirect_uri must be under"),
        ({"redirect_uri": f"{API_BASE}/console/../_local/mail"}, "redirect_uri must be under"),
        ({"code_challenge_method": "plain"}, "PKCE is required"),
        ({"response_type": "token"}, "response_type must be code"),
        ({"scope": "profile"}, "scope must include openid"),
        ({"state": ""}, "state is missing"),
    ],
)
def test_an_odd_authorization_request_is_refused_in_words(
    client: Client, change: dict[str, str], words: str
) -> None:
    page = client.get(f"/local-idp/authorize?{urlencode(authorization(new_verifier(), **change))}")

    assert page.status_code == 400
    assert words in page.text


def test_an_unknown_user_gets_no_code(client: Client) -> None:
    answer = client.post(
        "/local-idp/authorize", data={**authorization(new_verifier()), "user": "ADMIN"}
    )

    assert answer.status_code == 400
    assert "Location" not in answer.headers


def test_the_code_buys_an_access_token_for_the_api_and_an_id_token_for_the_console(
    client: Client, idp: LocalIdentityProvider
) -> None:
    verifier = new_verifier()
    code = issue_code(client, verifier, user="CREATOR")

    answer = exchange(client, code, verifier)

    assert answer.status_code == 200, answer.text
    assert answer.headers["Cache-Control"] == "no-store"
    tokens = body(answer)
    assert tokens["token_type"] == "Bearer"
    assert tokens["expires_in"] > 0
    key = jwt.PyJWK(idp.jwks()["keys"][0])
    access = jwt.decode(tokens["access_token"], key, algorithms=["RS256"], audience=AUDIENCE)
    assert (access["sub"], access["iss"]) == ("user_creator", ISSUER)
    identity = jwt.decode(tokens["id_token"], key, algorithms=["RS256"], audience=CLIENT_ID)
    assert (identity["sub"], identity["iss"], identity["nonce"]) == (
        "user_creator",
        ISSUER,
        "nonce-1",
    )
    assert identity["exp"] > identity["iat"]


def test_a_wrong_verifier_is_refused_and_burns_the_code(client: Client) -> None:
    verifier = new_verifier()
    code = issue_code(client, verifier)

    wrong = refusal(exchange(client, code, new_verifier()))
    retried = refusal(exchange(client, code, verifier))

    assert wrong == {
        "error": "invalid_grant",
        "error_description": "code_verifier does not match the code_challenge",
    }
    assert retried["error"] == "invalid_grant"


def test_a_code_is_good_once(client: Client) -> None:
    verifier = new_verifier()
    code = issue_code(client, verifier)
    assert exchange(client, code, verifier).status_code == 200

    reused = refusal(exchange(client, code, verifier))

    assert reused == {
        "error": "invalid_grant",
        "error_description": "the code is unknown or was already used",
    }


def test_a_code_expires_after_60_seconds(client: Client, clock: Clock) -> None:
    verifier = new_verifier()
    code = issue_code(client, verifier)
    clock.now += CODE_LIFETIME_SECONDS

    expired = refusal(exchange(client, code, verifier))

    assert expired["error"] == "invalid_grant"
    assert "expired" in expired["error_description"]


def test_a_code_used_just_inside_its_lifetime_works(client: Client, clock: Clock) -> None:
    verifier = new_verifier()
    code = issue_code(client, verifier)
    clock.now += CODE_LIFETIME_SECONDS - 1

    assert exchange(client, code, verifier).status_code == 200


def test_another_client_is_refused(client: Client) -> None:
    verifier = new_verifier()
    code = issue_code(client, verifier)

    refused = refusal(exchange(client, code, verifier, client_id="another-app"))

    assert refused["error"] == "invalid_client"


@pytest.mark.parametrize(
    "redirect_uri",
    ["https://evil.example/console/", "http://127.0.0.1:3001/console/", f"{API_BASE}/_local/"],
)
def test_a_foreign_redirect_uri_is_refused(client: Client, redirect_uri: str) -> None:
    verifier = new_verifier()
    code = issue_code(client, verifier)

    refused = refusal(exchange(client, code, verifier, redirect_uri=redirect_uri))

    assert refused["error"] == "invalid_request"
    assert (
        "redirect_uri must be under http://127.0.0.1:3000/console/"
        in (refused["error_description"])
    )


def test_a_redirect_uri_other_than_the_codes_is_refused(client: Client) -> None:
    verifier = new_verifier()
    code = issue_code(client, verifier)

    refused = refusal(exchange(client, code, verifier, redirect_uri=f"{REDIRECT_URI}other"))

    assert refused["error"] == "invalid_grant"


@pytest.mark.parametrize(
    ("change", "error"),
    [
        ({"grant_type": "password"}, "unsupported_grant_type"),
        ({"code_verifier": "short"}, "invalid_request"),
        ({"code_verifier": ""}, "invalid_request"),
    ],
)
def test_an_odd_token_request_is_refused(
    client: Client, change: dict[str, str], error: str
) -> None:
    verifier = new_verifier()
    code = issue_code(client, verifier)

    assert refusal(exchange(client, code, verifier, **change))["error"] == error


def test_a_token_request_as_json_or_with_a_repeated_parameter_is_refused(client: Client) -> None:
    verifier = new_verifier()
    code = issue_code(client, verifier)
    as_json = client.post("/local-idp/token", json={"grant_type": "authorization_code"})
    repeated = client.post(
        "/local-idp/token",
        data=f"grant_type=authorization_code&client_id={CLIENT_ID}&code={code}&code={code}",
        content_type="application/x-www-form-urlencoded",
    )

    assert refusal(as_json)["error"] == "invalid_request"
    assert refusal(repeated)["error_description"] == "code was sent more than once"
