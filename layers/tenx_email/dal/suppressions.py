"""A handle's suppressed recipients (PK=HANDLE#h, SK=SUPP#<email, lowercased>)."""

from __future__ import annotations

from tenx_email import keys
from tenx_email.dal.message_items import SuppressionItem
from tenx_email.dal.queries import Page, get_item, query_page
from tenx_email.dal.table import put_new, table
from tenx_email.models import Suppression


def put(suppression: Suppression) -> None:
    """Create or replace a suppression."""
    table().put_item(Item=SuppressionItem.from_domain(suppression).to_item())


def put_if_absent(suppression: Suppression) -> bool:
    """Create a suppression unless one exists (feedback never overwrites a manual one);
    returns whether it was created."""
    return put_new(SuppressionItem.from_domain(suppression).to_item())


def delete(handle_name: str, email: str) -> None:
    """Remove a suppression; removing one that is not there is fine."""
    table().delete_item(Key=keys.suppression(handle_name, email))


def get(handle_name: str, email: str) -> Suppression | None:
    """Get one suppression."""
    item = get_item(keys.suppression(handle_name, email))
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
