"""`python -m devstack` as a developer runs it, called over HTTP: the real authorizer and route
behind the local gateway, the local identity provider, clock control, mail, and shutdown."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import signal
import subprocess
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from tenx_email import resources
from tests.e2e.stack import REPO, Stack, aws_client, call, port_is_free, start_stack

pytestmark = pytest.mark.e2e

SENDERS = "/v2/handles/acme/email/senders"


def get_senders(doc: dict[str, Any], token: str | None) -> tuple[int, Any]:
    return call(doc, "GET", SENDERS, token=token)


# -- the API through the gateway ---------------------------------------------------------------


@pytest.mark.parametrize("role", ["OPERATOR", "OWNER"])
def test_operator_and_owner_list_the_handles_senders(doc: dict[str, Any], role: str) -> None:
    # (other end-to-end modules share this stack and may have added senders)
    status, body = get_senders(doc, doc["tokens"][role])
    assert status == 200
    assert isinstance(body["senders"], list)


def test_no_authorization_header_is_a_missing_bearer_token(doc: dict[str, Any]) -> None:
    status, body = get_senders(doc, None)

    assert (status, body["error"]) == (401, "missing_bearer_token")
    assert body["requestId"]


def test_a_creator_is_below_the_routes_minimum_role(doc: dict[str, Any]) -> None:
    status, body = get_senders(doc, doc["tokens"]["CREATOR"])

    assert (status, body["error"]) == (403, "insufficient_role")


def test_a_member_of_another_handle_is_forbidden(doc: dict[str, Any]) -> None:
    status, body = get_senders(doc, doc["tokens"]["OUTSIDER"])

    assert (status, body["error"]) == (403, "forbidden")


def test_an_unknown_route_is_route_not_found(doc: dict[str, Any]) -> None:
    status, body = call(doc, "GET", "/v2/handles/acme/no-such-thing", token=doc["tokens"]["OWNER"])

    assert (status, body["error"]) == (404, "route_not_found")


# -- tokens the authorizer must refuse ---------------------------------------------------------


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unsigned_parts(header: dict[str, Any], claims: dict[str, Any]) -> str:
    return f"{b64url(json.dumps(header).encode())}.{b64url(json.dumps(claims).encode())}"


def claims(doc: dict[str, Any], **changes: Any) -> dict[str, Any]:
    now = int(time.time())
    base = {
        "sub": doc["users"]["OPERATOR"],
        "iss": doc["jwt"]["issuer"],
        "aud": doc["jwt"]["audience"],
        "iat": now,
        "exp": now + 3600,
    }
    return {key: value for key, value in {**base, **changes}.items() if value is not None}


def dev_key(doc: dict[str, Any]) -> rsa.RSAPrivateKey:
    key = serialization.load_pem_private_key(doc["jwt"]["devPrivateKeyPem"].encode(), None)
    assert isinstance(key, rsa.RSAPrivateKey)
    return key


def signed(doc: dict[str, Any], key: Any = None, kid: str = "local-dev-1", **changes: Any) -> str:
    return jwt.encode(
        claims(doc, **changes), key or dev_key(doc), algorithm="RS256", headers={"kid": kid}
    )


def alg_none(doc: dict[str, Any]) -> str:
    return unsigned_parts({"alg": "none", "typ": "JWT", "kid": "local-dev-1"}, claims(doc)) + "."


def hs256_with_the_public_key(doc: dict[str, Any]) -> str:
    # PyJWT refuses to use a PEM as an HMAC secret, so the token is put together by hand.
    secret = (
        dev_key(doc)
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    unsigned = unsigned_parts({"alg": "HS256", "typ": "JWT", "kid": "local-dev-1"}, claims(doc))
    signature = hmac.new(secret, unsigned.encode(), hashlib.sha256).digest()
    return f"{unsigned}.{b64url(signature)}"


def another_key_same_kid(doc: dict[str, Any]) -> str:
    return signed(doc, key=rsa.generate_private_key(public_exponent=65537, key_size=2048))


def valid_for_the_dev_key(doc: dict[str, Any]) -> str:
    return signed(doc)


BAD_TOKENS = {
    "expired two hours ago": lambda doc: signed(
        doc, iat=int(time.time()) - 3 * 3600, exp=int(time.time()) - 2 * 3600
    ),
    "alg none": alg_none,
    "HS256 signed with the public key": hs256_with_the_public_key,
    "wrong audience": lambda doc: signed(doc, aud="someone-else"),
    "wrong issuer": lambda doc: signed(doc, iss="https://evil.example/idp"),
    "no exp": lambda doc: signed(doc, exp=None),
    "another RSA key under the same kid": another_key_same_kid,
    "an unknown kid": lambda doc: signed(doc, kid="local-dev-2"),
}


@pytest.mark.parametrize("make_token", BAD_TOKENS.values(), ids=BAD_TOKENS.keys())
def test_a_bad_token_is_an_invalid_token(doc: dict[str, Any], make_token: Any) -> None:
    status, body = get_senders(doc, make_token(doc))

    assert (status, body["error"]) == (401, "invalid_token")


def test_a_token_minted_with_the_dev_key_is_accepted(doc: dict[str, Any]) -> None:
    # The control for the refusals above: the same construction, correctly signed, passes.
    assert get_senders(doc, valid_for_the_dev_key(doc))[0] == 200


def test_the_jwks_serves_the_dev_signing_key(doc: dict[str, Any]) -> None:
    status, jwks = call(doc, "GET", "/.well-known/jwks.json")

    (key,) = jwks["keys"]
    assert status == 200
    assert doc["jwt"]["jwksUrl"] == doc["apiBase"] + "/.well-known/jwks.json"
    assert (key["kid"], key["alg"], key["use"]) == ("local-dev-1", "RS256", "sig")
    served = jwt.PyJWK(key).key.public_numbers()
    assert served == dev_key(doc).public_key().public_numbers()


# -- clock, schedules and mail -----------------------------------------------------------------


def advance(doc: dict[str, Any], minutes: int) -> tuple[datetime, list[str]]:
    status, body = call(
        doc, "POST", "/_local/clock/advance", body=json.dumps({"minutes": minutes}).encode()
    )
    assert status == 200
    return datetime.fromisoformat(body["now"]), body["fired"]


def test_advancing_the_clock_moves_it_forward(doc: dict[str, Any]) -> None:
    before, _ = advance(doc, 1)

    after, _ = advance(doc, 90)

    assert after - before >= timedelta(minutes=90)


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"not json",
        b"{}",
        b'{"minutes": 0}',
        b'{"minutes": 86401}',
        b'{"minutes": "5"}',
        b'{"minutes": 1.5}',
        b'{"minutes": true}',
        b'{"minutes": 5, "hours": 1}',
        b"[5]",
    ],
)
def test_a_bad_clock_advance_is_refused(doc: dict[str, Any], body: bytes) -> None:
    status, answer = call(doc, "POST", "/_local/clock/advance", body=body)

    assert (status, answer["error"]) == (400, "invalid_request")


def test_a_delayed_schedule_fires_when_the_clock_passes_it(doc: dict[str, Any]) -> None:
    # Given a one-time schedule in the stack's group, due ten minutes from the stack's now
    sqs, scheduler = aws_client(doc, "sqs"), aws_client(doc, "scheduler")
    probe_url = sqs.create_queue(QueueName="e2e-schedule-probe")["QueueUrl"]
    probe_arn = sqs.get_queue_attributes(QueueUrl=probe_url, AttributeNames=["QueueArn"])
    now, _ = advance(doc, 1)
    scheduler.create_schedule(
        Name="e2e-probe",
        GroupName=resources.schedule_group_name("local"),
        ScheduleExpression=f"at({(now + timedelta(minutes=10)):%Y-%m-%dT%H:%M:%S})",
        FlexibleTimeWindow={"Mode": "OFF"},
        Target={
            "Arn": probe_arn["Attributes"]["QueueArn"],
            "RoleArn": "arn:aws:iam::123456789012:role/scheduler",
            "Input": '{"probe": true}',
        },
        ActionAfterCompletion="DELETE",
    )

    # When the clock moves five minutes, then ten more
    _, fired_early = advance(doc, 5)
    _, fired_later = advance(doc, 10)

    # Then only the second move fires it, into its queue
    assert "e2e-probe" not in fired_early
    assert "e2e-probe" in fired_later
    received = sqs.receive_message(QueueUrl=probe_url, WaitTimeSeconds=1)["Messages"]
    assert [message["Body"] for message in received] == ['{"probe": true}']


def test_sent_mail_is_viewable(stack: Stack, doc: dict[str, Any]) -> None:
    # Given a message SES on moto accepted from the seeded, verified domain
    aws_client(doc, "sesv2").send_email(
        FromEmailAddress=f"hello@{doc['domain']}",
        Destination={"ToAddresses": ["lead@customer.test"]},
        Content={
            "Simple": {
                "Subject": {"Data": "E2E hello"},
                "Body": {"Text": {"Data": "Hi there"}},
            }
        },
    )

    # When the mail is looked at in the browser, as JSON, and with `python -m devstack.mail`
    page_status, page = call(doc, "GET", "/_local/mail")
    json_status, listing = call(doc, "GET", "/_local/mail?format=json")
    printed = subprocess.run(
        [sys.executable, "-m", "devstack.mail"],
        cwd=REPO,
        env={**os.environ, "LOCAL_STATE_DIR": str(stack.state_dir)},
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    ).stdout

    # Then each shows it
    assert page_status == 200
    assert "E2E hello" in page
    assert json_status == 200
    assert {
        "source": f"hello@{doc['domain']}",
        "destinations": ["lead@customer.test"],
        "subject": "E2E hello",
        "body": "Hi there",
    }.items() <= next(m for m in listing["messages"] if m["subject"] == "E2E hello").items()
    assert "Subject: E2E hello" in printed


# -- stopping ----------------------------------------------------------------------------------


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_a_signal_stops_everything_cleanly(tmp_path: Path, signum: int) -> None:
    # Given a running stack of its own
    own = start_stack(tmp_path)

    # When it gets Ctrl-C (or SIGTERM)
    exit_code = own.stop(signum)

    # Then it exits 0 in time, removes its state file and frees both ports
    assert exit_code == 0, own.output()
    assert not own.state_file.exists()
    assert all(port_is_free(port) for port in own.ports)
