"""The keys that seal the tokens clients hold: rotation keeps the tokens of the previous key
working, a token of a key two rotations old stops opening, and an execution environment that
read the keys before a rotation reads them again when a token names the new key."""

from __future__ import annotations

import json

import boto3
import pytest

from tenx_email import admin, sealed
from tenx_email.adapters import token_keys
from tests.conftest import REGION, TABLE_NAME, TOKEN_KEYS_SECRET

pytestmark = pytest.mark.usefixtures("aws")
PURPOSE = "page-token"


def stored_secret() -> dict[str, str | None]:
    client = boto3.client("secretsmanager", region_name=REGION)
    loaded: dict[str, str | None] = json.loads(
        client.get_secret_value(SecretId=TOKEN_KEYS_SECRET)["SecretString"]
    )
    return loaded


def rotate_with_the_admin_command(capsys: pytest.CaptureFixture[str]) -> None:
    assert admin.main(["--table", TABLE_NAME, "--stage", "test", "rotate-token-keys"]) == 0
    printed = capsys.readouterr().out
    # The command says it rotated, and never prints key material
    assert json.loads(printed) == {"rotated": True}
    secret = stored_secret()
    assert secret["current"] not in printed


def test_a_rotation_keeps_the_previous_keys_tokens_and_retires_older_ones(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # Given a token sealed with the first key
    first = sealed.seal(PURPOSE, b"page 1")
    first_key = stored_secret()["current"]

    # When the keys are rotated once
    rotate_with_the_admin_command(capsys)

    # Then the old token still opens, new tokens are sealed with the new key, and both open
    assert stored_secret()["previous"] == first_key
    second = sealed.seal(PURPOSE, b"page 2")
    assert sealed.open_sealed(PURPOSE, first) == b"page 1"
    assert sealed.open_sealed(PURPOSE, second) == b"page 2"

    # When they are rotated again
    rotate_with_the_admin_command(capsys)

    # Then the first key's token no longer opens; the second's still does
    assert sealed.open_sealed(PURPOSE, first) is None
    assert sealed.open_sealed(PURPOSE, second) == b"page 2"


def test_a_token_of_one_purpose_never_opens_as_another() -> None:
    token = sealed.seal("page-token", b"x")
    assert sealed.open_sealed("unsubscribe", token) is None
    assert sealed.open_sealed("page-token", token) == b"x"


def put_secret(value: dict[str, str | None]) -> None:
    """Change the stored keys as another process (an operator's rotation) would."""
    boto3.client("secretsmanager", region_name=REGION).put_secret_value(
        SecretId=TOKEN_KEYS_SECRET, SecretString=json.dumps(value)
    )


def test_an_environment_holding_old_keys_reads_them_again_for_a_token_of_a_newer_key(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a token sealed after a rotation, by an environment that read the new keys
    before = stored_secret()
    rotate_with_the_admin_command(capsys)
    after = stored_secret()
    newer_token = sealed.seal(PURPOSE, b"sealed with the new key")
    # And this environment, which read the keys before the rotation and holds only the old
    put_secret(before)
    token_keys.reset()
    assert sealed.open_sealed(PURPOSE, sealed.seal(PURPOSE, b"old")) == b"old"
    put_secret(after)
    monkeypatch.setattr(token_keys, "MIN_REFRESH_SECONDS", 0)

    # When the newer token reaches it, it reads the keys again and opens it
    assert sealed.open_sealed(PURPOSE, newer_token) == b"sealed with the new key"


def test_tokens_naming_unknown_keys_read_the_keys_at_most_once_in_a_while() -> None:
    # Given an environment that holds the keys, and counts its reads of them
    token_keys.reset()
    reads: list[str] = []
    boto3.setup_default_session()
    assert boto3.DEFAULT_SESSION is not None
    boto3.DEFAULT_SESSION.events.register(
        "before-call.secretsmanager.GetSecretValue", lambda **_: reads.append("read")
    )
    genuine = sealed.seal(PURPOSE, b"x")
    assert reads == ["read"]

    # When a flood of tokens names key ids nobody holds
    for n in range(20):
        forged = f"{n:04d}"[:4].replace("0", "A") + genuine[4:]
        assert sealed.open_sealed(PURPOSE, forged) is None

    # Then the keys were read again at most once (and the genuine token still opens)
    assert len(reads) <= 2
    assert sealed.open_sealed(PURPOSE, genuine) == b"x"
