"""SES v2 tenants: create one, associate a resource (an identity, the configuration set) with
it, read its sending status. Creating and associating are safe to repeat."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

if TYPE_CHECKING:
    from mypy_boto3_sesv2 import SESV2Client

# Short timeouts: delivery and the quota route read the status on their own clock.
_CLIENT_CONFIG = Config(retries={"total_max_attempts": 2}, connect_timeout=2, read_timeout=5)


@dataclass(frozen=True)
class TenantState:
    arn: str
    sending_status: str  # ENABLED | REINSTATED | DISABLED


@cache
def _client(region: str) -> SESV2Client:
    return boto3.client("sesv2", region_name=region, config=_CLIENT_CONFIG)


def _unless_exists(error: ClientError) -> None:
    if error.response.get("Error", {}).get("Code") != "AlreadyExistsException":
        raise error


def create_tenant(region: str, name: str) -> None:
    try:
        _client(region).create_tenant(TenantName=name)
    except ClientError as error:
        _unless_exists(error)


def associate(region: str, name: str, resource_arn: str) -> None:
    try:
        _client(region).create_tenant_resource_association(
            TenantName=name, ResourceArn=resource_arn
        )
    except ClientError as error:
        _unless_exists(error)


def describe(region: str, name: str) -> TenantState:
    tenant = _client(region).get_tenant(TenantName=name)["Tenant"]
    return TenantState(arn=tenant["TenantArn"], sending_status=tenant["SendingStatus"])
