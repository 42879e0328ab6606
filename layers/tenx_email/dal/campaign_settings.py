"""Campaign settings (PK=HANDLE#h, SK=CAMPAIGN#<campaignId>#SETTINGS) in the single table: one
item per campaign, absent until the settings are first put, each put adding 1 to its version."""

from __future__ import annotations

from dataclasses import dataclass

from tenx_email import keys
from tenx_email.campaign_models import CampaignSettings
from tenx_email.dal.campaign_items import CampaignSettingsItem
from tenx_email.dal.items import CampaignItem
from tenx_email.dal.queries import batch_get
from tenx_email.dal.table import table
from tenx_email.models import Campaign


class ConcurrentChange(Exception):
    """The settings changed between our read and our write."""


@dataclass(frozen=True)
class SettingsContext:
    """The campaign and its stored settings (None: never set), read in one BatchGetItem."""

    campaign: Campaign | None
    settings: CampaignSettings | None


def read_context(handle_name: str, campaign_id: str) -> SettingsContext:
    campaign_key = keys.campaign(handle_name, campaign_id)
    settings_key = keys.campaign_settings(handle_name, campaign_id)
    by_sort = {item["SK"]: item for item in batch_get([campaign_key, settings_key])}
    campaign, settings = by_sort.get(campaign_key["SK"]), by_sort.get(settings_key["SK"])
    return SettingsContext(
        campaign=CampaignItem.from_item(campaign).to_domain() if campaign else None,
        settings=CampaignSettingsItem.from_item(settings).to_domain() if settings else None,
    )


def replace(settings: CampaignSettings, *, seen_version: int) -> None:
    """Write the settings only while they are at the version we read (0: none stored yet)."""
    # No item is stored at version 0, so "none stored yet" is the first half alone.
    try:
        table().put_item(
            Item=CampaignSettingsItem.from_domain(settings).to_item(),
            ConditionExpression="attribute_not_exists(PK) OR version = :seen"
            if seen_version == 0
            else "version = :seen",
            ExpressionAttributeValues={":seen": seen_version},
        )
    except table().meta.client.exceptions.ConditionalCheckFailedException as error:
        raise ConcurrentChange(settings.campaign_id) from error
