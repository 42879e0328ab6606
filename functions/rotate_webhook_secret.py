"""POST /v2/handles/{handle}/email/webhooks/{webhookId}/rotate-secret: a new signing secret,
shown in this answer only; the previous one keeps signing beside it for 24 hours."""

from __future__ import annotations

from tenx_email.startup import module_loaded

from tenx_email import clock
from tenx_email.api.resolver import create_resolver, entrypoint, handle_access
from tenx_email.api.webhooks import WebhookOut, WebhookWithSecretOut
from tenx_email.routes import route
from tenx_email.services import webhooks

ROUTE = route("rotate_webhook_secret")
app = create_resolver()


@app.post(ROUTE.resolver_path)
def rotate_webhook_secret(handle: str, webhookId: str) -> WebhookWithSecretOut:  # noqa: N803
    rotated = webhooks.rotate_secret(handle_access(app), webhookId)
    previous = rotated.endpoint.secrets[1:2]
    return WebhookWithSecretOut(
        webhook=WebhookOut.from_endpoint(rotated.endpoint),
        secret=rotated.secret,
        previous_secret_expires_at=clock.iso(previous[0].retires_at)
        if previous and previous[0].retires_at
        else None,
    )


handler = entrypoint(
    app,
    ROUTE,
    prefetch=lambda handle, request: webhooks.prefetch(handle, request.path.get("webhookId", "")),
)

module_loaded()
