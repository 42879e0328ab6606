"""The Lambda authorizer end to end: JWKS fetched over real HTTP, policy and context out."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from functions import authorizer
from tenx_email.services import authentication
from tests.events import FakeLambdaContext
from tests.tokens import AUDIENCE, ISSUER, FakeIdp, unsigned_token

METHOD_ARN = (
    "arn:aws:execute-api:us-east-1:123456789012:abc123/prod/GET/v2/handles/acme/email/senders"
)


@pytest.fixture
def idp(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeIdp]:
    provider = FakeIdp()
    document = json.dumps(provider.jwks()).encode()

    class Jwks(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(document)

        def log_message(self, *_: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Jwks)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setenv("JWT_ISSUER", ISSUER)
    monkeypatch.setenv("JWT_AUDIENCE", AUDIENCE)
    monkeypatch.setenv("JWKS_URL", f"http://127.0.0.1:{server.server_port}/.well-known/jwks.json")
    authentication.reset()
    yield provider
    server.shutdown()
    authentication.reset()


def authorize(header: str | None) -> dict[str, Any]:
    event = {"type": "TOKEN", "authorizationToken": header, "methodArn": METHOD_ARN}
    return authorizer.handler(event, FakeLambdaContext())


def test_a_valid_token_is_allowed_on_every_route_of_the_stage(idp: FakeIdp) -> None:
    result = authorize(f"Bearer {idp.token('user_operator')}")
    statement = result["policyDocument"]["Statement"][0]
    assert statement["Effect"] == "Allow"
    assert statement["Resource"] == "arn:aws:execute-api:us-east-1:123456789012:abc123/prod/*"
    assert result["principalId"] == "user_operator"
    assert result["context"]["sub"] == "user_operator"
    assert isinstance(result["context"]["exp"], int)


def test_a_missing_header_is_denied_as_missing_bearer_token(idp: FakeIdp) -> None:
    result = authorize(None)
    assert result["policyDocument"]["Statement"][0]["Effect"] == "Deny"
    assert result["context"]["error"] == "missing_bearer_token"


def test_a_forged_token_is_denied_with_invalid_token(idp: FakeIdp) -> None:
    result = authorize(f"Bearer {unsigned_token(idp.claims())}")
    assert result["policyDocument"]["Statement"][0]["Effect"] == "Deny"
    assert result["context"]["error"] == "invalid_token"
    assert "sub" not in result["context"]


def test_the_token_never_appears_in_the_logs(
    idp: FakeIdp, caplog: pytest.LogCaptureFixture
) -> None:
    token = idp.token("user_operator")
    authorize(f"Bearer {token}")
    authorize(f"Bearer {token[:-4]}AAAA")
    assert [record.getMessage() for record in caplog.records] == ["token checked"] * 2
    everything_logged = " ".join(str(vars(record)) for record in caplog.records)
    assert "invalid_token" in everything_logged
    assert token.split(".")[1] not in everything_logged
