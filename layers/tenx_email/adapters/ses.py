"""SES v2: domain identities."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING

import boto3
from botocore.exceptions import ClientError

if TYPE_CHECKING:
    from mypy_boto3_sesv2 import SESV2Client


@cache
def _client(region: str) -> SESV2Client:
    return boto3.client("sesv2", region_name=region)


@dataclass(frozen=True)
class IdentityState:
    verified_for_sending: bool
    verification_status: str
    dkim_status: str
    dkim_tokens: tuple[str, ...]


def ensure_domain_identity(region: str, domain: str) -> None:
    """Create the domain identity with Easy DKIM; an existing one is left as it is."""
    try:
        _client(region).create_email_identity(EmailIdentity=domain)
    except ClientError as error:
        if error.response["Error"]["Code"] != "AlreadyExistsException":
            raise


def domain_identity_state(region: str, domain: str) -> IdentityState | None:
    try:
        response = _client(region).get_email_identity(EmailIdentity=domain)
    except ClientError as error:
        if error.response["Error"]["Code"] == "NotFoundException":
            return None
        raise
    dkim = response.get("DkimAttributes", {})
    return IdentityState(
        verified_for_sending=response.get("VerifiedForSendingStatus", False),
        verification_status=response.get("VerificationStatus", "PENDING"),
        dkim_status=dkim.get("Status", "NOT_STARTED"),
        dkim_tokens=tuple(dkim.get("Tokens", [])),
    )
