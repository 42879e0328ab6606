"""Sequences for tests of the step engine, stored as the sequence routes store them: the head,
its first version, and the campaign's count (which tells the trigger the campaign has some)."""

from __future__ import annotations

import uuid
from typing import Any

from tenx_email import clock, keys
from tenx_email.campaign_models import Sequence, SequenceStep
from tenx_email.dal.sequence_items import SequenceItem, SequenceVersionItem
from tenx_email.dal.table import table

EMAIL = {"type": "email", "template_id": "tmpl_lead_followup", "sender_id": "sender_notifications"}
# Lead captured -> welcome now -> wait 20 minutes -> a second -> wait 2 days -> a third.
WELCOME_DRIP = (
    SequenceStep(**EMAIL, variable_mappings={"firstName": "firstName"}),
    SequenceStep(type="wait", minutes=20),
    SequenceStep(**EMAIL),
    SequenceStep(type="wait", minutes=2 * 24 * 60),
    SequenceStep(**EMAIL),
)


def store_sequence(
    handle: str, campaign_id: str, steps: tuple[SequenceStep, ...] = WELCOME_DRIP, **fields: Any
) -> Sequence:
    now = clock.now()
    sequence = Sequence(
        handle=handle,
        campaign_id=campaign_id,
        sequence_id=f"seq_{uuid.uuid4()}",
        name="Welcome drip",
        trigger=fields.pop("trigger", "LEAD_CAPTURED"),
        steps=steps,
        version=1,
        created_at=now,
        updated_at=now,
        **fields,
    )
    table().put_item(Item=SequenceItem.from_domain(sequence).to_item())
    table().put_item(Item=SequenceVersionItem.from_domain(sequence).to_item())
    table().update_item(
        Key=keys.campaign(handle, campaign_id),
        UpdateExpression="ADD sequenceCount :one",
        ExpressionAttributeValues={":one": 1},
    )
    return sequence
