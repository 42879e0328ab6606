"""GET /v2/handles/{handle}/email/webhooks/{webhookId}: one endpoint (never its secret)."""

from __future__ import annotations

from tenx_email.startup import module_loaded

from tenx_email.api.resolver import create_resolver, entrypoint, handle_access
from tenx_email.api.webhooks import WebhookEnvelope, WebhookOut
from tenx_email.routes import route
from tenx_email.services import webhooks

ROUTE = route("get_webhook")
app = create_resolver()


@app.get(ROUTE.resolver_path)
def get_webhook(handle: str, webhookId: str) -> WebhookEnvelope:  # noqa: N803
    endpoint = webhooks.require_endpoint(handle_access(app), webhookId)
    return WebhookEnvelope(webhook=WebhookOut.from_endpoint(endpoint))


handler = entrypoint(
    app,
    ROUTE,
    prefetch=lambda handle, request: webhooks.prefetch(handle, request.path.get("webhookId", "")),
)

module_loaded()
