"""Each handle's SES tenant: SES tracks reputation, and pauses sending, per tenant, so one
handle's bounces and complaints pause that handle alone, not the whole SES account.

An operator creates it (`tenx-admin create-handle` does; `create-ses-tenant` for a handle made
before). It is named from the stage and the handle (resources.ses_tenant_name); the stage's
configuration set and every domain of the handle's account are associated with it (SES takes
a SendEmail with a TenantName only when its identity and configuration set are), then the
handle item records it, and from then on delivery sends with `TenantName`. A domain attached
to the account later is associated with its tenants when it is attached (services/domains.py).

When SES pauses a tenant (its reputation policy, or someone in the SES console), SendEmail
answers SendingPausedException. Delivery then reads the tenant (GetTenant) and, when it is
DISABLED, holds the message (services/sending_pause.py): its recipients stay QUEUED until an
operator resumes the handle once SES has reinstated the tenant. The quota route's statuses
are cached for STATUS_TTL_SECONDS per execution environment; a status SES cannot give is
UNKNOWN.
"""

from __future__ import annotations

import time

from botocore.exceptions import BotoCoreError, ClientError

from tenx_email import resources
from tenx_email.adapters import ses_tenants as ses
from tenx_email.dal import ses_tenants as store
from tenx_email.dal import tenancy as handles
from tenx_email.errors import NotFound
from tenx_email.models import Handle
from tenx_email.observability import logger
from tenx_email.sending_models import SesTenantStatus
from tenx_email.settings import data_settings, ses_settings

STATUS_TTL_SECONDS = 60
DISABLED = "DISABLED"
UNKNOWN = "UNKNOWN"
# What SendEmail answers for a paused account, configuration set or tenant.
PAUSED_CODE = "SendingPausedException"
HELD_PREFIX = "ses_tenant_sending_paused"

_statuses: dict[tuple[str, str], tuple[float, str]] = {}


def create_for_handle(handle_name: str, region: str) -> Handle:
    """Operators only (the admin command): create the handle's tenant, or complete one made
    before (every step is safe to repeat, so this also reconciles the associations)."""
    handle = handles.get_handle(handle_name)
    if handle is None:
        raise NotFound(f"handle {handle_name} does not exist")
    stage = data_settings().stage
    name = handle.ses_tenant or resources.ses_tenant_name(stage, handle_name)
    ses.create_tenant(region, name)
    arn = ses.describe(region, name).arn
    # The account's list first: a domain attached from now on is associated as it attaches.
    store.add_account_tenant(handle.account_id, arn)
    configuration_set = resources.configuration_set_name(stage)
    ses.associate(region, name, _resource_arn(arn, "configuration-set", configuration_set))
    for domain in store.account_domains(handle.account_id):
        ses.associate(region, name, _resource_arn(arn, "identity", domain))
    store.set_handle_tenant(handle_name, name)
    logger.info("ses tenant ready", extra={"handle": handle_name, "tenant": name})
    return handle.model_copy(update={"ses_tenant": name})


def associate_identity(account_id: str, domain: str, region: str) -> None:
    """Associate a domain's identity with the tenant of each of its account's handles."""
    for tenant_arn in sorted(store.account_tenants(account_id)):
        name = tenant_arn.split(":tenant/", 1)[1].split("/", 1)[0]
        ses.associate(region, name, _resource_arn(tenant_arn, "identity", domain))


def _resource_arn(tenant_arn: str, kind: str, name: str) -> str:
    """An SES resource's ARN in the tenant's partition, region and account
    (a tenant's is arn:<partition>:ses:<region>:<account>:tenant/<name>/<id>)."""
    return f"{tenant_arn.split(':tenant/', 1)[0]}:{kind}/{name}"


def sending_status(tenant: str, region: str, *, fresh: bool = False) -> str:
    """The tenant's status, from the cache unless `fresh` (or expired)."""
    key = (region, tenant)
    now = time.monotonic()
    cached = _statuses.get(key)
    if cached is not None and cached[0] > now and not fresh:
        return cached[1]
    try:
        status = ses.describe(region, tenant).sending_status
    except (BotoCoreError, ClientError) as error:
        logger.warning("ses tenant status unknown", extra={"tenant": tenant, "error": str(error)})
        return UNKNOWN
    _statuses[key] = (now + STATUS_TTL_SECONDS, status)
    return status


def forget_statuses() -> None:
    """Drop the cached statuses (tests change them on the local stand-in)."""
    _statuses.clear()


def held_reason(tenant: str | None, code: str) -> str | None:
    """Why delivery holds a message SES refused with `code`: when SES paused its tenant.
    None: not the tenant's pause (an account or configuration set's, or unknown): retry."""
    if tenant is None or code != PAUSED_CODE:
        return None
    # Read afresh: SES's refusal is news that a cached status may predate.
    status = sending_status(tenant, ses_settings().ses_region, fresh=True)
    if status != DISABLED:
        return None
    return f"{HELD_PREFIX}: SES paused the sending of tenant {tenant} (status {status})"


def status_of(handle: Handle) -> SesTenantStatus | None:
    if handle.ses_tenant is None:
        return None
    status = sending_status(handle.ses_tenant, ses_settings().ses_region)
    return SesTenantStatus(name=handle.ses_tenant, sending_status=status)
