"""Who may do what: every route checks its caller here, because API Gateway caches the
authorizer's answer per token and so that answer must never depend on the handle or route.

Rules (docs/api.md, "Access"):
- /v2/handles/{handle}/...: the handle exists, the caller is a member (otherwise 403
  forbidden, the same answer for both so handle names do not leak), the handle is ACTIVE
  (403 handle_inactive), and the member's role reaches the route's minimum (403
  insufficient_role).
- /v2/account/...: the caller's account role is the highest role they hold on any ACTIVE
  handle of that account; no such membership -> 403 forbidden. A route naming a domain acts
  on the caller's account that owns it (another account's domain -> 404
  account_domain_not_found).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from contextlib import AbstractContextManager

from tenx_email import keys
from tenx_email.dal import queries
from tenx_email.dal import tenancy as store
from tenx_email.errors import (
    Forbidden,
    HandleInactive,
    InsufficientRole,
    Unauthenticated,
)
from tenx_email.models import Caller, HandleAccess, HandleStatus, Membership
from tenx_email.roles import Role

# Matches the authorizer's leeway: a token the authorizer accepted stays good this long after
# exp, however long API Gateway caches the authorizer's answer.
EXPIRY_LEEWAY_SECONDS = 60


def _check_fresh(caller: Caller) -> None:
    # Wall time, not tenx_email.clock: token expiry is the identity provider's clock, which
    # the local stack's emulated clock must not move.
    if time.time() > caller.token_expires_at + EXPIRY_LEEWAY_SECONDS:
        raise Unauthenticated("the token has expired")


def request_scope() -> AbstractContextManager[None]:
    """Around one request: its read cache (what the access check read for the route)."""
    return queries.request_reads()


def authorize_handle(
    caller: Caller,
    handle_name: str,
    minimum: Role,
    prefetch: Sequence[keys.Key] = (),
    *,
    consistent: bool = True,
) -> HandleAccess:
    """`prefetch`: keys under this handle's partition that the route reads next; they are read
    in the access check's one BatchGetItem, and used only once access is granted (the getters
    serve them from the request's read cache). `consistent=False` reads eventually
    consistently (half the price); a handle or membership found missing so is read again
    consistently before access is refused, so one made a moment ago still counts."""
    _check_fresh(caller)
    handle, membership = store.get_handle_and_membership(
        handle_name, caller.sub, prefetch, consistent=consistent
    )
    if (handle is None or membership is None) and not consistent:
        handle, membership = store.get_handle_and_membership(handle_name, caller.sub)
    if handle is None or membership is None:
        raise Forbidden("you have no access to this handle")
    if handle.status is not HandleStatus.ACTIVE:
        raise HandleInactive(f"handle {handle_name} is not active")
    if not membership.role.reaches(minimum):
        raise InsufficientRole(f"this route needs the {minimum.value} role or higher")
    return HandleAccess(caller=caller, handle=handle, role=membership.role)


def account_roles(
    caller: Caller, domain: str | None = None, *, identities: bool = False
) -> dict[str, Role]:
    """The caller's role per account: the highest they hold on an ACTIVE handle of it.

    With `domain`, the BatchGetItem that reads the caller's handles also reads who owns the
    domain and, with `identities`, the domain's identity under each of the caller's accounts:
    the route finds them in the request's read cache, and uses an account's identity only
    after it has checked the caller's role on that account."""
    _check_fresh(caller)
    memberships = store.memberships_of_user(caller.sub)
    domain_keys: list[keys.Key] = []
    if domain and memberships:
        domain_keys.append(keys.domain_owner(domain))
        if identities:
            domain_keys += [
                keys.account_domain(account, domain) for account in _accounts(memberships)
            ]
    active = {
        handle.handle
        for handle in store.get_handles(
            [membership.handle for membership in memberships], also=domain_keys
        )
        if handle.status is HandleStatus.ACTIVE
    }
    roles: dict[str, Role] = {}
    for membership in memberships:
        if membership.handle not in active:
            continue
        best = roles.get(membership.account_id)
        if best is None or membership.role.reaches(best):
            roles[membership.account_id] = membership.role
    return roles


def _accounts(memberships: list[Membership]) -> list[str]:
    return sorted({membership.account_id for membership in memberships})


def require_role(role: Role, minimum: Role) -> None:
    if not role.reaches(minimum):
        raise InsufficientRole(f"this route needs the {minimum.value} role or higher")


def authorize_account(caller: Caller, account_id: str, minimum: Role) -> Role:
    role = account_roles(caller).get(account_id)
    if role is None:
        raise Forbidden("you have no access to this account")
    require_role(role, minimum)
    return role
