"""The demo tenant, created through the service layer as the admin command would create it."""

from __future__ import annotations

import os
import time
from collections.abc import Mapping

from devstack.environment import REGION, LocalEnvironment
from devstack.webhook_receiver import WEBHOOKS_PATH
from tenx_email.dal import tenancy as tenancy_store
from tenx_email.identity_models import IdentityStatus
from tenx_email.models import Caller, HandleAccess
from tenx_email.roles import Role
from tenx_email.services import domains, ses_tenants, tenancy, webhooks

HANDLE = "acme"
DOMAIN = "example.com"
CAMPAIGN_ID = "cmp_welcome"
OUTSIDE_HANDLE = "globex"

# What stack.json calls each demo user -> their sub. OUTSIDER is an OPERATOR of another
# tenant, to show that membership elsewhere gives no access to acme.
USERS = {
    "OWNER": "user_owner",
    "OPERATOR": "user_operator",
    "CREATOR": "user_creator",
    "OUTSIDER": "user_outsider",
}
# Who the local mail viewer reads each handle's messages as (an OPERATOR of it).
READERS = {HANDLE: USERS["OPERATOR"], OUTSIDE_HANDLE: USERS["OUTSIDER"]}


def seed_demo(receiver_url: str | None = None) -> None:
    """Needs DOMAIN's DNS records published (the local stack publishes them first).
    `receiver_url`: where acme's webhook endpoint points (the local receiver by default)."""
    tenancy.create_account("acc_demo", "Acme Inc")
    tenancy.create_account("acc_globex", "Globex")
    # acme is out of the sandbox, so the contract's examples work as written; globex stays
    # in it, as every new handle starts.
    tenancy.create_handle(HANDLE, "acc_demo", sandbox=False)
    tenancy.create_handle(OUTSIDE_HANDLE, "acc_globex")
    for handle in (HANDLE, OUTSIDE_HANDLE):  # each with its SES tenant, as create-handle does
        ses_tenants.create_for_handle(handle, REGION)
    identity = domains.attach_domain("acc_demo", DOMAIN, REGION)
    if identity.status is not IdentityStatus.READY:
        raise RuntimeError(f"{DOMAIN} is {identity.status}; the demo needs it READY")
    tenancy.register_campaign(HANDLE, CAMPAIGN_ID, "Welcome")
    for role in (Role.OWNER, Role.OPERATOR, Role.CREATOR):
        tenancy.grant_membership(HANDLE, USERS[role.value], role)
    tenancy.grant_membership(OUTSIDE_HANDLE, USERS["OUTSIDER"], Role.OPERATOR)
    # Only the local stage has the receiver (and may deliver to http on 127.0.0.1); the
    # benchmark seeds the same demo on a stage of its own, without webhooks.
    if webhooks.allows_private_targets():
        _seed_webhook(receiver_url or receiver_url_of(os.environ))


def receiver_url_of(environ: Mapping[str, str]) -> str:
    """The local webhook receiver on the stack's own port."""
    return LocalEnvironment.from_environ(environ).api_base + WEBHOOKS_PATH


SEEDED_WEBHOOK_EVENTS = ("SENT", "DELIVERED", "BOUNCED", "COMPLAINED")


def _seed_webhook(url: str) -> None:
    """acme's one endpoint, at the local receiver, for the events an integrator acts on: one
    send shows signed deliveries arriving (made as an OPERATOR would, so the URL is checked as
    any is). Not every type: a busy local stack (the e2e suite) would queue more deliveries
    than its one-at-a-time functions send while a developer waits."""
    handle = tenancy_store.get_handle(HANDLE)
    if handle is None:
        raise RuntimeError(f"{HANDLE} was not created")
    caller = Caller(sub=USERS["OPERATOR"], token_expires_at=int(time.time()) + 3600)
    access = HandleAccess(caller=caller, handle=handle, role=Role.OPERATOR)
    draft = webhooks.EndpointDraft(
        url=url,
        events=SEEDED_WEBHOOK_EVENTS,
        enabled=True,
        description="The local stack's webhook receiver",
    )
    webhooks.create_endpoint(access, draft)
