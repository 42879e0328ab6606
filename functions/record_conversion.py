"""POST /v2/handles/{handle}/campaigns/{campaignId}/conversions: record a (test) conversion
of a lead captured on the campaign; its CONVERSION rules run asynchronously (202)."""

from __future__ import annotations

from tenx_email.startup import module_loaded

from tenx_email.api.campaign_events import (
    CampaignEventAccepted,
    ConversionIn,
    IdempotencyKeyHeader,
)
from tenx_email.api.resolver import create_resolver, entrypoint, handle_access
from tenx_email.routes import route
from tenx_email.services import campaign_events, rules

ROUTE = route("record_conversion")
app = create_resolver()


@app.post(ROUTE.resolver_path, status_code=202)
def record_conversion(
    handle: str,
    campaignId: str,  # noqa: N803
    body: ConversionIn,
    idempotency_key: IdempotencyKeyHeader = None,
) -> tuple[CampaignEventAccepted, int]:
    event = campaign_events.record_conversion(
        handle_access(app), campaignId, body.lead_id, idempotency_key
    )
    return CampaignEventAccepted.from_event(event), 202


handler = entrypoint(
    app,
    ROUTE,
    prefetch=lambda handle, request: rules.prefetch(handle, request.path.get("campaignId", "")),
)

module_loaded()
