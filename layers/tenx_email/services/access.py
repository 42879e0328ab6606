"""Who may do what: every route checks its caller here, because API Gateway caches the
authorizer's answer per token and so that answer must never depend on the handle or route.

Rules (README, "Access"):
- /v2/handles/{handle}/...: the handle exists, the caller is a member (otherwise 403
  forbidden, the same answer for both so handle names do not leak), the handle is ACTIVE
  (403 handle_inactive), and the member's role reaches the route's minimum (403
  insufficient_role).
- /v2/account/...: the caller's account role is the highest role they hold on any ACTIVE
  handle of that account; no such membership -> 403 forbidden.
"""

from __future__ import annotations

from tenx_email import clock
from tenx_email.dal import tenancy as store
from tenx_email.errors import Forbidden, HandleInactive, InsufficientRole, Unauthenticated
from tenx_email.models import Caller, HandleAccess, HandleStatus
from tenx_email.roles import Role

# Matches the authorizer's leeway: a token the authorizer accepted stays good this long after
# exp, however long API Gateway caches the authorizer's answer.
EXPIRY_LEEWAY_SECONDS = 60


def _check_fresh(caller: Caller) -> None:
    if clock.now().timestamp() > caller.token_expires_at + EXPIRY_LEEWAY_SECONDS:
        raise Unauthenticated("the token has expired")


def authorize_handle(caller: Caller, handle_name: str, minimum: Role) -> HandleAccess:
    _check_fresh(caller)
    handle, membership = store.get_handle_and_membership(handle_name, caller.sub)
    if handle is None or membership is None:
        raise Forbidden("you have no access to this handle")
    if handle.status is not HandleStatus.ACTIVE:
        raise HandleInactive(f"handle {handle_name} is not active")
    if not membership.role.reaches(minimum):
        raise InsufficientRole(f"this route needs the {minimum.value} role or higher")
    return HandleAccess(caller=caller, handle=handle, role=membership.role)


def account_roles(caller: Caller) -> dict[str, Role]:
    """The caller's role per account: the highest they hold on an ACTIVE handle of it."""
    _check_fresh(caller)
    roles: dict[str, Role] = {}
    for membership in store.memberships_of_user(caller.sub):
        handle = store.get_handle(membership.handle)
        if handle is None or handle.status is not HandleStatus.ACTIVE:
            continue
        best = roles.get(membership.account_id)
        if best is None or membership.role.reaches(best):
            roles[membership.account_id] = membership.role
    return roles


def authorize_account(caller: Caller, account_id: str, minimum: Role) -> Role:
    role = account_roles(caller).get(account_id)
    if role is None:
        raise Forbidden("you have no access to this account")
    if not role.reaches(minimum):
        raise InsufficientRole(f"this route needs the {minimum.value} role or higher")
    return role
