"""Sender profiles in the single table."""

from __future__ import annotations

from boto3.dynamodb.conditions import Key as KeyCondition

from tenx_email import keys
from tenx_email.dal.items import SenderItem
from tenx_email.dal.table import table
from tenx_email.models import Sender

# A handle's sender profiles are few (one per local part and domain); a page covers them all.
MAX_SENDERS_PER_HANDLE = 100


def list_senders(handle_name: str) -> list[Sender]:
    """A handle's sender profiles (PK=HANDLE#name, SK begins_with SENDER#)."""
    response = table().query(
        KeyConditionExpression=KeyCondition(keys.PK).eq(keys.handle(handle_name)["PK"])
        & KeyCondition(keys.SK).begins_with(keys.SENDER_PREFIX),
        Limit=MAX_SENDERS_PER_HANDLE,
    )
    return [SenderItem.from_item(item).to_domain() for item in response["Items"]]


def put_sender(sender: Sender) -> None:
    """Create or replace a sender profile (PK=HANDLE#name, SK=SENDER#id)."""
    table().put_item(Item=SenderItem.from_domain(sender).to_item())
