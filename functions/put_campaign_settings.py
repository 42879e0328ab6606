"""PUT /v2/handles/{handle}/campaigns/{campaignId}/settings: replace a campaign's frequency
caps and send window (what is left out is none); `expectedVersion` guards against overwriting
a concurrent change (409 version_conflict)."""

from __future__ import annotations

from tenx_email.startup import module_loaded

from tenx_email.api.campaign_settings import (
    CampaignSettingsEnvelope,
    CampaignSettingsIn,
    CampaignSettingsOut,
)
from tenx_email.api.resolver import create_resolver, entrypoint, handle_access
from tenx_email.routes import route
from tenx_email.services import campaign_settings

ROUTE = route("put_campaign_settings")
app = create_resolver()


@app.put(ROUTE.resolver_path)
def put_campaign_settings(
    handle: str,
    campaignId: str,  # noqa: N803
    body: CampaignSettingsIn,
) -> CampaignSettingsEnvelope:
    settings = campaign_settings.put_settings(
        handle_access(app), campaignId, body.draft(), body.expected_version
    )
    return CampaignSettingsEnvelope(settings=CampaignSettingsOut.from_settings(settings))


handler = entrypoint(
    app, ROUTE, prefetch=lambda handle, request: campaign_settings.prefetch(handle, request.path)
)

module_loaded()
