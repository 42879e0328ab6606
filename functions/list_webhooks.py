"""GET /v2/handles/{handle}/email/webhooks: the handle's webhook endpoints."""

from __future__ import annotations

from tenx_email.startup import module_loaded

from tenx_email.api.resolver import create_resolver, entrypoint, handle_access
from tenx_email.api.webhooks import WebhookListOut, WebhookOut
from tenx_email.routes import route
from tenx_email.services import webhooks

ROUTE = route("list_webhooks")
app = create_resolver()


@app.get(ROUTE.resolver_path)
def list_webhooks(handle: str) -> WebhookListOut:
    found = webhooks.list_endpoints(handle_access(app))
    return WebhookListOut(webhooks=[WebhookOut.from_endpoint(endpoint) for endpoint in found])


handler = entrypoint(app, ROUTE)

module_loaded()
