"""The /v2/account/... rule: a caller's role on an account is the highest role they hold on
an ACTIVE handle of that account."""

from __future__ import annotations

import time

import pytest

from tenx_email.errors import Forbidden, InsufficientRole
from tenx_email.models import Caller, HandleStatus
from tenx_email.roles import Role
from tenx_email.services import access, tenancy
from tests.integration.conftest import MEMBERS, OUTSIDER


def caller(sub: str) -> Caller:
    return Caller(sub=sub, token_expires_at=int(time.time()) + 600)


@pytest.mark.usefixtures("tenant")
class TestAccountAccess:
    def test_the_highest_role_across_the_accounts_handles_counts(self) -> None:
        tenancy.create_handle("acme-eu", "acc_demo", sandbox=False)
        tenancy.grant_membership("acme-eu", MEMBERS[Role.CREATOR], Role.OWNER)
        assert access.account_roles(caller(MEMBERS[Role.CREATOR])) == {"acc_demo": Role.OWNER}

    def test_memberships_on_inactive_handles_do_not_count(self) -> None:
        tenancy.set_handle_status("acme", HandleStatus.INACTIVE)
        with pytest.raises(Forbidden):
            access.authorize_account(caller(MEMBERS[Role.OWNER]), "acc_demo", Role.OPERATOR)

    def test_a_member_of_another_account_is_forbidden(self) -> None:
        with pytest.raises(Forbidden):
            access.authorize_account(caller(OUTSIDER), "acc_demo", Role.CREATOR)
        assert access.authorize_account(caller(OUTSIDER), "acc_globex", Role.OPERATOR) is (
            Role.OPERATOR
        )

    def test_a_lower_role_than_the_route_needs_is_insufficient(self) -> None:
        with pytest.raises(InsufficientRole):
            access.authorize_account(caller(MEMBERS[Role.OPERATOR]), "acc_demo", Role.OWNER)
