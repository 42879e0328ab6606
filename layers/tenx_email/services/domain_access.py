"""Which of the caller's accounts a domain route acts for: the one that owns the domain, or
the one a domain is attached to. Apart from services/access.py, so that the routes which
never name a domain do not load the domain items."""

from __future__ import annotations

from tenx_email.dal import domains as store
from tenx_email.errors import (
    AccountAmbiguous,
    AccountDomainNotFound,
    DomainAttachedElsewhere,
    Forbidden,
)
from tenx_email.models import Caller
from tenx_email.roles import Role
from tenx_email.services import access


def authorize_domain(caller: Caller, domain: str, minimum: Role) -> str:
    """The caller's account that owns `domain`: a domain of another account, or of none,
    answers 404 account_domain_not_found (the contract's code), not 403."""
    roles = access.account_roles(caller, domain, identities=True)
    if not roles:
        raise Forbidden("you have no access to any account")
    owner = store.owner_of(domain)
    if owner is None or owner not in roles:
        raise AccountDomainNotFound(f"domain {domain} is not attached to your account")
    access.require_role(roles[owner], minimum)
    return owner


def account_to_attach_to(
    caller: Caller, domain: str, minimum: Role, requested_account_id: str | None
) -> str:
    """Which of the caller's accounts a domain is attached to: the one asked for, else the one
    that already owns it (a repeat), else the caller's only account. Several -> ask."""
    roles = access.account_roles(caller, domain)
    if not roles or (requested_account_id and requested_account_id not in roles):
        raise Forbidden("you have no access to this account")
    owner = store.owner_of(domain)
    if requested_account_id:
        account_id = requested_account_id
    elif owner in roles:
        account_id = owner
    elif len(roles) == 1:
        (account_id,) = roles
    else:
        raise AccountAmbiguous("you belong to several accounts; add ?accountId=<account>")
    access.require_role(roles[account_id], minimum)
    if owner is not None and owner != account_id:
        raise DomainAttachedElsewhere(f"domain {domain} is attached to another account")
    return account_id
