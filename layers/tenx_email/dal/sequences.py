"""Campaign sequences in the single table: the head (PK=HANDLE#h, SK=SEQ#<campaignId>#<id>),
the sequence as it is now, and each version (SK=SEQVER#<id>#<000001>), written once in the
same transaction as the head that first showed it and never changed. A campaign's live
sequences are counted on its own item (`sequenceCount`: see campaign_counts.py)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from boto3.dynamodb.conditions import Attr
from boto3.dynamodb.conditions import Key as KeyCondition

from tenx_email import keys
from tenx_email.campaign_models import Sequence
from tenx_email.dal import campaign_counts
from tenx_email.dal.identity_items import SenderItem
from tenx_email.dal.items import CampaignItem
from tenx_email.dal.queries import batch_get, get_item, query_all
from tenx_email.dal.sequence_items import SequenceItem, SequenceVersionItem
from tenx_email.dal.table import ABSENT, CONDITION_FAILED, table, transact
from tenx_email.dal.template_items import TemplateItem
from tenx_email.identity_models import Sender
from tenx_email.models import Campaign
from tenx_email.template_models import Template

_COUNTER = "sequenceCount"
# Why an update's transaction is cancelled when another write got to the head first ("None":
# the item that was not the cause).
_LOST_RACE = frozenset({CONDITION_FAILED, "TransactionConflict", "None"})


class ConcurrentChange(Exception):
    """The sequence changed (or was deleted) between our read and our write."""


@dataclass(frozen=True)
class SequenceContext:
    """Everything a sequence write checks, read in one BatchGetItem."""

    campaign: Campaign | None
    sequence: Sequence | None
    templates: dict[str, Template] = field(default_factory=dict)
    senders: dict[str, Sender] = field(default_factory=dict)


def read_context(
    handle_name: str,
    campaign_id: str,
    sequence_id: str | None,
    template_ids: Iterable[str],
    sender_ids: Iterable[str],
) -> SequenceContext:
    """The campaign, (on update) the sequence, and every template and sender the steps name,
    in one BatchGetItem (CAMPAIGN#c, SEQ#c#s, TEMPLATE#t..., SENDER#s...: at most 42 keys)."""
    campaign_key = keys.campaign(handle_name, campaign_id)
    sequence_key = keys.sequence(handle_name, campaign_id, sequence_id) if sequence_id else None
    templates = {keys.template(handle_name, t)[keys.SK]: t for t in template_ids}
    senders = {keys.sender(handle_name, s)[keys.SK]: s for s in sender_ids}
    wanted = [campaign_key, *([sequence_key] if sequence_key else [])]
    wanted += [keys.template(handle_name, t) for t in templates.values()]
    wanted += [keys.sender(handle_name, s) for s in senders.values()]
    by_sort = {item["SK"]: item for item in batch_get(wanted)}
    campaign = by_sort.get(campaign_key[keys.SK])
    sequence = by_sort.get(sequence_key[keys.SK]) if sequence_key else None
    return SequenceContext(
        campaign=CampaignItem.from_item(campaign).to_domain() if campaign else None,
        sequence=SequenceItem.from_item(sequence).to_domain() if sequence else None,
        templates={
            template_id: TemplateItem.from_item(by_sort[sort]).to_domain()
            for sort, template_id in templates.items()
            if sort in by_sort
        },
        senders={
            sender_id: SenderItem.from_item(by_sort[sort]).to_domain()
            for sort, sender_id in senders.items()
            if sort in by_sort
        },
    )


def get(handle_name: str, campaign_id: str, sequence_id: str) -> Sequence | None:
    """A sequence as it is now, deleted or not."""
    item = get_item(keys.sequence(handle_name, campaign_id, sequence_id), consistent=True)
    return SequenceItem.from_item(item).to_domain() if item else None


def get_version(handle_name: str, sequence_id: str, version: int) -> Sequence | None:
    """One version of a sequence as it was written (what an enrollment on it follows)."""
    item = get_item(keys.sequence_version(handle_name, sequence_id, version), consistent=True)
    return SequenceVersionItem.from_item(item).to_domain() if item else None


def list_sequences(handle_name: str, campaign_id: str) -> list[Sequence]:
    """A campaign's live sequences (PK=HANDLE#h, SK begins_with SEQ#<campaignId>#, deleted
    ones filtered out: they stay behind, so this follows every page)."""
    query: dict[str, Any] = {
        "KeyConditionExpression": KeyCondition(keys.PK).eq(keys.handle(handle_name)["PK"])
        & KeyCondition(keys.SK).begins_with(keys.sequences_of_campaign_prefix(campaign_id)),
        "FilterExpression": Attr("deleted").eq(False),
        "ConsistentRead": True,
    }
    return [SequenceItem.from_item(item).to_domain() for item in query_all(query)]


def _items(sequence: Sequence) -> tuple[dict[str, Any], dict[str, Any]]:
    return (
        SequenceItem.from_domain(sequence).to_item(),
        SequenceVersionItem.from_domain(sequence).to_item(),
    )


def create(sequence: Sequence, max_sequences: int) -> None:
    """Write a new sequence's head and version 1 and count it on its campaign, unless the
    campaign already has `max_sequences` live ones (campaign_counts.LimitReached)."""
    campaign_counts.create(
        sequence.handle, sequence.campaign_id, _COUNTER, max_sequences, list(_items(sequence))
    )


def replace(sequence: Sequence, *, seen_version: int) -> None:
    """Write a changed head and its new version together, only while the head is live at the
    version we read (else ConcurrentChange: read again)."""
    head, version = _items(sequence)
    name = table().name
    reasons = transact(
        [
            {
                "Put": {
                    "TableName": name,
                    "Item": head,
                    "ConditionExpression": "version = :seen AND deleted = :no",
                    "ExpressionAttributeValues": {":seen": seen_version, ":no": False},
                }
            },
            {"Put": {"TableName": name, "Item": version, "ConditionExpression": ABSENT}},
        ]
    )
    if set(reasons) - _LOST_RACE:
        raise RuntimeError(f"sequence update cancelled: {reasons}")
    if reasons:
        raise ConcurrentChange(sequence.sequence_id)


def mark_deleted(handle_name: str, campaign_id: str, sequence_id: str, at: datetime) -> None:
    """Soft-delete a live sequence and uncount it on its campaign (repeating it changes
    nothing; raises campaign_counts.CampaignMissing or ItemMissing)."""
    key = keys.sequence(handle_name, campaign_id, sequence_id)
    campaign_counts.mark_deleted(handle_name, campaign_id, _COUNTER, key, at)
