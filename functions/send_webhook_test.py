"""POST /v2/handles/{handle}/email/webhooks/{webhookId}/test: send a signed WEBHOOK_TEST event
to the endpoint (202); its delivery is in the log like any other."""

from __future__ import annotations

from tenx_email.startup import module_loaded

from tenx_email.api.resolver import create_resolver, entrypoint, handle_access
from tenx_email.api.webhooks import DeliveryEnvelope, DeliveryOut
from tenx_email.routes import route
from tenx_email.services import webhook_log, webhooks

ROUTE = route("send_webhook_test")
app = create_resolver()


@app.post(ROUTE.resolver_path, status_code=202)
def send_webhook_test(handle: str, webhookId: str) -> tuple[DeliveryEnvelope, int]:  # noqa: N803
    delivery = webhook_log.send_test(handle_access(app), webhookId)
    return DeliveryEnvelope(delivery=DeliveryOut.from_delivery(delivery)), 202


handler = entrypoint(
    app,
    ROUTE,
    prefetch=lambda handle, request: webhooks.prefetch(handle, request.path.get("webhookId", "")),
)

module_loaded()
