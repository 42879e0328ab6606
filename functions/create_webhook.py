"""POST /v2/handles/{handle}/email/webhooks: a new endpoint; its signing secret is in this
answer only."""

from __future__ import annotations

from tenx_email.startup import module_loaded

from tenx_email.api.resolver import create_resolver, entrypoint, handle_access
from tenx_email.api.webhooks import WebhookIn, WebhookOut, WebhookWithSecretOut
from tenx_email.routes import route
from tenx_email.services import webhooks

ROUTE = route("create_webhook")
app = create_resolver()


@app.post(ROUTE.resolver_path, status_code=201)
def create_webhook(handle: str, body: WebhookIn) -> tuple[WebhookWithSecretOut, int]:
    created = webhooks.create_endpoint(handle_access(app), body.draft())
    return WebhookWithSecretOut(
        webhook=WebhookOut.from_endpoint(created.endpoint), secret=created.secret
    ), 201


handler = entrypoint(app, ROUTE)

module_loaded()
