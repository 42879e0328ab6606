"""Standard Webhooks signing, checked with the library a receiver would use to verify."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta, timezone

import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from tenx_email.webhook_signing import body_of, new_secret, signed_headers

MESSAGE_ID = "msg_2q3f5XyZ"


def test_a_new_secret_is_whsec_and_32_random_bytes() -> None:
    secret = new_secret()
    assert secret.startswith("whsec_")
    assert len(base64.b64decode(secret.removeprefix("whsec_"), validate=True)) == 32
    assert new_secret() != secret


def test_the_body_is_compact_utf8_json() -> None:
    assert body_of({"type": "email.sent", "to": "zoë@example.com", "n": [1, 2]}) == (
        '{"type":"email.sent","to":"zoë@example.com","n":[1,2]}'
    )


def test_headers_carry_id_whole_second_timestamp_and_one_signature_per_secret() -> None:
    moment = datetime(2026, 12, 3, 12, 0, 0, 750_000, tzinfo=UTC)
    headers = signed_headers([new_secret(), new_secret()], MESSAGE_ID, moment, "{}")
    assert headers["webhook-id"] == MESSAGE_ID
    assert headers["webhook-timestamp"] == str(int(moment.timestamp()))
    signatures = headers["webhook-signature"].split(" ")
    assert len(signatures) == 2
    assert all(signature.startswith("v1,") for signature in signatures)


def test_the_receiver_verifies_with_either_secret_during_a_rotation() -> None:
    old, new = new_secret(), new_secret()
    body = body_of({"type": "email.delivered", "id": "em_1"})
    headers = signed_headers([old, new], MESSAGE_ID, datetime.now(UTC), body)
    for secret in (old, new):
        assert Webhook(secret).verify(body, headers) == {"type": "email.delivered", "id": "em_1"}
    with pytest.raises(WebhookVerificationError):
        Webhook(new_secret()).verify(body, headers)


def test_a_two_signature_header_verifies_with_each_secret_alone() -> None:
    # Given each secret's own signature, and the header holding both
    old, new = new_secret(), new_secret()
    body, moment = body_of({"a": 1}), datetime.now(UTC)
    alone = {s: signed_headers([s], MESSAGE_ID, moment, body) for s in (old, new)}
    both = signed_headers([old, new], MESSAGE_ID, moment, body)
    # Then the pair is exactly the two single signatures, and each secret verifies it
    assert both["webhook-signature"] == " ".join(alone[s]["webhook-signature"] for s in (old, new))
    for secret in (old, new):
        Webhook(secret).verify(body, both)


def test_a_tampered_body_fails() -> None:
    secret = new_secret()
    body = body_of({"amount": 1})
    headers = signed_headers([secret], MESSAGE_ID, datetime.now(UTC), body)
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(body_of({"amount": 2}), headers)


def test_a_timestamp_older_than_five_minutes_fails() -> None:
    secret = new_secret()
    body = body_of({"a": 1})
    stale = datetime.now(UTC) - timedelta(minutes=5, seconds=5)
    headers = signed_headers([secret], MESSAGE_ID, stale, body)
    with pytest.raises(WebhookVerificationError, match="too old"):
        Webhook(secret).verify(body, headers)


def test_a_timestamp_in_another_zone_signs_the_same_instant() -> None:
    # The library would read a +02:00 time's fields as UTC; the instant must be kept
    secret = new_secret()
    body = body_of({"a": 1})
    local = datetime.now(UTC).astimezone(timezone(timedelta(hours=2)))
    headers = signed_headers([secret], MESSAGE_ID, local, body)
    assert headers["webhook-timestamp"] == str(int(local.timestamp()))
    Webhook(secret).verify(body, headers)


def test_no_secret_or_a_naive_timestamp_is_refused() -> None:
    with pytest.raises(ValueError, match="at least one"):
        signed_headers([], MESSAGE_ID, datetime.now(UTC), "{}")
    with pytest.raises(ValueError, match="timezone"):
        signed_headers([new_secret()], MESSAGE_ID, datetime(2026, 12, 3), "{}")
