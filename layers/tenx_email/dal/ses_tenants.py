"""Where handles' SES tenants are recorded: the tenant's name on the handle item (delivery reads
it with the handle), and on the account item the ARNs of its handles' tenants (`sesTenants`, a
string set), so that a domain attached to the account is associated with each of them."""

from __future__ import annotations

from typing import Any

from boto3.dynamodb.conditions import Key as KeyCondition
from botocore.exceptions import ClientError

from tenx_email import keys
from tenx_email.dal.queries import get_item, query_all
from tenx_email.dal.table import table
from tenx_email.errors import NotFound


def _update(key: keys.Key, expression: str, value: Any, missing: str) -> None:
    try:
        table().update_item(
            Key=key,
            UpdateExpression=expression,
            ConditionExpression="attribute_exists(PK)",
            ExpressionAttributeValues={":value": value},
        )
    except ClientError as error:
        if error.response["Error"]["Code"] == "ConditionalCheckFailedException":
            raise NotFound(missing) from error
        raise


def add_account_tenant(account_id: str, tenant_arn: str) -> None:
    """Add a tenant to the account's (update of PK=ACCOUNT#id, SK=ACCOUNT: ADD sesTenants)."""
    _update(
        keys.account(account_id),
        "ADD sesTenants :value",
        {tenant_arn},
        f"account {account_id} does not exist",
    )


def set_handle_tenant(handle_name: str, tenant_name: str) -> None:
    """Record the handle's tenant (update of PK=HANDLE#name, SK=HANDLE: SET sesTenant)."""
    _update(
        keys.handle(handle_name),
        "SET sesTenant = :value",
        tenant_name,
        f"handle {handle_name} does not exist",
    )


def account_tenants(account_id: str) -> frozenset[str]:
    """The ARNs of the tenants of an account's handles (GetItem PK=ACCOUNT#id, SK=ACCOUNT)."""
    item = get_item(keys.account(account_id), consistent=True) or {}
    return frozenset(str(arn) for arn in item.get("sesTenants", ()))


def account_domains(account_id: str) -> list[str]:
    """The domains attached to an account (Query PK=ACCOUNT#id, SK begins_with DOMAIN#)."""
    query: dict[str, Any] = {
        "KeyConditionExpression": KeyCondition(keys.PK).eq(keys.account(account_id)[keys.PK])
        & KeyCondition(keys.SK).begins_with(keys.account_domains_prefix()),
        "ProjectionExpression": "#domain",
        "ExpressionAttributeNames": {"#domain": "domain"},
        "ConsistentRead": True,
    }
    return [str(item["domain"]) for item in query_all(query)]
