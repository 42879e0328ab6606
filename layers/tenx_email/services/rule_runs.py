"""A rule's runs, as the list_rule_runs route reads them.

Apart from services.triggers, so that reading runs does not load the trigger machinery (job
models, queue and scheduler adapters, rendering).
"""

from __future__ import annotations

from tenx_email.campaign_models import RuleRun
from tenx_email.dal import triggers as store
from tenx_email.dal.queries import Page
from tenx_email.models import HandleAccess
from tenx_email.services.rules import require_rule


def list_runs(
    access: HandleAccess, campaign_id: str, rule_id: str, limit: int, next_token: str | None
) -> Page[RuleRun]:
    require_rule(access.handle.handle, campaign_id, rule_id)
    return store.list_runs(access.handle.handle, rule_id, limit, next_token)
