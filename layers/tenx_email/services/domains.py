"""Account domains: the SES identity behind each, the DNS records it needs, and our view of
its readiness (PENDING -> READY, or FAILED with a reason), moved only by reconcile."""

from __future__ import annotations

import re
from dataclasses import dataclass

from tenx_email.adapters import ses
from tenx_email.dal import domains as store
from tenx_email.dal import senders as sender_store
from tenx_email.errors import AccountDomainNotFound, InvalidInput
from tenx_email.identity_models import DnsRecord, DomainIdentity, IdentityStatus, Sender
from tenx_email.models import Caller
from tenx_email.roles import Role
from tenx_email.services import domain_access, ses_tenants
from tenx_email.settings import ses_settings

_LABELS = r"(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}"
DOMAIN = re.compile(rf"^(?=.{{4,253}}$){_LABELS}$")
# The OpenAPI document's form: the same, with the lookahead as lengths (generators of test
# data cannot honour a lookahead).
DOMAIN_FORM = {"pattern": rf"^{_LABELS}$", "minLength": 4, "maxLength": 253}
MAIL_FROM_SUBDOMAIN = "bounce"


def normalize_domain(domain: str) -> str:
    normalized = domain.strip().lower()
    if not DOMAIN.fullmatch(normalized):
        raise InvalidInput(f"invalid domain: {domain!r}")
    return normalized


def required_dns_records(
    domain: str, region: str, mail_from_domain: str, dkim_tokens: tuple[str, ...]
) -> tuple[DnsRecord, ...]:
    """What to paste into DNS: Easy DKIM's CNAMEs, the MAIL FROM MX and SPF, and a DMARC
    policy to start from (monitoring only; tighten once reports look clean)."""
    dkim = tuple(
        DnsRecord(
            type="CNAME", name=f"{token}._domainkey.{domain}", value=f"{token}.dkim.amazonses.com"
        )
        for token in dkim_tokens
    )
    return (
        *dkim,
        DnsRecord(
            type="MX", name=mail_from_domain, value=f"10 feedback-smtp.{region}.amazonses.com"
        ),
        DnsRecord(type="TXT", name=mail_from_domain, value='"v=spf1 include:amazonses.com ~all"'),
        DnsRecord(type="TXT", name=f"_dmarc.{domain}", value='"v=DMARC1; p=none;"'),
    )


def attach_domain(account_id: str, domain: str, region: str) -> DomainIdentity:
    """Create the SES identity, attach the domain to the account and associate it with the
    SES tenants of the account's handles; safe to repeat."""
    name = normalize_domain(domain)
    mail_from_domain = f"{MAIL_FROM_SUBDOMAIN}.{name}"
    ses.ensure_domain_identity(region, name, mail_from_domain)
    store.attach(
        DomainIdentity(
            account_id=account_id,
            domain=name,
            region=region,
            status=IdentityStatus.PENDING,
            mail_from_domain=mail_from_domain,
        )
    )
    ses_tenants.associate_identity(account_id, name, region)
    return reconcile_domain(account_id, name)


def _status_from(state: ses.IdentityState | None) -> tuple[IdentityStatus, str | None]:
    if state is None:
        return IdentityStatus.FAILED, "the SES identity does not exist; attach the domain again"
    failures = [
        reason
        for failed, reason in (
            (state.verification_status == "FAILED", "SES could not verify the domain"),
            (state.dkim_status == "FAILED", "the DKIM CNAME records were not found"),
            (state.mail_from_status == "FAILED", "the MAIL FROM MX record was not found"),
        )
        if failed
    ]
    if failures:
        return IdentityStatus.FAILED, "; ".join(failures)
    verified = state.verified_for_sending or state.verification_status == "SUCCESS"
    if verified and state.dkim_status == "SUCCESS" and state.mail_from_status == "SUCCESS":
        return IdentityStatus.READY, None
    return IdentityStatus.PENDING, None


def get_domain(account_id: str, domain: str) -> DomainIdentity:
    identity = store.get(account_id, normalize_domain(domain))
    if identity is None:
        raise AccountDomainNotFound(f"domain {domain} is not attached to this account")
    return identity


def reconcile_domain(account_id: str, domain: str) -> DomainIdentity:
    """Move our identity status to what SES reports, and copy it onto the senders using it."""
    identity = get_domain(account_id, domain)
    state = ses.domain_identity_state(identity.region, identity.domain)
    status, reason = _status_from(state)
    records = required_dns_records(
        identity.domain,
        identity.region,
        identity.mail_from_domain,
        state.dkim_tokens if state else (),
    )
    reconciled = identity.model_copy(
        update={"status": status, "status_reason": reason, "required_dns_records": records}
    )
    if reconciled != identity:
        store.save(reconciled)
    if status is not identity.status:
        for sender in sender_store.senders_of_domain(identity.domain):
            sender_store.set_identity_status(sender, status)
    return reconciled


@dataclass(frozen=True)
class DomainDetail:
    identity: DomainIdentity
    senders: list[Sender]


def describe_domain(caller: Caller, domain: str, minimum: Role) -> DomainDetail:
    """GET email-identity: the caller's account's identity and the senders that use it."""
    name = normalize_domain(domain)
    account_id = domain_access.authorize_domain(caller, name, minimum)
    identity = get_domain(account_id, name)
    # The owner item came with the access check (the request's read cache); its senders
    # are read only now, once the caller's access to the owning account is established.
    owner = store.get_owner(name)
    snapshot = sender_store.snapshot_of_domain(owner) if owner else None
    return DomainDetail(
        identity=identity,
        senders=snapshot if snapshot is not None else sender_store.senders_of_domain(name),
    )


def reconcile_for_caller(caller: Caller, domain: str, minimum: Role) -> DomainIdentity:
    name = normalize_domain(domain)
    return reconcile_domain(domain_access.authorize_domain(caller, name, minimum), name)


def attach_for_caller(
    caller: Caller, domain: str, minimum: Role, account_id: str | None
) -> DomainIdentity:
    name = normalize_domain(domain)
    owner = domain_access.account_to_attach_to(caller, name, minimum, account_id)
    return attach_domain(owner, name, ses_settings().ses_region)
