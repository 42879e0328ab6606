"""Sender profiles in the single table."""

from __future__ import annotations

from boto3.dynamodb.conditions import Key as KeyCondition

from tenx_email import keys
from tenx_email.dal.items import SenderItem
from tenx_email.dal.table import table
from tenx_email.models import IdentityStatus, Sender

# A handle's sender profiles are few (local parts are an allow-list of five per domain);
# one page covers them all.
MAX_SENDERS_PER_HANDLE = 100
MAX_SENDERS_PER_DOMAIN = 500


def list_senders(handle_name: str) -> list[Sender]:
    """A handle's sender profiles (PK=HANDLE#name, SK begins_with SENDER#)."""
    response = table().query(
        KeyConditionExpression=KeyCondition(keys.PK).eq(keys.handle(handle_name)["PK"])
        & KeyCondition(keys.SK).begins_with(keys.SENDER_PREFIX),
        Limit=MAX_SENDERS_PER_HANDLE,
    )
    return [SenderItem.from_item(item).to_domain() for item in response["Items"]]


def senders_of_domain(domain: str) -> list[Sender]:
    """The sender profiles using a domain, across handles (GSI1: GSI1PK=DOMAIN#d)."""
    gsi = keys.senders_of_domain(domain)
    response = table().query(
        IndexName=keys.GSI1.name,
        KeyConditionExpression=KeyCondition(keys.GSI1.partition_key).eq(gsi["GSI1PK"])
        & KeyCondition(keys.GSI1.sort_key).begins_with(gsi["GSI1SK"]),
        Limit=MAX_SENDERS_PER_DOMAIN,
    )
    return [SenderItem.from_item(item).to_domain() for item in response["Items"]]


def put_sender(sender: Sender) -> None:
    """Create or replace a sender profile (PK=HANDLE#name, SK=SENDER#id)."""
    table().put_item(Item=SenderItem.from_domain(sender).to_item())


def set_identity_status(sender: Sender, status: IdentityStatus) -> None:
    """Copy a reconciled identity status onto a sender that still exists."""
    try:
        table().update_item(
            Key=keys.sender(sender.handle, sender.sender_id),
            UpdateExpression="SET identityStatus = :status",
            ConditionExpression="attribute_exists(PK) AND #domain = :domain",
            ExpressionAttributeNames={"#domain": "domain"},
            ExpressionAttributeValues={":status": status.value, ":domain": sender.domain},
        )
    except table().meta.client.exceptions.ConditionalCheckFailedException:
        pass  # deleted or moved to another domain since we listed it: nothing to copy
