"""GET /v2/account/domains/{domain}/email-identity: the identity and the senders using it."""

from __future__ import annotations

from tenx_email.startup import module_loaded

from tenx_email.api.domains import IdentityOut
from tenx_email.api.resolver import caller, create_resolver, entrypoint
from tenx_email.api.senders import DomainIdentityOut, DomainSenderOut
from tenx_email.routes import route
from tenx_email.services import domains

ROUTE = route("get_domain_identity")
app = create_resolver()


@app.get(ROUTE.resolver_path)
def get_domain_identity(domain: str) -> DomainIdentityOut:
    detail = domains.describe_domain(caller(app), domain, ROUTE.min_role)
    return DomainIdentityOut(
        identity=IdentityOut.from_identity(detail.identity),
        sender_profiles=[DomainSenderOut.from_sender(sender) for sender in detail.senders],
    )


handler = entrypoint(app, ROUTE)

module_loaded()
