"""Campaign email rules (PK=HANDLE#h, SK=RULE#<campaignId>#<ruleId>) in the single table.

A campaign's live rules are counted on its own item (`ruleCount`: see campaign_counts.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from boto3.dynamodb.conditions import Attr
from boto3.dynamodb.conditions import Key as KeyCondition

from tenx_email import keys
from tenx_email.campaign_models import EmailRule
from tenx_email.dal import campaign_counts
from tenx_email.dal.campaign_items import EmailRuleItem
from tenx_email.dal.identity_items import SenderItem
from tenx_email.dal.items import CampaignItem
from tenx_email.dal.queries import batch_get, get_item
from tenx_email.dal.table import table
from tenx_email.dal.template_items import TemplateItem
from tenx_email.identity_models import Sender
from tenx_email.models import Campaign
from tenx_email.template_models import Template

_COUNTER = "ruleCount"


class ConcurrentChange(Exception):
    """The rule changed (or was deleted) between our read and our write."""


@dataclass(frozen=True)
class RuleContext:
    """Everything a rule write checks, read in one BatchGetItem."""

    campaign: Campaign | None
    template: Template | None
    sender: Sender | None
    rule: EmailRule | None


def read_context(
    handle_name: str, campaign_id: str, template_id: str, sender_id: str, rule_id: str | None
) -> RuleContext:
    """Rule create/update: the campaign, template, sender and (update) the rule, in one
    BatchGetItem (SK in CAMPAIGN#id, TEMPLATE#id, SENDER#id, RULE#campaign#rule)."""
    wanted = {
        "campaign": keys.campaign(handle_name, campaign_id),
        "template": keys.template(handle_name, template_id),
        "sender": keys.sender(handle_name, sender_id),
    }
    if rule_id is not None:
        wanted["rule"] = keys.rule(handle_name, campaign_id, rule_id)
    by_sort = {item["SK"]: item for item in batch_get(list(wanted.values()))}
    found = {name: by_sort.get(key["SK"]) for name, key in wanted.items()}
    campaign, template = found["campaign"], found["template"]
    sender, rule = found["sender"], found.get("rule")
    return RuleContext(
        campaign=CampaignItem.from_item(campaign).to_domain() if campaign else None,
        template=TemplateItem.from_item(template).to_domain() if template else None,
        sender=SenderItem.from_item(sender).to_domain() if sender else None,
        rule=EmailRuleItem.from_item(rule).to_domain() if rule else None,
    )


def get(handle_name: str, campaign_id: str, rule_id: str) -> EmailRule | None:
    """Get a rule by campaign and id, deleted or not."""
    key = keys.rule(handle_name, campaign_id, rule_id)
    item = get_item(key, consistent=True)
    return EmailRuleItem.from_item(item).to_domain() if item else None


def list_rules(handle_name: str, campaign_id: str) -> list[EmailRule]:
    """A campaign's live rules (PK=HANDLE#h, SK begins_with RULE#<campaignId>#, deleted ones
    filtered out). Deleted rules stay behind, so this follows every page."""
    query: dict[str, Any] = {
        "KeyConditionExpression": KeyCondition(keys.PK).eq(keys.handle(handle_name)["PK"])
        & KeyCondition(keys.SK).begins_with(keys.rules_of_campaign_prefix(campaign_id)),
        "FilterExpression": Attr("deleted").eq(False),
        "ConsistentRead": True,
    }
    found: list[EmailRule] = []
    while True:
        response = table().query(**query)
        found += [EmailRuleItem.from_item(item).to_domain() for item in response["Items"]]
        if "LastEvaluatedKey" not in response:
            return found
        query["ExclusiveStartKey"] = response["LastEvaluatedKey"]


def create(rule: EmailRule, max_rules: int) -> None:
    """Create a rule and count it on its campaign, unless the campaign already has
    `max_rules` live rules (campaign_counts.LimitReached)."""
    item = EmailRuleItem.from_domain(rule).to_item()
    campaign_counts.create(rule.handle, rule.campaign_id, _COUNTER, max_rules, [item])


def replace(rule: EmailRule, *, seen_version: int) -> None:
    """Write a changed rule only while it is live at the version we read."""
    try:
        table().put_item(
            Item=EmailRuleItem.from_domain(rule).to_item(),
            ConditionExpression="version = :seen AND deleted = :no",
            ExpressionAttributeValues={":seen": seen_version, ":no": False},
        )
    except table().meta.client.exceptions.ConditionalCheckFailedException as error:
        raise ConcurrentChange(rule.rule_id) from error


def mark_deleted(handle_name: str, campaign_id: str, rule_id: str, at: datetime) -> None:
    """Soft-delete a live rule and uncount it on its campaign (repeating it changes nothing;
    raises campaign_counts.CampaignMissing or ItemMissing)."""
    key = keys.rule(handle_name, campaign_id, rule_id)
    campaign_counts.mark_deleted(handle_name, campaign_id, _COUNTER, key, at)
