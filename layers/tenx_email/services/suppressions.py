"""A handle's suppression list: addresses it never sends to (manual, from hard bounces and
complaints, and from unsubscribe links). A suppression stops every purpose, or only those it
names (an unsubscribe stops the purpose of the mail it came from: services/unsubscribe.py)."""

from __future__ import annotations

from collections.abc import Sequence

from tenx_email import clock
from tenx_email.dal import suppressions as store
from tenx_email.dal.queries import Page
from tenx_email.errors import InvalidHeaderValue, InvalidRecipient
from tenx_email.ids import EMAIL_ADDRESS
from tenx_email.models import HandleAccess, Purpose
from tenx_email.rendering import has_header_breakers
from tenx_email.sending_models import Suppression, SuppressionSource

MAX_PAGE_SIZE = 100
MAX_REASON = 200


def _address(email: str) -> str:
    if not EMAIL_ADDRESS.fullmatch(email):
        raise InvalidRecipient(
            "a suppression names one plain email address, such as ana@example.com"
        )
    return email.lower()


def list_suppressions(
    access: HandleAccess, limit: int, next_token: str | None
) -> Page[Suppression]:
    return store.list_suppressions(access.handle.handle, limit, next_token)


def suppress(
    access: HandleAccess,
    email: str,
    reason: str | None,
    purposes: Sequence[Purpose] | None = None,
) -> Suppression:
    """Suppress an address by hand (replaces an existing entry's reason, source and
    purposes), for `purposes` only, or every purpose when None."""
    text = (reason or "suppressed by an operator").strip()
    if has_header_breakers(text) or not text or len(text) > MAX_REASON:
        raise InvalidHeaderValue(f"reason must be 1 to {MAX_REASON} characters on one line")
    suppression = Suppression(
        handle=access.handle.handle,
        email=_address(email),
        reason=text,
        source=SuppressionSource.MANUAL,
        created_at=clock.now(),
        purposes=tuple(dict.fromkeys(purposes)) if purposes is not None else None,
    )
    store.put(suppression)
    return suppression


def unsuppress(access: HandleAccess, email: str) -> None:
    """Lift a suppression; lifting one that is not there is fine (DELETE is idempotent)."""
    store.delete(access.handle.handle, _address(email))
