"""Secrets the service keeps but never shows again (webhook signing secrets), encrypted with
the stage's KMS key. The encryption context names what a secret belongs to, so a ciphertext
copied onto another endpoint does not decrypt there. A warm function decrypts each secret
once (the consumers sign many deliveries with the same few secrets)."""

from __future__ import annotations

import base64
from collections.abc import Mapping
from functools import cache
from typing import TYPE_CHECKING

import boto3

from tenx_email import resources
from tenx_email.settings import data_settings

if TYPE_CHECKING:
    from mypy_boto3_kms import KMSClient


@cache
def _client() -> KMSClient:
    return boto3.client("kms")


def seal(plaintext: str, context: Mapping[str, str]) -> str:
    sealed = _client().encrypt(
        KeyId=resources.webhook_secrets_key_alias(data_settings().stage),
        Plaintext=plaintext.encode(),
        EncryptionContext=dict(context),
    )["CiphertextBlob"]
    return base64.b64encode(sealed).decode()


def unseal(sealed: str, context: Mapping[str, str]) -> str:
    return _unseal(sealed, tuple(sorted(context.items())))


@cache
def _unseal(sealed: str, context: tuple[tuple[str, str], ...]) -> str:
    plaintext = _client().decrypt(
        CiphertextBlob=base64.b64decode(sealed), EncryptionContext=dict(context)
    )["Plaintext"]
    return plaintext.decode()


def reset() -> None:
    """Forget the client and what was decrypted (tests switch between fake AWS accounts)."""
    _client.cache_clear()
    _unseal.cache_clear()
