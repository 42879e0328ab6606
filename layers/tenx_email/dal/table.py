"""The single table, created lazily so tests and the local stack can point boto3 elsewhere."""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING, Any

import boto3
from botocore.exceptions import ClientError

from tenx_email.settings import data_settings

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.service_resource import Table


@cache
def table() -> Table:
    return boto3.resource("dynamodb").Table(data_settings().table_name)


def reset() -> None:
    """Forget the cached client (tests and the admin command switch endpoints)."""
    table.cache_clear()
    data_settings.cache_clear()


def transact(items: list[dict[str, Any]]) -> list[str]:
    """Run a write transaction; on cancellation return each item's cancellation code."""
    try:
        table().meta.client.transact_write_items(TransactItems=items)  # type: ignore[arg-type]
    except ClientError as error:
        if error.response["Error"]["Code"] != "TransactionCanceledException":
            raise
        reasons = error.response.get("CancellationReasons", [])
        return [reason.get("Code", "None") for reason in reasons]
    return []
