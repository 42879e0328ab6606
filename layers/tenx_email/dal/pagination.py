"""Opaque page tokens for list routes.

A token is DynamoDB's LastEvaluatedKey, sealed (sealed.py: encrypted and authenticated with the
stage's token keys), so it shows nothing of the keys it holds (a recipient's or a suppressed
address among them) and cannot be forged. It is also checked before use, as a second guard:
it must hold string key attributes whose partition is the very one the request queries and
whose sort key has the listed prefix, so a token of another list or handle can never start a
query anywhere else (400 invalid_next_token).

A list whose filters do not choose its partition (messages by status or purpose: one
partition, a FilterExpression) binds them into its tokens as `filter.<name>` entries, checked
like the key attributes and dropped before the query, so a token of one filter is not taken
by another.
"""

from __future__ import annotations

import json
from typing import Any

from tenx_email import sealed
from tenx_email.errors import DomainError

MAX_TOKEN_LENGTH = 2048
# Which key seals page tokens (sealed.py): a purpose, not a secret.
PAGE_TOKEN_PURPOSE = "page-token"  # noqa: S105
# Token entries that are no key attribute: the filters a token is bound to.
_FILTER = "filter."


class InvalidNextToken(DomainError):
    status = 400
    code = "invalid_next_token"


def _bound(scope: dict[str, str] | None) -> dict[str, str]:
    return {f"{_FILTER}{name}": value for name, value in (scope or {}).items()}


def encode(
    last_evaluated_key: dict[str, Any] | None, *, scope: dict[str, str] | None = None
) -> str | None:
    """The token of a page's LastEvaluatedKey (None after the last page), bound to the
    list's `scope`: its filters that are no part of the key."""
    if not last_evaluated_key:
        return None
    token = {**last_evaluated_key, **_bound(scope)}
    return sealed.seal(
        PAGE_TOKEN_PURPOSE, json.dumps(token, separators=(",", ":"), sort_keys=True).encode()
    )


def decode(
    token: str | None,
    *,
    exact: dict[str, str],
    prefixes: dict[str, str],
    scope: dict[str, str] | None = None,
) -> dict[str, str] | None:
    """The start key a token stands for, if it belongs to this query: every attribute in
    `exact` must have that value (the queried partition, the handle's PK), every attribute
    in `prefixes` must start with its prefix (the listed kind of item), and the token must be
    bound to exactly this `scope` (the list's filters that are no part of the key)."""
    if token is None:
        return None
    refused = InvalidNextToken("nextToken is not a token this list gave out")
    if len(token) > MAX_TOKEN_LENGTH:
        raise refused
    payload = sealed.open_sealed(PAGE_TOKEN_PURPOSE, token)
    if payload is None:
        raise refused
    try:
        key = json.loads(payload)
    except (ValueError, UnicodeDecodeError) as error:
        raise refused from error
    if not isinstance(key, dict) or not all(
        isinstance(name, str) and isinstance(value, str) for name, value in key.items()
    ):
        raise refused
    # Exactly the key attributes of this list's items (and its filters): an extra one could
    # aim the query elsewhere, a missing one makes DynamoDB refuse the start key (a 500, not
    # a 400).
    bound = _bound(scope)
    if set(key) != set(exact) | set(prefixes) | {"PK", "SK"} | set(bound):
        raise refused
    if any(key.get(name) != value for name, value in {**exact, **bound}.items()) or any(
        not str(key.get(name, "")).startswith(prefix) for name, prefix in prefixes.items()
    ):
        raise refused
    return {name: value for name, value in key.items() if name not in bound}
