"""Webhook endpoints through the real handlers on moto: the secret shown once and stored
encrypted, URL and event checks with their codes, the per-handle limit, optimistic
concurrency, soft deletes, rotation with an overlap, roles and tenant isolation."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from tenx_email import clock, keys
from tenx_email.adapters import secret_box
from tenx_email.dal import webhooks as store
from tenx_email.dal.table import table
from tenx_email.roles import Role
from tenx_email.services.webhooks import secret_context
from tenx_email.webhooks import MAX_ENDPOINTS_PER_HANDLE, SECRET_OVERLAP
from tests.events import invoke
from tests.integration.conftest import MEMBERS, OUTSIDER

OPERATOR, CREATOR = MEMBERS[Role.OPERATOR], MEMBERS[Role.CREATOR]
ACME = {"handle": "acme"}
ENDPOINT = {
    "url": "https://hooks.example.org/tenx?source=email",
    "events": ["SENT", "DELIVERED"],
    "description": "Zoë's CRM, «prod»",
}
ROUTES = [
    "list_webhooks",
    "create_webhook",
    "get_webhook",
    "update_webhook",
    "delete_webhook",
    "rotate_webhook_secret",
]


@pytest.fixture(autouse=True)
def _tenant(tenant: None) -> None:
    return None


def create(body: dict[str, Any] | None = None, handle: str = "acme") -> tuple[int, Any]:
    return invoke("create_webhook", {"handle": handle}, sub=OPERATOR, body=body or ENDPOINT)


def created() -> dict[str, Any]:
    status, body = create()
    assert status == 201, body
    return dict(body)


def on(webhook_id: str) -> dict[str, str]:
    return {**ACME, "webhookId": webhook_id}


def test_a_new_endpoint_shows_its_secret_once_and_stores_it_encrypted() -> None:
    body = created()
    webhook, secret = body["webhook"], body["secret"]
    assert secret.startswith("whsec_")
    assert webhook["url"] == ENDPOINT["url"]
    assert (webhook["events"], webhook["enabled"], webhook["status"]) == (
        ["SENT", "DELIVERED"],
        True,
        "ENABLED",
    )
    assert (webhook["description"], webhook["version"]) == (ENDPOINT["description"], 1)
    # Reading it again never shows the secret, nor does the list
    status, got = invoke("get_webhook", on(webhook["webhookId"]), sub=OPERATOR)
    assert (status, got) == (200, {"webhook": webhook})
    status, listed = invoke("list_webhooks", ACME, sub=OPERATOR)
    assert (status, listed) == (200, {"webhooks": [webhook]})
    # The stored item holds only the ciphertext, which opens for this endpoint alone
    item = table().get_item(Key=keys.webhook("acme", webhook["webhookId"]))["Item"]
    assert secret not in repr(item)
    (sealed,) = [entry["sealed"] for entry in item["secrets"]]
    assert secret_box.unseal(sealed, secret_context("acme", webhook["webhookId"])) == secret
    with pytest.raises(Exception, match="InvalidCiphertext"):
        secret_box.unseal(sealed, secret_context("acme", "wh_" + "0" * 26))


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("http://hooks.example.org/x", "https"),
        ("https://user:pass@hooks.example.org/x", "user name or password"),
        ("https://127.0.0.1/x", "address"),
        ("https://10.1.2.3/x", "address"),
        ("https://169.254.169.254/latest/meta-data", "metadata"),
        ("https://[::1]/x", "address"),
        ("hooks.example.org/x", "https"),
    ],
)
def test_unsafe_urls_are_refused_in_plain_words(url: str, says: str) -> None:
    status, body = create({**ENDPOINT, "url": url})
    assert (status, body["error"]) == (400, "invalid_webhook_url")
    assert says in body["message"]


@pytest.mark.parametrize(
    ("events", "code"),
    [
        (["SENT", "OPENED"], "invalid_webhook_events"),
        (["SENT", "SENT"], "invalid_webhook_events"),
        ("SENT", "invalid_request"),
    ],
)
def test_events_must_be_known_types_once_each(events: Any, code: str) -> None:
    status, body = create({**ENDPOINT, "events": events})
    assert (status, body["error"]) == (400, code)


def test_a_body_may_not_set_what_the_service_owns() -> None:
    for field, value in [("secret", "whsec_mine"), ("version", 7), ("webhookId", "wh_x")]:
        status, body = create({**ENDPOINT, field: value})
        assert (status, body["error"]) == (400, "invalid_request"), field


def test_no_events_means_every_event() -> None:
    status, body = create({"url": ENDPOINT["url"]})
    assert status == 201
    assert body["webhook"]["events"] == []
    endpoint = store.get("acme", body["webhook"]["webhookId"])
    assert endpoint is not None
    assert endpoint.subscribes("BOUNCED")
    assert endpoint.subscribes("MESSAGE_CREATED")


def test_a_handle_has_at_most_ten_endpoints() -> None:
    ids = [created()["webhook"]["webhookId"] for _ in range(MAX_ENDPOINTS_PER_HANDLE)]
    status, body = create()
    assert (status, body["error"]) == (409, "webhook_limit_reached")
    # Another handle's count is its own, and a deleted endpoint makes room
    assert invoke("create_webhook", {"handle": "globex"}, sub=OUTSIDER, body=ENDPOINT)[0] == 201
    assert invoke("delete_webhook", on(ids[0]), sub=OPERATOR)[0] == 204
    assert create()[0] == 201


def test_an_update_replaces_the_settings_and_guards_the_version() -> None:
    webhook_id = created()["webhook"]["webhookId"]
    change = {"url": "https://hooks.example.org/v2", "enabled": False, "expectedVersion": 1}
    status, body = invoke("update_webhook", on(webhook_id), sub=OPERATOR, body=change)
    assert status == 200, body
    updated = body["webhook"]
    assert (updated["url"], updated["events"], updated["status"]) == (change["url"], [], "DISABLED")
    assert (updated["version"], updated["description"]) == (2, None)
    # A client that read version 1 is told, not overwritten
    status, body = invoke("update_webhook", on(webhook_id), sub=OPERATOR, body=change)
    assert (status, body["error"]) == (409, "version_conflict")


def test_a_deleted_endpoint_is_gone_and_deleting_it_again_changes_nothing() -> None:
    webhook_id = created()["webhook"]["webhookId"]
    assert invoke("delete_webhook", on(webhook_id), sub=OPERATOR) == (204, None)
    assert invoke("delete_webhook", on(webhook_id), sub=OPERATOR) == (204, None)
    status, body = invoke("get_webhook", on(webhook_id), sub=OPERATOR)
    assert (status, body["error"]) == (404, "webhook_not_found")
    assert invoke("list_webhooks", ACME, sub=OPERATOR) == (200, {"webhooks": []})
    # Its secrets are gone with it
    endpoint = store.get("acme", webhook_id)
    assert endpoint is not None
    assert endpoint.secrets == ()
    status, body = invoke("rotate_webhook_secret", on(webhook_id), sub=OPERATOR)
    assert (status, body["error"]) == (404, "webhook_not_found")


def test_rotation_makes_a_new_secret_and_the_old_one_signs_for_a_day() -> None:
    first = created()
    webhook_id = first["webhook"]["webhookId"]
    status, rotated = invoke("rotate_webhook_secret", on(webhook_id), sub=OPERATOR)
    assert status == 200, rotated
    assert rotated["secret"] != first["secret"]
    assert rotated["webhook"]["version"] == 2
    endpoint = store.get("acme", webhook_id)
    assert endpoint is not None
    expires = endpoint.secrets[1].retires_at
    assert expires is not None
    assert rotated["previousSecretExpiresAt"] == clock.iso(expires)
    signing = endpoint.signing_secrets(expires - timedelta(seconds=1))
    context = secret_context("acme", webhook_id)
    assert [secret_box.unseal(s.sealed, context) for s in signing] == [
        rotated["secret"],
        first["secret"],
    ]
    assert len(endpoint.signing_secrets(expires)) == 1
    assert endpoint.secrets[1].retires_at == endpoint.updated_at + SECRET_OVERLAP


@pytest.mark.parametrize("route_id", ROUTES)
def test_creators_and_outsiders_are_refused_before_anything_is_read(route_id: str) -> None:
    webhook_id = created()["webhook"]["webhookId"]
    path = on(webhook_id)
    status, body = invoke(route_id, path, sub=CREATOR, body=ENDPOINT)
    assert (status, body["error"]) == (403, "insufficient_role")
    status, body = invoke(route_id, path, sub=OUTSIDER, body=ENDPOINT)
    assert (status, body["error"]) == (403, "forbidden")


def test_another_handles_endpoint_is_not_found() -> None:
    webhook_id = created()["webhook"]["webhookId"]
    path = {"handle": "globex", "webhookId": webhook_id}
    status, body = invoke("get_webhook", path, sub=OUTSIDER)
    assert (status, body["error"]) == (404, "webhook_not_found")
    assert invoke("delete_webhook", path, sub=OUTSIDER)[1]["error"] == "webhook_not_found"
