"""Campaigns as the rule, sequence and trigger routes see them."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from tenx_email import clock, ids
from tenx_email.dal import campaign_counts
from tenx_email.dal import tenancy as store
from tenx_email.errors import CampaignNotFound, DomainError
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


def delete_counted(
    handle_name: str,
    campaign_id: str,
    item_id: str | None,
    mark_deleted: Callable[[str, str, str, datetime], None],
    not_found: DomainError,
) -> None:
    """Soft-delete a campaign's counted item (a rule, a sequence: dal/campaign_counts.py) by
    its id, None when the path's id cannot name one. Repeating it is fine; an unknown campaign
    answers before an unknown item."""
    require_campaign_id(campaign_id)
    if item_id is None:
        require_campaign(handle_name, campaign_id)
        raise not_found
    try:
        mark_deleted(handle_name, campaign_id, item_id, clock.now())
    except campaign_counts.CampaignMissing as error:
        raise campaign_not_found(campaign_id) from error
    except campaign_counts.ItemMissing as error:
        raise not_found from error
