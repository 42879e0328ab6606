"""GET /v2/handles/{handle}/campaigns/{campaignId}/settings: a campaign's frequency caps and
send window (the defaults, at version 0, until they are first put)."""

from __future__ import annotations

from tenx_email.startup import module_loaded

from tenx_email.api.campaign_settings import CampaignSettingsEnvelope, CampaignSettingsOut
from tenx_email.api.resolver import create_resolver, entrypoint, handle_access
from tenx_email.routes import route
from tenx_email.services import campaign_settings

ROUTE = route("get_campaign_settings")
app = create_resolver()


@app.get(ROUTE.resolver_path)
def get_campaign_settings(handle: str, campaignId: str) -> CampaignSettingsEnvelope:  # noqa: N803
    settings = campaign_settings.get_settings(handle_access(app), campaignId)
    return CampaignSettingsEnvelope(settings=CampaignSettingsOut.from_settings(settings))


handler = entrypoint(
    app, ROUTE, prefetch=lambda handle, request: campaign_settings.prefetch(handle, request.path)
)

module_loaded()
