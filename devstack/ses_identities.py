"""Local only: a domain identity's verification waits for its DNS records, as in SES.

moto reports every domain identity verified the moment it is created (DKIM SUCCESS, MAIL FROM
Success) and hands out no DKIM tokens, so locally a newly attached domain was READY at once
and the "attach, publish DNS, reconcile, poll until READY" path could not be walked. Here the
local stack's DNS is a set of published domains: until a domain's records are published
(`POST /_local/dns/{domain}/publish`), the two SES answers that reconcile reads say what SES
says of a domain whose records it has not found yet, and after it what SES says once it has.

  - sesv2 GetEmailIdentity: VerificationStatus, VerifiedForSendingStatus, DkimAttributes
    (Status and the three Easy DKIM Tokens the records are built from);
  - ses GetIdentityMailFromDomainAttributes: MailFromDomainStatus.

Nothing else moto answers is changed, and nothing like it runs in the deployed stack.
"""

from __future__ import annotations

import hashlib
import threading
from typing import Any

DKIM_TOKEN_COUNT = 3  # Easy DKIM publishes three CNAMEs per domain
_DOMAIN_IDENTITY = "DOMAIN"


def dkim_tokens(domain: str) -> list[str]:
    """Easy DKIM's tokens for a domain: 32 lowercase characters each, as SES makes them, and the
    same on every call, so the records a developer was shown stay the records to publish."""
    return [
        hashlib.sha256(f"{domain}#{index}".encode()).hexdigest()[:32]
        for index in range(DKIM_TOKEN_COUNT)
    ]


class LocalDns:
    """Which domains have their records published; read by SES answers on many threads."""

    def __init__(self) -> None:
        self._published: set[str] = set()
        self._lock = threading.Lock()

    def publish(self, domain: str) -> None:
        with self._lock:
            self._published.add(domain.lower())

    def is_published(self, domain: str) -> bool:
        with self._lock:
            return domain.lower() in self._published

    def on_get_email_identity(
        self, parsed: dict[str, Any], context: dict[str, Any], **_: Any
    ) -> None:
        """after-call.sesv2.GetEmailIdentity: the verification SES would report."""
        domain = context.get("ses_identity")
        if parsed.get("IdentityType") != _DOMAIN_IDENTITY or not isinstance(domain, str):
            return
        found = self.is_published(domain)
        parsed["VerifiedForSendingStatus"] = found
        parsed["VerificationStatus"] = "SUCCESS" if found else "PENDING"
        dkim = parsed.setdefault("DkimAttributes", {})
        dkim["Status"] = "SUCCESS" if found else "PENDING"
        dkim["Tokens"] = dkim_tokens(domain)

    def on_mail_from_attributes(self, parsed: dict[str, Any], **_: Any) -> None:
        """after-call.ses.GetIdentityMailFromDomainAttributes: Pending until the MX is found."""
        for identity, attributes in parsed.get("MailFromDomainAttributes", {}).items():
            if attributes.get("MailFromDomain"):
                found = self.is_published(identity)
                attributes["MailFromDomainStatus"] = "Success" if found else "Pending"

    @staticmethod
    def remember_identity(params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        """before-parameter-build.sesv2.GetEmailIdentity: the answer does not name the
        identity it describes, so the request's name is kept for the after-call hook."""
        context["ses_identity"] = params.get("EmailIdentity")
