"""POST /v2/handles/{handle}/email/webhooks/{webhookId}/deliveries/{deliveryId}/replay: send
one delivery again (202), with the same `webhook-id`, whatever its status."""

from __future__ import annotations

from tenx_email.startup import module_loaded

from tenx_email.api.resolver import create_resolver, entrypoint, handle_access
from tenx_email.api.webhooks import DeliveryEnvelope, DeliveryOut
from tenx_email.routes import route
from tenx_email.services import webhook_log, webhooks

ROUTE = route("replay_webhook_delivery")
app = create_resolver()


@app.post(ROUTE.resolver_path, status_code=202)
def replay_webhook_delivery(
    handle: str,
    webhookId: str,  # noqa: N803
    deliveryId: str,  # noqa: N803
) -> tuple[DeliveryEnvelope, int]:
    delivery = webhook_log.replay_one(handle_access(app), webhookId, deliveryId)
    return DeliveryEnvelope(delivery=DeliveryOut.from_delivery(delivery)), 202


handler = entrypoint(
    app,
    ROUTE,
    prefetch=lambda handle, request: webhooks.prefetch(handle, request.path.get("webhookId", "")),
)

module_loaded()
