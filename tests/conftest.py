"""Shared fixtures: an isolated fake AWS (moto, in-process) with the stack's table."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import boto3
import pytest

if TYPE_CHECKING:
    from devstack.ses_rate import SesSendRate

STAGE = "test"
TABLE_NAME = "tenx-email-test"
REGION = "us-east-1"
TOKEN_KEYS_SECRET = "tenx-email-test-token-keys"
PUBLIC_API_URL = "https://api.test.example/test"


@pytest.fixture(autouse=True)
def _no_real_aws(monkeypatch: pytest.MonkeyPatch) -> None:
    """No test may reach a real AWS account, whatever the machine's environment holds."""
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("STAGE", STAGE)
    monkeypatch.setenv("TABLE_NAME", TABLE_NAME)
    monkeypatch.setenv("TOKEN_KEYS_SECRET", TOKEN_KEYS_SECRET)
    monkeypatch.setenv("PUBLIC_API_URL", PUBLIC_API_URL)
    monkeypatch.setenv("POWERTOOLS_METRICS_NAMESPACE", "TenxEmailTest")
    monkeypatch.setenv("POWERTOOLS_SERVICE_NAME", "tenx-email")


@pytest.fixture(autouse=True)
def _clock_restored(monkeypatch: pytest.MonkeyPatch) -> None:
    """A test's `clock.advance` (the dev clock, moved to fire schedules) ends with the test."""
    from tenx_email import clock

    monkeypatch.setattr(clock, "_offset", clock._offset)


@pytest.fixture
def aws() -> Iterator[SesSendRate]:
    """moto in-process, with the stack's table created from the shared definitions, and SES's
    send rate, which moto lacks (the local stack's stand-in, at its default rate: a test may
    lower `max_send_rate` before its first send)."""
    from moto import mock_aws

    from devstack.resources import create_table, create_token_keys, create_webhook_secrets_key
    from devstack.ses_rate import SesSendRate
    from tenx_email import resources
    from tenx_email.adapters import secret_box, ses_account, token_keys
    from tenx_email.dal import table

    rate = SesSendRate()
    with mock_aws():
        create_table(boto3.client("dynamodb", region_name=REGION), TABLE_NAME)
        create_token_keys(boto3.client("secretsmanager", region_name=REGION), TOKEN_KEYS_SECRET)
        create_webhook_secrets_key(
            boto3.client("kms", region_name=REGION), resources.webhook_secrets_key_alias(STAGE)
        )
        table.reset()
        secret_box.reset()
        token_keys.reset()
        ses_account.reset()
        rate.install()
        yield rate
        rate.uninstall()
        table.reset()
        secret_box.reset()
        token_keys.reset()
        ses_account.reset()
