"""PUT /v2/handles/{handle}/email/webhooks/{webhookId}: replace an endpoint's settings;
`expectedVersion` guards against overwriting a concurrent change (409 version_conflict)."""

from __future__ import annotations

from tenx_email.startup import module_loaded

from tenx_email.api.resolver import create_resolver, entrypoint, handle_access
from tenx_email.api.webhooks import WebhookEnvelope, WebhookOut, WebhookUpdateIn
from tenx_email.routes import route
from tenx_email.services import webhooks

ROUTE = route("update_webhook")
app = create_resolver()


@app.put(ROUTE.resolver_path)
def update_webhook(handle: str, webhookId: str, body: WebhookUpdateIn) -> WebhookEnvelope:  # noqa: N803
    endpoint = webhooks.update_endpoint(
        handle_access(app), webhookId, body.draft(), body.expected_version
    )
    return WebhookEnvelope(webhook=WebhookOut.from_endpoint(endpoint))


handler = entrypoint(
    app,
    ROUTE,
    prefetch=lambda handle, request: webhooks.prefetch(handle, request.path.get("webhookId", "")),
)

module_loaded()
