"""Account domains: the SES identity behind each, and our view of its readiness."""

from __future__ import annotations

import re

from tenx_email.adapters import ses
from tenx_email.dal import domains as store
from tenx_email.errors import InvalidInput, NotFound
from tenx_email.models import DomainIdentity, IdentityStatus

_DOMAIN = re.compile(r"^(?=.{4,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
MAIL_FROM_SUBDOMAIN = "bounce"


def normalize_domain(domain: str) -> str:
    normalized = domain.strip().lower()
    if not _DOMAIN.fullmatch(normalized):
        raise InvalidInput(f"invalid domain: {domain!r}")
    return normalized


def attach_domain(account_id: str, domain: str, region: str) -> DomainIdentity:
    """Create the SES identity and attach the domain to the account; safe to repeat."""
    name = normalize_domain(domain)
    ses.ensure_domain_identity(region, name)
    store.attach(
        DomainIdentity(
            account_id=account_id,
            domain=name,
            region=region,
            status=IdentityStatus.PENDING,
            mail_from_domain=f"{MAIL_FROM_SUBDOMAIN}.{name}",
        )
    )
    return reconcile_domain(account_id, name)


def reconcile_domain(account_id: str, domain: str) -> DomainIdentity:
    """Move our identity status to what SES reports."""
    identity = store.get(account_id, normalize_domain(domain))
    if identity is None:
        raise NotFound(f"domain {domain} is not attached to this account")
    state = ses.domain_identity_state(identity.region, identity.domain)
    if state is None:
        status, reason = IdentityStatus.FAILED, "the SES identity does not exist"
    elif state.verified_for_sending or state.verification_status == "SUCCESS":
        status, reason = IdentityStatus.READY, None
    elif state.verification_status == "FAILED":
        status, reason = IdentityStatus.FAILED, "SES could not verify the domain's DNS records"
    else:
        status, reason = IdentityStatus.PENDING, None
    reconciled = identity.model_copy(update={"status": status, "status_reason": reason})
    if reconciled != identity:
        store.save(reconciled)
    return reconciled
