"""GET /v2/handles/{handle}/campaigns/{campaignId}/email-rules/{ruleId}/runs: what a rule did
with each campaign event (scheduled, message created, or skipped and why)."""

from __future__ import annotations

from tenx_email.startup import module_loaded

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Query

from tenx_email.api.campaign_events import RuleRunListOut, RuleRunOut
from tenx_email.api.resolver import create_resolver, entrypoint, handle_access
from tenx_email.routes import route
from tenx_email.services import rule_runs, rules

ROUTE = route("list_rule_runs")
app = create_resolver()


@app.get(ROUTE.resolver_path)
def list_rule_runs(
    handle: str,
    campaignId: str,  # noqa: N803
    ruleId: str,  # noqa: N803
    limit: Annotated[int, Query(ge=1, le=100)] = 25,
    nextToken: str | None = None,  # noqa: N803
) -> RuleRunListOut:
    page = rule_runs.list_runs(handle_access(app), campaignId, ruleId, limit, nextToken)
    return RuleRunListOut(
        runs=[RuleRunOut.from_run(run) for run in page.items], next_token=page.next_token
    )


handler = entrypoint(
    app,
    ROUTE,
    prefetch=lambda handle, request: rules.prefetch(
        handle, request.path.get("campaignId", ""), request.path.get("ruleId", "")
    ),
)

module_loaded()
