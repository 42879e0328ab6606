"""Templates and their immutable versions in the single table."""

from __future__ import annotations

from dataclasses import dataclass

from boto3.dynamodb.conditions import Key as KeyCondition

from tenx_email import keys
from tenx_email.dal import pagination
from tenx_email.dal.queries import get_item
from tenx_email.dal.table import table, transact
from tenx_email.dal.template_items import TemplateItem, TemplateVersionItem
from tenx_email.errors import AlreadyExists
from tenx_email.template_models import Template, TemplateVersion


class ConcurrentChange(Exception):
    """Someone else changed the template between our read and our write."""


@dataclass(frozen=True)
class Page:
    templates: list[Template]
    next_token: str | None


def _put_version(version: TemplateVersion) -> dict[str, object]:
    return {
        "Put": {
            "TableName": table().name,
            "Item": TemplateVersionItem.from_domain(version).to_item(),
            # Versions are immutable: never overwrite one.
            "ConditionExpression": "attribute_not_exists(PK)",
        }
    }


def create(template: Template, first_version: TemplateVersion) -> None:
    """Create a template (PK=HANDLE#h, SK=TEMPLATE#id) and its version 1
    (SK=TMPLVER#id#000001) together; an existing id is refused."""
    reasons = transact(
        [
            {
                "Put": {
                    "TableName": table().name,
                    "Item": TemplateItem.from_domain(template).to_item(),
                    "ConditionExpression": "attribute_not_exists(PK)",
                }
            },
            _put_version(first_version),
        ]
    )
    if reasons:
        raise AlreadyExists(f"template {template.template_id} already exists")


def get(handle_name: str, template_id: str) -> Template | None:
    """Get a template by id."""
    item = get_item(keys.template(handle_name, template_id))
    return TemplateItem.from_item(item).to_domain() if item else None


def get_version(handle_name: str, template_id: str, version: int) -> TemplateVersion | None:
    """Get one version of a template."""
    key = keys.template_version(handle_name, template_id, version)
    item = get_item(key)
    return TemplateVersionItem.from_item(item).to_domain() if item else None


def list_templates(handle_name: str, limit: int, next_token: str | None) -> Page:
    """A handle's templates by id (PK=HANDLE#h, SK begins_with TEMPLATE#), paged."""
    partition = keys.handle(handle_name)["PK"]
    query: dict[str, object] = {
        "KeyConditionExpression": KeyCondition(keys.PK).eq(partition)
        & KeyCondition(keys.SK).begins_with(keys.TEMPLATE_PREFIX),
        "Limit": limit,
    }
    start = pagination.decode(
        next_token, exact={keys.PK: partition}, prefixes={keys.SK: keys.TEMPLATE_PREFIX}
    )
    if start:
        query["ExclusiveStartKey"] = start
    response = table().query(**query)  # type: ignore[arg-type]
    return Page(
        templates=[TemplateItem.from_item(item).to_domain() for item in response["Items"]],
        next_token=pagination.encode(response.get("LastEvaluatedKey")),
    )


def list_versions(handle_name: str, template_id: str, limit: int) -> list[TemplateVersion]:
    """A template's newest versions first (PK=HANDLE#h, SK begins_with TMPLVER#id#)."""
    response = table().query(
        KeyConditionExpression=KeyCondition(keys.PK).eq(keys.handle(handle_name)["PK"])
        & KeyCondition(keys.SK).begins_with(keys.template_versions_prefix(template_id)),
        ScanIndexForward=False,
        Limit=limit,
    )
    return [TemplateVersionItem.from_item(item).to_domain() for item in response["Items"]]


def save(template: Template, new_version: TemplateVersion | None, *, seen_latest: int) -> None:
    """Write a changed template, and its new version if the content changed, only if nobody
    else added a version since we read it (latestVersion = seen_latest)."""
    items: list[dict[str, object]] = [
        {
            "Put": {
                "TableName": table().name,
                "Item": TemplateItem.from_domain(template).to_item(),
                "ConditionExpression": "attribute_exists(PK) AND latestVersion = :seen",
                "ExpressionAttributeValues": {":seen": seen_latest},
            }
        }
    ]
    if new_version is not None:
        items.append(_put_version(new_version))
    if transact(items):
        raise ConcurrentChange(template.template_id)
