"""GET /v2/handles/{handle}/access through the real handler, on moto: each member learns its
own role; anyone else gets the refusal every handle route gives."""

from __future__ import annotations

import pytest

from tenx_email.models import HandleStatus
from tenx_email.roles import Role
from tenx_email.services import tenancy
from tests.events import invoke
from tests.integration.conftest import MEMBERS, OUTSIDER

pytestmark = pytest.mark.usefixtures("tenant")


@pytest.mark.parametrize("role", list(Role))
def test_each_member_is_told_its_own_role(role: Role) -> None:
    status, body = invoke("get_handle_access", {"handle": "acme"}, sub=MEMBERS[role])
    assert (status, body) == (200, {"access": {"handle": "acme", "role": role.value}})


def test_a_changed_role_shows_at_once() -> None:
    tenancy.grant_membership("acme", MEMBERS[Role.CREATOR], Role.OPERATOR)
    status, body = invoke("get_handle_access", {"handle": "acme"}, sub=MEMBERS[Role.CREATOR])
    assert (status, body["access"]["role"]) == (200, "OPERATOR")


def test_another_handles_member_is_forbidden_as_on_every_route() -> None:
    status, body = invoke("get_handle_access", {"handle": "acme"}, sub=OUTSIDER)
    assert (status, body["error"]) == (403, "forbidden")
    # The same answer as a route the outsider's role would reach on a handle of theirs.
    assert invoke("list_senders", {"handle": "acme"}, sub=OUTSIDER)[1]["message"] == body["message"]


def test_the_outsider_is_told_its_role_on_its_own_handle() -> None:
    status, body = invoke("get_handle_access", {"handle": "globex"}, sub=OUTSIDER)
    assert (status, body["access"]) == (200, {"handle": "globex", "role": "OPERATOR"})


@pytest.mark.parametrize("handle", ["nosuchhandle", "ACME", "acme#MEMBER", "a" * 70, "-acme"])
def test_an_unknown_or_malformed_handle_looks_like_no_access(handle: str) -> None:
    status, body = invoke("get_handle_access", {"handle": handle}, sub=MEMBERS[Role.OWNER])
    assert (status, body["error"]) == (403, "forbidden")


def test_an_inactive_handle_is_refused_with_its_own_code_to_members_only() -> None:
    tenancy.set_handle_status("acme", HandleStatus.INACTIVE)
    assert (
        invoke("get_handle_access", {"handle": "acme"}, sub=MEMBERS[Role.CREATOR])[1]["error"]
        == "handle_inactive"
    )
    assert invoke("get_handle_access", {"handle": "acme"}, sub=OUTSIDER)[1]["error"] == "forbidden"


def test_a_request_without_a_verified_identity_is_refused() -> None:
    assert invoke("get_handle_access", {"handle": "acme"}, sub=None)[0] == 401
