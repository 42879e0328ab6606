"""POST /v2/handles/{handle}/campaigns/{campaignId}/leads: capture a (test) lead; the
campaign's rules run asynchronously (202 with the event id)."""

from __future__ import annotations

from tenx_email.startup import module_loaded

from tenx_email.api.campaign_events import CampaignEventAccepted, IdempotencyKeyHeader
from tenx_email.api.leads import LeadSnapshot
from tenx_email.api.resolver import create_resolver, entrypoint, handle_access
from tenx_email.routes import route
from tenx_email.services import campaign_events, rules

ROUTE = route("capture_lead")
app = create_resolver()


@app.post(ROUTE.resolver_path, status_code=202)
def capture_lead(
    handle: str,
    campaignId: str,  # noqa: N803
    body: LeadSnapshot,
    idempotency_key: IdempotencyKeyHeader = None,
) -> tuple[CampaignEventAccepted, int]:
    event = campaign_events.capture_lead(handle_access(app), campaignId, body, idempotency_key)
    return CampaignEventAccepted.from_event(event), 202


handler = entrypoint(
    app,
    ROUTE,
    prefetch=lambda handle, request: rules.prefetch(handle, request.path.get("campaignId", "")),
)

module_loaded()
