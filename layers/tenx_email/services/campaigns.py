"""Campaigns as the rule and trigger routes see them."""

from __future__ import annotations

from tenx_email import ids
from tenx_email.dal import tenancy as store
from tenx_email.errors import CampaignNotFound
from tenx_email.models import Campaign


def campaign_not_found(campaign_id: str) -> CampaignNotFound:
    return CampaignNotFound(f"campaign {campaign_id[:80]!r} does not exist for this handle")


def require_campaign_id(campaign_id: str) -> None:
    # A malformed id cannot name a campaign; refusing it here also keeps it out of keys.
    if not ids.is_valid(ids.CAMPAIGN_ID_PATTERN, campaign_id):
        raise campaign_not_found(campaign_id)


def require_campaign(handle_name: str, campaign_id: str) -> Campaign:
    require_campaign_id(campaign_id)
    campaign = store.get_campaign(handle_name, campaign_id)
    if campaign is None:
        raise campaign_not_found(campaign_id)
    return campaign
