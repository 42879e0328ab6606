"""A campaign's settings: the cooldown between two of its emails to one lead, the lead's daily
cap and the send window (send_windows.py has the rules). They are to govern the campaign's
rule messages and sequence steps, never direct sends; this module only keeps them.

Checks: the body's shape and the limits below (400 invalid_request, before any read); then,
after one read, the campaign (404 campaign_not_found) and expectedVersion (409
version_conflict). A put replaces the whole settings; what it leaves out is "none".
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from tenx_email import clock, ids, keys
from tenx_email.campaign_models import CampaignSettings
from tenx_email.dal import campaign_settings as store
from tenx_email.models import HandleAccess
from tenx_email.send_windows import SendWindow
from tenx_email.services import versioned
from tenx_email.services.campaigns import campaign_not_found, require_campaign_id

MAX_COOLDOWN_MINUTES = 43_200  # 30 days; 0 is no cooldown
MIN_DAILY_CAP, MAX_DAILY_CAP = 1, 1_000  # None is no cap


@dataclass(frozen=True)
class SettingsDraft:
    """The settings as the client puts them (checked against the limits by the API model)."""

    contact_cooldown_minutes: int
    contact_daily_cap: int | None
    send_window: SendWindow | None


def prefetch(handle_name: str, path: Mapping[str, str]) -> list[keys.Key]:
    """The campaign its path names and its settings, for the access check to read along
    (nothing under an id that cannot name a campaign)."""
    campaign_id = path.get("campaignId", "")
    if not ids.is_valid(ids.CAMPAIGN_ID_PATTERN, campaign_id):
        return []
    return [
        keys.campaign(handle_name, campaign_id),
        keys.campaign_settings(handle_name, campaign_id),
    ]


def _current(access: HandleAccess, campaign_id: str) -> CampaignSettings:
    """The stored settings, or the defaults (version 0); an unknown campaign is refused."""
    require_campaign_id(campaign_id)
    handle = access.handle.handle
    context = store.read_context(handle, campaign_id)
    if context.campaign is None:
        raise campaign_not_found(campaign_id)
    return context.settings or CampaignSettings(handle=handle, campaign_id=campaign_id)


def get_settings(access: HandleAccess, campaign_id: str) -> CampaignSettings:
    return _current(access, campaign_id)


def put_settings(
    access: HandleAccess, campaign_id: str, draft: SettingsDraft, expected_version: int | None
) -> CampaignSettings:
    """Replace a campaign's settings; each put adds 1 to the version. With expected_version
    (0: none stored yet) they must still be at that version; without it the last write wins
    (a lost race with another put is retried on the fresh settings)."""

    def write(current: CampaignSettings) -> CampaignSettings:
        changed = current.model_copy(
            update={
                "contact_cooldown_minutes": draft.contact_cooldown_minutes,
                "contact_daily_cap": draft.contact_daily_cap,
                "send_window": draft.send_window,
                "version": current.version + 1,
                "updated_at": clock.now(),
            }
        )
        store.replace(changed, seen_version=current.version)
        return changed

    return versioned.replace_at_version(
        read=lambda: _current(access, campaign_id),
        version_of=lambda current: current.version,
        expected_version=expected_version,
        stale=lambda version: (
            f"the settings of campaign {campaign_id} are at version {version}, "
            f"not {expected_version}; re-read them and retry"
        ),
        write=write,
        lost_race=store.ConcurrentChange,
        kept_changing=f"the settings of campaign {campaign_id} kept changing; re-read them",
    )
