"""GET /v2/handles/{handle}/email/quota: the daily limit, today's usage and when it resets."""

from __future__ import annotations

from tenx_email.startup import module_loaded

from tenx_email.api.quotas import QuotaEnvelope, QuotaOut
from tenx_email.api.resolver import create_resolver, entrypoint, handle_access
from tenx_email.routes import route
from tenx_email.services import quotas

ROUTE = route("get_quota")
app = create_resolver()


@app.get(ROUTE.resolver_path)
def get_quota(handle: str) -> QuotaEnvelope:
    quota = quotas.current_quota(handle_access(app))
    return QuotaEnvelope(quota=QuotaOut.from_quota(quota, quotas.resets_at(quota)))


handler = entrypoint(app, ROUTE, prefetch=lambda handle, _: quotas.prefetch(handle))

module_loaded()
