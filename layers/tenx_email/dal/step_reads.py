"""What a batch of sequence step jobs reads, in as few consistent BatchGetItems as the key
limit allows: each read names items by a kind and their ids, and gets back the domain models
of those that exist."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from tenx_email import keys
from tenx_email.dal.campaign_items import CampaignSettingsItem, ContactPacingItem
from tenx_email.dal.enrollment_items import EnrollmentItem
from tenx_email.dal.identity_items import SenderItem
from tenx_email.dal.items import HandleItem
from tenx_email.dal.message_items import QuotaItem, SuppressionItem, UsageItem
from tenx_email.dal.queries import item_key, items_by_key
from tenx_email.dal.sequence_items import SequenceItem, SequenceVersionItem
from tenx_email.dal.template_items import TemplateItem

Wanted = tuple[str, tuple[Any, ...]]  # (kind, the ids its key is built from)

_KINDS: dict[str, tuple[Callable[..., keys.Key], Callable[[dict[str, Any]], Any]]] = {
    # (handle, sequence, lead)
    "enrollment": (keys.enrollment, lambda item: EnrollmentItem.from_item(item).to_domain()),
    # (handle, campaign, sequence): the sequence as it is now
    "sequence": (keys.sequence, lambda item: SequenceItem.from_item(item).to_domain()),
    # (handle, sequence, version): the version an enrollment runs
    "version": (
        keys.sequence_version,
        lambda item: SequenceVersionItem.from_item(item).to_domain(),
    ),
    # (handle, campaign)
    "settings": (
        keys.campaign_settings,
        lambda item: CampaignSettingsItem.from_item(item).to_domain(),
    ),
    # (handle, campaign, lead)
    "pacing": (keys.contact_pacing, lambda item: ContactPacingItem.from_item(item).to_domain()),
    "sender": (keys.sender, lambda item: SenderItem.from_item(item).to_domain()),
    "template": (keys.template, lambda item: TemplateItem.from_item(item).to_domain()),
    # (handle, lowercased address)
    "suppression": (keys.suppression, lambda item: SuppressionItem.from_item(item).to_domain()),
    "quota": (keys.quota, lambda item: QuotaItem.from_item(item).daily_limit),  # (handle,)
    "handle": (keys.handle, lambda item: HandleItem.from_item(item).to_domain()),  # (handle,)
    "usage": (keys.usage, lambda item: UsageItem.from_item(item).used),  # (handle, day)
}


def read(wanted: Iterable[Wanted]) -> dict[Wanted, Any]:
    """The items wanted that exist, as domain models (a quota as its limit, a usage as its
    count), by what was asked."""
    asked = {want: _KINDS[want[0]][0](*want[1]) for want in dict.fromkeys(wanted)}
    items = items_by_key(asked.values())
    return {
        want: _KINDS[want[0]][1](items[item_key(key)])
        for want, key in asked.items()
        if item_key(key) in items
    }
