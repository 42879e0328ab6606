"""The demo tenant, created through the service layer as the admin command would create it."""

from __future__ import annotations

from devstack.environment import REGION
from tenx_email.models import IdentityStatus
from tenx_email.roles import Role
from tenx_email.services import domains, ses_tenants, tenancy

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


def seed_demo() -> None:
    """Needs DOMAIN's DNS records published (the local stack publishes them first)."""
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
