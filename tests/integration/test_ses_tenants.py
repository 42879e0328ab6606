"""Each handle has its SES tenant: its configuration set and domains are associated with it,
its mail carries the TenantName, and when SES pauses the tenant its queued mail is held (not
FAILED, not dead-lettered) until an operator resumes the handle; the quota shows the status.
SES tenants run on the local stand-in (devstack/ses_tenants.py), the rest on moto."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from devstack.local_ses import register, unregister
from devstack.ses_tenants import STATE_FILE, LocalTenants
from tenx_email import resources
from tenx_email.adapters import ses_tenants as adapter
from tenx_email.dal import holds, tenancy
from tenx_email.dal import ses_tenants as tenant_store
from tenx_email.message_models import MessageStatus
from tenx_email.services import domains, sending_pause, ses_tenants
from tests.events import invoke
from tests.integration import delivery_support as support
from tests.integration.delivery_support import (
    CONFIGURATION_SET,
    HANDLE,
    REGION,
    SesSpy,
    dead_letters,
    enqueue,
    get_message,
    job,
    queue_message,
    receive,
    run_delivery,
    stored,
)

ses = support.ses
queue = support.queue
TENANT = "tenx-test_acme"
PREFIX = "arn:aws:ses:us-east-1:123456789012"


def quota_tenant() -> dict[str, str]:
    status, body = invoke("get_quota", {"handle": HANDLE}, sub="user_operator")
    assert status == 200, body
    return dict(body["quota"]["sesTenant"])


@pytest.fixture
def acme_tenant(local_ses_tenants: LocalTenants, tenant: None) -> LocalTenants:
    assert ses_tenants.create_for_handle(HANDLE, REGION).ses_tenant == TENANT
    return local_ses_tenants


def test_a_handles_tenant_has_its_configuration_set_and_its_accounts_domains(
    acme_tenant: LocalTenants,
) -> None:
    created = acme_tenant.tenants[TENANT]
    assert created.resources == {
        f"{PREFIX}:configuration-set/{resources.configuration_set_name('test')}",
        f"{PREFIX}:identity/example.com",
    }
    handle = tenancy.get_handle(HANDLE)
    assert handle is not None
    assert handle.ses_tenant == TENANT
    # Repeating it is harmless (and reconciles the associations).
    ses_tenants.create_for_handle(HANDLE, REGION)
    assert set(acme_tenant.tenants) == {TENANT}
    # A domain attached later is associated with the tenants of its account's handles only.
    domains.attach_domain("acc_demo", "second.example", REGION)
    domains.attach_domain("acc_globex", "globex.example", REGION)
    assert f"{PREFIX}:identity/second.example" in created.resources
    assert not [arn for arn in created.resources if "globex" in arn]
    assert tenant_store.account_tenants("acc_globex") == frozenset()


def test_tenant_names_fit_ses_and_stay_apart() -> None:
    long_a, long_b = "a" * 62 + "-x", "a" * 62 + "-y"
    names = {resources.ses_tenant_name("prod-eu", handle) for handle in (long_a, long_b)}
    assert len(names) == 2
    assert all(len(name) <= 64 and re.fullmatch(r"[\w-]+", name) for name in names)
    assert all(name.startswith(resources.ses_tenant_prefix("prod-eu")) for name in names)


def test_sends_go_through_the_handles_tenant(
    acme_tenant: LocalTenants, ses: SesSpy, queue: str
) -> None:
    message = queue_message("asha@example.org")
    assert run_delivery(enqueue(queue, job(message))) == []
    assert [call["TenantName"] for call in ses.calls] == [TENANT]
    assert ses.calls[0]["ConfigurationSetName"] == CONFIGURATION_SET
    assert stored(message).status is MessageStatus.SENT
    assert quota_tenant() == {"name": TENANT, "sendingStatus": "ENABLED"}


def test_a_paused_tenant_holds_its_mail_until_resumed(
    acme_tenant: LocalTenants, ses: SesSpy, queue: str
) -> None:
    # Given SES paused the handle's tenant (its reputation policy)
    acme_tenant.set_sending_status(TENANT, "DISABLED")
    message = queue_message("asha@example.org", "ravi@example.org")

    # When delivery meets its mail
    assert run_delivery(enqueue(queue, job(message))) == []

    # Then SES refused the first send, and the message is held: every recipient QUEUED,
    # nothing FAILED or dead-lettered, and the reason says SES paused the tenant
    assert len(ses.calls) == 1
    assert [r.status for r in stored(message).recipients] == [MessageStatus.QUEUED] * 2
    assert dead_letters(queue) == 0
    held = get_message(message.message_id)
    assert held["status"] == "SENDING"  # delivery had begun: statuses never move back
    assert held["held"]["reason"] == (
        f"ses_tenant_sending_paused: SES paused the sending of tenant {TENANT} (status DISABLED)"
    )
    assert list(holds.held_messages(HANDLE)) == [message.message_id]
    assert quota_tenant() == {"name": TENANT, "sendingStatus": "DISABLED"}

    # When SES reinstates the tenant and an operator resumes the handle
    acme_tenant.set_sending_status(TENANT, "REINSTATED")
    ses_tenants.forget_statuses()
    assert sending_pause.resume(HANDLE).requeued == 1

    # Then the message is sent, once to each recipient
    assert run_delivery(receive(queue, 1, wait_seconds=2)) == []
    assert sorted(ses.sent_to()[1:]) == ["asha@example.org", "ravi@example.org"]
    assert stored(message).status is MessageStatus.SENT
    assert list(holds.held_messages(HANDLE)) == []
    assert quota_tenant()["sendingStatus"] == "REINSTATED"


def test_a_pause_that_is_not_the_tenants_is_retried(
    acme_tenant: LocalTenants, ses: SesSpy, queue: str
) -> None:
    # SES answers SendingPausedException, but the tenant is ENABLED: the account or the
    # configuration set is paused, which is retried as before (and alarms in the DLQ).
    ses.errors["asha@example.org"] = "SendingPausedException"
    message = queue_message("asha@example.org")
    event = enqueue(queue, job(message))
    assert run_delivery(event) == [event["Records"][0]["messageId"]]
    assert [r.status for r in stored(message).recipients] == [MessageStatus.QUEUED]
    assert list(holds.held_messages(HANDLE)) == []


def test_the_quota_says_unknown_when_ses_cannot_tell(
    local_ses_tenants: LocalTenants, ses: SesSpy
) -> None:
    tenant_store.set_handle_tenant(HANDLE, "tenx-test_gone")  # SES has no such tenant
    assert quota_tenant() == {"name": "tenx-test_gone", "sendingStatus": "UNKNOWN"}


def test_the_local_stack_shares_its_tenants_with_tenx_admin_local(
    tenant: None, tmp_path: Path
) -> None:
    # Given the stack's stand-in and the admin command's (another process) on one file
    path = tmp_path / STATE_FILE
    stack, admin_command = LocalTenants(path), LocalTenants(path)
    register(admin_command.hooks)
    adapter._client.cache_clear()
    try:
        # When the admin command creates a tenant, and SES (the stack) pauses it
        ses_tenants.create_for_handle(HANDLE, REGION)
        stack.set_sending_status(TENANT, "DISABLED")
        # Then each sees what the other did
        assert len(stack.tenants[TENANT].resources) == 2
        ses_tenants.forget_statuses()
        assert ses_tenants.sending_status(TENANT, REGION) == "DISABLED"
    finally:
        unregister(admin_command.hooks)
        adapter._client.cache_clear()
        ses_tenants.forget_statuses()
