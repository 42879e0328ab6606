"""SES v2 SendEmail: one recipient per call, Simple content, tagged so feedback finds it.

SendEmail has no idempotency token, so this adapter never retries on its own and sorts every
outcome into three kinds: accepted (SES's message id), `Throttled` (SES certainly did not
take it: safe to try again later), `Rejected` (SES refused it for good). Anything else raises
`OutcomeUnknown`: SES may or may not have accepted the message, and the caller must not
send it again.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from email.header import Header
from email.utils import formataddr
from functools import cache
from typing import TYPE_CHECKING

import boto3
from botocore.config import Config
from botocore.exceptions import (
    ClientError,
    ConnectTimeoutError,
    EndpointConnectionError,
    ParamValidationError,
)

if TYPE_CHECKING:
    from mypy_boto3_sesv2 import SESV2Client
    from mypy_boto3_sesv2.type_defs import BodyTypeDef, MessageTypeDef, SendEmailRequestTypeDef

# The SDK's own retries would repeat a send whose response was lost (a read timeout), so
# they are off: retrying is delivery's decision. The timeouts bound one call well inside
# the function's timeout (see services/delivery.py, SES_CALL_BUDGET_SECONDS).
_CLIENT_CONFIG = Config(retries={"total_max_attempts": 1}, connect_timeout=3, read_timeout=10)

# Rate and quota limits, and a paused account, configuration set or tenant (delivery holds a
# paused tenant's mail: services/ses_tenants.py): nothing was sent, and
# the same request can succeed later. NotFoundException means our configuration set is
# missing: a deployment fault to fix and redrive, not a property of the message.
TRANSIENT_CODES = frozenset(
    {
        "TooManyRequestsException",
        "ThrottlingException",
        "Throttling",
        "LimitExceededException",
        "SendingPausedException",
        "NotFoundException",
    }
)
# The request itself will never be accepted (content, addresses, an unverified or suspended
# sender). InvalidParameterValue is what SES v1 (and moto) answer for a malformed address.
PERMANENT_CODES = frozenset(
    {
        "MessageRejected",
        "MailFromDomainNotVerifiedException",
        "AccountSuspendedException",
        "BadRequestException",
        "InvalidParameterValue",
    }
)
_TAG_UNSAFE = re.compile(r"[^A-Za-z0-9_-]")
MAX_TAG_VALUE = 256
MAX_REASON = 300
# RFC 2047: an encoded word is at most 75 characters.
_MAX_ENCODED_WORD = 75


class Throttled(Exception):
    """SES did not accept the message now; it may later."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


class Rejected(Exception):
    """SES refused the message for good. `detail` may name addresses: store it, never log it."""

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(code)
        self.code = code
        self.detail = detail


class OutcomeUnknown(Exception):
    """The call failed in a way that does not tell whether SES accepted the message."""


@dataclass(frozen=True)
class OutgoingEmail:
    from_name: str
    from_address: str  # local@domain
    reply_to: str | None
    to: str
    subject: str
    html: str | None
    text: str | None
    tags: Mapping[str, str]
    # Content.Simple.Headers (List-Unsubscribe and its one-click companion).
    headers: Mapping[str, str] = field(default_factory=dict)


@cache
def _client(region: str) -> SESV2Client:
    return boto3.client("sesv2", region_name=region, config=_CLIENT_CONFIG)


def tag_value(value: str) -> str:
    """SES tag values may only hold ASCII letters, digits, '_' and '-' (at most 256)."""
    return _TAG_UNSAFE.sub("_", value)[:MAX_TAG_VALUE] or "_"


def from_header(name: str, address: str) -> str:
    """The From as SES takes it: ASCII only. An ASCII name is quoted where RFC 5322 needs it
    (`"Acme, Inc." <...>`); any other is RFC 2047 encoded words (`=?utf-8?b?...?= <...>`),
    split so that no word exceeds 75 characters and joined by spaces (never a line break)."""
    if name.isascii():
        return formataddr((name, address))
    words = Header(name, "utf-8", maxlinelen=_MAX_ENCODED_WORD).encode(linesep="")
    return f"{words} <{address}>"


def _request(
    email: OutgoingEmail, configuration_set: str, tenant: str | None
) -> SendEmailRequestTypeDef:
    body: BodyTypeDef = {}
    if email.html is not None:
        body["Html"] = {"Data": email.html, "Charset": "UTF-8"}
    if email.text is not None:
        body["Text"] = {"Data": email.text, "Charset": "UTF-8"}
    simple: MessageTypeDef = {"Subject": {"Data": email.subject, "Charset": "UTF-8"}, "Body": body}
    if email.headers:
        simple["Headers"] = [
            {"Name": name, "Value": value} for name, value in email.headers.items()
        ]
    request: SendEmailRequestTypeDef = {
        "FromEmailAddress": from_header(email.from_name, email.from_address),
        "Destination": {"ToAddresses": [email.to]},
        "Content": {"Simple": simple},
        "ConfigurationSetName": configuration_set,
        "EmailTags": [
            {"Name": name, "Value": tag_value(value)} for name, value in email.tags.items()
        ],
    }
    if email.reply_to:
        request["ReplyToAddresses"] = [email.reply_to]
    if tenant is not None:
        request["TenantName"] = tenant
    return request


def send(
    email: OutgoingEmail, *, region: str, configuration_set: str, tenant: str | None = None
) -> str:
    """Send one email to one recipient (through the handle's SES tenant, if it has one);
    return SES's message id."""
    request = _request(email, configuration_set, tenant)
    try:
        response = _client(region).send_email(**request)
    except ClientError as error:
        code = error.response.get("Error", {}).get("Code", "Unknown")
        if code in TRANSIENT_CODES:
            raise Throttled(code) from None
        if code in PERMANENT_CODES:
            detail = error.response.get("Error", {}).get("Message", "")
            raise Rejected(code, f"{code}: {detail}"[:MAX_REASON]) from None
        # `from None` here and below: the original may quote addresses, and this one is logged.
        raise OutcomeUnknown(code) from None
    except ParamValidationError as error:
        # Refused by the SDK before anything went out.
        raise Rejected("ParamValidation", str(error)[:MAX_REASON]) from None
    except (ConnectTimeoutError, EndpointConnectionError):
        raise Throttled("ConnectionFailed") from None  # never connected: nothing was sent
    except Exception as error:
        raise OutcomeUnknown(type(error).__name__) from None
    return response["MessageId"]
