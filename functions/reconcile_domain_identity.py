"""POST /v2/account/domains/{domain}/email-identity/reconcile: re-read SES, move our status.
202: the status may still be PENDING; poll the GET."""

from __future__ import annotations

from tenx_email.startup import module_loaded

from tenx_email.api.domains import IdentityEnvelope, IdentityOut
from tenx_email.api.resolver import caller, create_resolver, entrypoint
from tenx_email.routes import route
from tenx_email.services import domains

ROUTE = route("reconcile_domain_identity")
app = create_resolver()


@app.post(ROUTE.resolver_path, status_code=202)
def reconcile_domain_identity(domain: str) -> tuple[IdentityEnvelope, int]:
    identity = domains.reconcile_for_caller(caller(app), domain, ROUTE.min_role)
    return IdentityEnvelope(identity=IdentityOut.from_identity(identity)), 202


handler = entrypoint(app, ROUTE)

module_loaded()
