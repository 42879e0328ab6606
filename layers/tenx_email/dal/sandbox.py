"""What the sandbox check reads: which of some domains are READY identities of an account
(PK=ACCOUNT#id, SK=DOMAIN#d, one BatchGetItem; a send names at most 50 recipients)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from tenx_email import keys
from tenx_email.dal.identity_items import DomainIdentityItem
from tenx_email.dal.queries import batch_get
from tenx_email.identity_models import IdentityStatus


def ready_domains(account_id: str, domains: Iterable[str]) -> set[str]:
    return ready_among(
        batch_get([keys.account_domain(account_id, domain) for domain in sorted(set(domains))])
    )


def ready_among(identity_items: Iterable[dict[str, Any]]) -> set[str]:
    """The (lowercased) domains of the READY identities among these stored items."""
    identities = [DomainIdentityItem.from_item(item).to_domain() for item in identity_items]
    return {
        identity.domain.lower()
        for identity in identities
        if identity.status is IdentityStatus.READY
    }
