"""A handle's suppressed recipients (PK=HANDLE#h, SK=SUPP#<email, lowercased>)."""

from __future__ import annotations

from tenx_email import keys
from tenx_email.dal.message_items import SuppressionItem
from tenx_email.dal.queries import Page, get_item, query_page
from tenx_email.dal.table import ABSENT, conditional, put_new, table
from tenx_email.models import Purpose
from tenx_email.sending_models import Suppression

# A suppression that stops only some purposes (an unsubscribe) has `purposes`; one for every
# purpose has none.
_SCOPED = "attribute_exists(purposes)"


def put(suppression: Suppression) -> None:
    """Create or replace a suppression."""
    table().put_item(Item=SuppressionItem.from_domain(suppression).to_item())


def put_unless_suppressed_for_all(suppression: Suppression) -> bool:
    """Create a suppression of every purpose unless one exists, replacing one that stops only
    some purposes (feedback: a hard bounce or complaint stops all mail to the address, but
    never overwrites a manual suppression of every purpose); returns whether it was written."""
    item = SuppressionItem.from_domain(suppression).to_item()
    return conditional(
        lambda: table().put_item(Item=item, ConditionExpression=f"{ABSENT} OR {_SCOPED}")
    )


def add_purpose(suppression: Suppression, purpose: Purpose) -> Suppression | None:
    """Make `suppression` (as read, None-free: the address is suppressed for some purposes)
    stop `purpose` too, if it has not changed since it was read: the widened suppression, or
    None when it had changed."""
    assert suppression.purposes is not None
    widened = suppression.model_copy(update={"purposes": (*suppression.purposes, purpose)})
    item = SuppressionItem.from_domain(widened).to_item()
    written = conditional(
        lambda: table().put_item(
            Item=item,
            ConditionExpression="purposes = :read",
            ExpressionAttributeValues={":read": [p.value for p in suppression.purposes or ()]},
        )
    )
    return widened if written else None


def create(suppression: Suppression) -> bool:
    """Create a suppression unless the address has one; returns whether it was created."""
    return put_new(SuppressionItem.from_domain(suppression).to_item())


def delete(handle_name: str, email: str) -> None:
    """Remove a suppression; removing one that is not there is fine."""
    table().delete_item(Key=keys.suppression(handle_name, email))


def get(handle_name: str, email: str, *, consistent: bool = False) -> Suppression | None:
    """Get one suppression."""
    item = get_item(keys.suppression(handle_name, email), consistent=consistent)
    return SuppressionItem.from_item(item).to_domain() if item else None


def list_suppressions(handle_name: str, limit: int, next_token: str | None) -> Page[Suppression]:
    """A handle's suppressions by address (PK=HANDLE#h, SK begins_with SUPP#), paged."""
    items, token = query_page(
        index=None,
        partition=(keys.PK, keys.handle(handle_name)["PK"]),
        sort=(keys.SK, keys.SUPPRESSION_PREFIX),
        since=None,
        newest_first=False,
        limit=limit,
        next_token=next_token,
        exact={},
    )
    return Page([SuppressionItem.from_item(item).to_domain() for item in items], token)
