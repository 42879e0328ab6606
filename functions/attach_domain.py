"""PUT /v2/account/domains/{domain}: attach a sending domain to the caller's account (OWNER)."""

from __future__ import annotations

from tenx_email.startup import module_loaded

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Query

from tenx_email.api.domains import IdentityEnvelope, IdentityOut
from tenx_email.api.resolver import caller, create_resolver, entrypoint
from tenx_email.ids import ACCOUNT_ID_PATTERN
from tenx_email.routes import route
from tenx_email.services import domains

ROUTE = route("attach_domain")
app = create_resolver()


@app.put(ROUTE.resolver_path)
def attach_domain(
    domain: str,
    accountId: Annotated[str | None, Query(pattern=ACCOUNT_ID_PATTERN)] = None,  # noqa: N803
) -> IdentityEnvelope:
    identity = domains.attach_for_caller(caller(app), domain, ROUTE.min_role, accountId)
    return IdentityEnvelope(identity=IdentityOut.from_identity(identity, all_records=True))


handler = entrypoint(app, ROUTE)

module_loaded()
