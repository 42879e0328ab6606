"""SES: domain identities.

MAIL FROM is set and read through the SES v1 identity API (SetIdentityMailFromDomain,
GetIdentityMailFromDomainAttributes): identities are shared between v1 and v2, and these two
calls also work on moto, whose v2 MAIL FROM calls are not implemented."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING

import boto3
from botocore.exceptions import ClientError

if TYPE_CHECKING:
    from mypy_boto3_ses import SESClient
    from mypy_boto3_sesv2 import SESV2Client


@cache
def _v2(region: str) -> SESV2Client:
    return boto3.client("sesv2", region_name=region)


@cache
def _v1(region: str) -> SESClient:
    return boto3.client("ses", region_name=region)


@dataclass(frozen=True)
class IdentityState:
    verified_for_sending: bool
    verification_status: str
    dkim_status: str
    dkim_tokens: tuple[str, ...]
    mail_from_status: str


def ensure_domain_identity(region: str, domain: str, mail_from_domain: str) -> None:
    """Create the identity with Easy DKIM (2048-bit) and set its custom MAIL FROM domain;
    an existing identity is kept, so repeating this is safe."""
    try:
        _v2(region).create_email_identity(
            EmailIdentity=domain, DkimSigningAttributes={"NextSigningKeyLength": "RSA_2048_BIT"}
        )
    except ClientError as error:
        if error.response["Error"]["Code"] != "AlreadyExistsException":
            raise
    _v1(region).set_identity_mail_from_domain(
        Identity=domain, MailFromDomain=mail_from_domain, BehaviorOnMXFailure="UseDefaultValue"
    )


def domain_identity_state(region: str, domain: str) -> IdentityState | None:
    try:
        identity = _v2(region).get_email_identity(EmailIdentity=domain)
    except ClientError as error:
        if error.response["Error"]["Code"] == "NotFoundException":
            return None
        raise
    attributes = _v1(region).get_identity_mail_from_domain_attributes(Identities=[domain])
    mail_from = attributes["MailFromDomainAttributes"].get(domain)
    mail_from_status = mail_from["MailFromDomainStatus"] if mail_from else "Pending"
    dkim = identity.get("DkimAttributes", {})
    return IdentityState(
        verified_for_sending=identity.get("VerifiedForSendingStatus", False),
        verification_status=identity.get("VerificationStatus", "PENDING"),
        dkim_status=dkim.get("Status", "NOT_STARTED"),
        dkim_tokens=tuple(dkim.get("Tokens", [])),
        mail_from_status=mail_from_status.upper(),
    )
