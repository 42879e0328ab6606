"""Account domains and their email identities in the single table."""

from __future__ import annotations

from tenx_email import keys
from tenx_email.dal.identity_items import DomainIdentityItem, DomainOwnerItem
from tenx_email.dal.queries import get_item
from tenx_email.dal.table import table, transact
from tenx_email.errors import AlreadyExists
from tenx_email.identity_models import DomainIdentity


def attach(identity: DomainIdentity) -> None:
    """Attach a domain to an account: the owner item (PK=DOMAIN#d) and the identity
    (PK=ACCOUNT#id, SK=DOMAIN#d) together. Re-attaching to the same account is a no-op;
    a domain owned by another account is refused. The owner item starts with an empty
    `senders` map (see `dal.senders`), and a write here never replaces an existing one."""
    reasons = transact(
        [
            {
                "Update": {
                    "TableName": table().name,
                    "Key": keys.domain_owner(identity.domain),
                    "UpdateExpression": (
                        "SET #entity = :entity, #domain = :domain, accountId = :account, "
                        "senders = if_not_exists(senders, :none)"
                    ),
                    "ConditionExpression": "attribute_not_exists(PK) OR accountId = :account",
                    "ExpressionAttributeNames": {"#entity": "entity", "#domain": "domain"},
                    "ExpressionAttributeValues": {
                        ":entity": DomainOwnerItem.entity_type,
                        ":domain": identity.domain,
                        ":account": identity.account_id,
                        ":none": {},
                    },
                }
            },
            {
                "Put": {
                    "TableName": table().name,
                    "Item": DomainIdentityItem.from_domain(identity).to_item(),
                    "ConditionExpression": "attribute_not_exists(PK)",
                }
            },
        ]
    )
    if reasons and reasons[0] == "ConditionalCheckFailed":
        raise AlreadyExists(f"domain {identity.domain} is attached to another account")


def save(identity: DomainIdentity) -> None:
    """Record a reconciled identity (PK=ACCOUNT#id, SK=DOMAIN#d)."""
    table().put_item(Item=DomainIdentityItem.from_domain(identity).to_item())


def get(account_id: str, domain: str) -> DomainIdentity | None:
    """Get an account's domain identity."""
    item = get_item(keys.account_domain(account_id, domain))
    return DomainIdentityItem.from_item(item).to_domain() if item else None


def get_owner(domain: str, *, consistent: bool = False) -> DomainOwnerItem | None:
    """A domain's owner item (PK=DOMAIN#d, SK=OWNER): its account and its senders' snapshot."""
    item = get_item(keys.domain_owner(domain), consistent=consistent)
    return DomainOwnerItem.from_item(item) if item else None


def owner_of(domain: str) -> str | None:
    """Which account a domain is attached to (PK=DOMAIN#d, SK=OWNER)."""
    owner = get_owner(domain)
    return owner.account_id if owner else None
