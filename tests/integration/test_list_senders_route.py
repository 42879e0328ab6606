"""GET /v2/handles/{handle}/email/senders through the real handler, on moto: the first route
through the whole path, and the access rules every handle route shares."""

from __future__ import annotations

import time
from dataclasses import replace
from typing import Any

import pytest

from functions import list_senders
from tenx_email.models import Caller, HandleStatus, Purpose
from tenx_email.roles import Role
from tenx_email.services import access, senders, tenancy
from tenx_email.services.senders import SenderDraft
from tests.events import FakeLambdaContext, response_json, rest_event
from tests.integration.conftest import MEMBERS, OUTSIDER

RESOURCE = "/v2/handles/{handle}/email/senders"


def call(handle: str, sub: str | None, **kwargs: Any) -> tuple[int, Any]:
    event = rest_event("GET", RESOURCE, {"handle": handle}, sub=sub, **kwargs)
    response = list_senders.handler(event, FakeLambdaContext())
    return response["statusCode"], response_json(response)


@pytest.mark.usefixtures("tenant")
class TestAccess:
    @pytest.mark.parametrize("role", [Role.OPERATOR, Role.OWNER])
    def test_operator_and_owner_see_an_empty_list(self, role: Role) -> None:
        assert call("acme", MEMBERS[role]) == (200, {"senders": []})

    def test_creator_is_below_the_minimum_role(self) -> None:
        status, body = call("acme", MEMBERS[Role.CREATOR])
        assert (status, body["error"]) == (403, "insufficient_role")
        assert body["requestId"]

    def test_another_handles_member_is_forbidden(self) -> None:
        status, body = call("acme", OUTSIDER)
        assert (status, body["error"]) == (403, "forbidden")

    def test_an_unknown_handle_looks_the_same_as_no_access(self) -> None:
        assert call("nosuchhandle", MEMBERS[Role.OWNER])[1]["error"] == "forbidden"

    @pytest.mark.parametrize("handle", ["ACME", "acme#MEMBER", "a" * 70, "-acme"])
    def test_a_malformed_handle_never_reaches_a_lookup(self, handle: str) -> None:
        status, body = call(handle, MEMBERS[Role.OWNER])
        assert (status, body["error"]) in {(403, "forbidden"), (404, "route_not_found")}

    def test_an_inactive_handle_is_refused_with_its_own_code(self) -> None:
        tenancy.set_handle_status("acme", HandleStatus.INACTIVE)
        status, body = call("acme", MEMBERS[Role.OWNER])
        assert (status, body["error"]) == (403, "handle_inactive")

    def test_an_inactive_handle_is_not_revealed_to_non_members(self) -> None:
        tenancy.set_handle_status("acme", HandleStatus.INACTIVE)
        assert call("acme", OUTSIDER)[1]["error"] == "forbidden"

    def test_a_revoked_member_loses_access_at_once(self) -> None:
        tenancy.revoke_membership("acme", MEMBERS[Role.OPERATOR])
        assert call("acme", MEMBERS[Role.OPERATOR])[1]["error"] == "forbidden"

    def test_a_token_expired_while_the_authorizer_answer_was_cached_is_refused(self) -> None:
        status, body = call("acme", MEMBERS[Role.OWNER], expires_at=int(time.time()) - 120)
        assert (status, body["error"]) == (401, "invalid_token")

    def test_a_request_without_authorizer_context_is_refused(self) -> None:
        assert call("acme", None)[0] == 401


@pytest.mark.usefixtures("tenant")
def test_senders_are_listed_in_the_contract_shape_with_derived_status() -> None:
    owner = access.authorize_handle(
        Caller(sub=MEMBERS[Role.OWNER], token_expires_at=int(time.time()) + 60), "acme", Role.OWNER
    )
    draft = SenderDraft(
        domain="example.com",
        local_part="notifications",
        display_name="Acme Notifications",
        reply_to="support@example.com",
        purposes=(Purpose.PRODUCT_NOTIFICATION, Purpose.TRANSACTIONAL_API),
        enabled=True,
    )
    senders.put_sender(owner, "sender_notifications", draft)
    senders.put_sender(owner, "sender_off", replace(draft, local_part="hello", enabled=False))
    status, body = call("acme", MEMBERS[Role.OPERATOR])
    assert status == 200
    by_id = {item["senderId"]: item for item in body["senders"]}
    assert by_id["sender_notifications"] == {
        "senderId": "sender_notifications",
        "domain": "example.com",
        "localPart": "notifications",
        "fromEmail": "notifications@example.com",
        "displayName": "Acme Notifications",
        "replyTo": "support@example.com",
        "purposes": ["PRODUCT_NOTIFICATION", "TRANSACTIONAL_API"],
        "enabled": True,
        "status": "READY",
        "identityKey": "us-east-1#example.com",
    }
    assert by_id["sender_off"]["status"] == "NOT_READY"


@pytest.mark.usefixtures("tenant")
def test_an_unknown_path_on_the_function_is_a_json_404() -> None:
    event = rest_event("GET", "/v2/nowhere", {"handle": "acme"}, sub=MEMBERS[Role.OWNER])
    response = list_senders.handler(event, FakeLambdaContext())
    assert (response["statusCode"], response_json(response)["error"]) == (404, "route_not_found")
