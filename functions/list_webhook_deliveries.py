"""GET /v2/handles/{handle}/email/webhooks/{webhookId}/deliveries?status=&limit=&nextToken=:
the endpoint's delivery log, newest first, each delivery with every attempt. `status`
filters each page after its `limit` deliveries are read (a page may hold fewer, and still
have a `nextToken`); a token is only good with the status of the request that got it."""

from __future__ import annotations

from tenx_email.startup import module_loaded

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Query

from tenx_email.api.resolver import create_resolver, entrypoint, handle_access
from tenx_email.api.webhooks import DeliveryListOut, DeliveryOut
from tenx_email.routes import route
from tenx_email.services import webhook_log, webhooks
from tenx_email.webhooks import DeliveryStatus

ROUTE = route("list_webhook_deliveries")
app = create_resolver()


@app.get(ROUTE.resolver_path)
def list_webhook_deliveries(
    handle: str,
    webhookId: str,  # noqa: N803
    limit: Annotated[int, Query(ge=1, le=webhook_log.MAX_PAGE_SIZE)] = 25,
    nextToken: str | None = None,  # noqa: N803
    status: DeliveryStatus | None = None,
) -> DeliveryListOut:
    page = webhook_log.list_deliveries(handle_access(app), webhookId, status, limit, nextToken)
    return DeliveryListOut(
        deliveries=[DeliveryOut.from_delivery(delivery) for delivery in page.items],
        next_token=page.next_token,
    )


handler = entrypoint(
    app,
    ROUTE,
    prefetch=lambda handle, request: webhooks.prefetch(handle, request.path.get("webhookId", "")),
)

module_loaded()
