"""DELETE /v2/handles/{handle}/email/webhooks/{webhookId}: stop and remove an endpoint (204);
its delivery log stays readable until it expires."""

from __future__ import annotations

from tenx_email.startup import module_loaded

from aws_lambda_powertools.event_handler import Response

from tenx_email.api.resolver import create_resolver, entrypoint, handle_access
from tenx_email.routes import route
from tenx_email.services import webhooks

ROUTE = route("delete_webhook")
app = create_resolver()


@app.delete(ROUTE.resolver_path, status_code=204)
def delete_webhook(handle: str, webhookId: str) -> Response[str]:  # noqa: N803
    webhooks.delete_endpoint(handle_access(app), webhookId)
    return Response(status_code=204, body="")


handler = entrypoint(
    app,
    ROUTE,
    prefetch=lambda handle, request: webhooks.prefetch(handle, request.path.get("webhookId", "")),
)

module_loaded()
