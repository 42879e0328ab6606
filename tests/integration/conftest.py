"""A seeded tenant on moto: account, handles, a READY domain and one member per role."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import boto3
import pytest

from devstack.ses_tenants import LocalTenants
from tenx_email.roles import Role
from tenx_email.services import domains, tenancy

MEMBERS = {
    Role.OWNER: "user_owner",
    Role.OPERATOR: "user_operator",
    Role.CREATOR: "user_creator",
}
OUTSIDER = "user_outsider"


@pytest.fixture
def tenant(aws: None) -> None:
    tenancy.create_account("acc_demo", "Acme Inc")
    tenancy.create_account("acc_globex", "Globex")
    # Established tenants, out of the sandbox (tests/integration/test_sandbox.py covers it).
    tenancy.create_handle("acme", "acc_demo", sandbox=False)
    tenancy.create_handle("globex", "acc_globex", sandbox=False)
    domains.attach_domain("acc_demo", "example.com", "us-east-1")
    for role, sub in MEMBERS.items():
        tenancy.grant_membership("acme", sub, role)
    tenancy.grant_membership("globex", OUTSIDER, Role.OPERATOR)


@pytest.fixture
def delivery_queue(aws: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The delivery queue (and its DLQ) on moto, configured for the send route."""
    from devstack.resources import create_queue
    from tenx_email import resources
    from tenx_email.settings import delivery_settings

    urls = create_queue(boto3.client("sqs"), "test", resources.DELIVERY_QUEUE)
    monkeypatch.setenv("DELIVERY_QUEUE_URL", urls.queue_url)
    delivery_settings.cache_clear()
    yield urls.queue_url
    delivery_settings.cache_clear()


@pytest.fixture
def project_events(aws: None, monkeypatch: pytest.MonkeyPatch) -> Callable[[], int]:
    """The event projection, run on demand (`delivery_support.event_projection`)."""
    from tenx_email.observability import metrics
    from tests.integration.delivery_support import event_projection

    # Metrics read their namespace when first imported, which may precede the test's env.
    monkeypatch.setattr(metrics, "namespace", "TenxEmailTest")
    return event_projection()


@pytest.fixture
def local_ses_tenants(aws: None) -> Iterator[LocalTenants]:
    """SES tenants on moto (devstack/ses_tenants.py): they apply to SES clients made from now
    on, so request this before fixtures that make one (`ses`)."""
    from devstack.local_ses import register, unregister
    from tenx_email.adapters import ses_tenants as adapter
    from tenx_email.services import ses_tenants

    stand_in = LocalTenants()
    register(stand_in.hooks)
    adapter._client.cache_clear()
    ses_tenants.forget_statuses()
    yield stand_in
    unregister(stand_in.hooks)
    adapter._client.cache_clear()
    ses_tenants.forget_statuses()


@pytest.fixture
def webhook_queue(aws: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The webhook queue (and its DLQ) on moto, where the fan-out and the replay and test
    routes queue deliveries; returns its URL."""
    from devstack.resources import create_queue
    from tenx_email import resources
    from tenx_email.settings import webhook_settings

    url = create_queue(boto3.client("sqs"), "test", resources.WEBHOOK_QUEUE).queue_url
    monkeypatch.setenv("WEBHOOK_QUEUE_URL", url)
    webhook_settings.cache_clear()
    yield url
    webhook_settings.cache_clear()
