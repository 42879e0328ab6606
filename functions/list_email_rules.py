"""GET /v2/handles/{handle}/campaigns/{campaignId}/email-rules: a campaign's live rules."""

from __future__ import annotations

from tenx_email.startup import module_loaded

from tenx_email.api.resolver import create_resolver, entrypoint, handle_access
from tenx_email.api.rules import EmailRuleListOut, EmailRuleOut
from tenx_email.routes import route
from tenx_email.services import rules

ROUTE = route("list_email_rules")
app = create_resolver()


@app.get(ROUTE.resolver_path)
def list_email_rules(handle: str, campaignId: str) -> EmailRuleListOut:  # noqa: N803
    found = rules.list_rules(handle_access(app), campaignId)
    return EmailRuleListOut(rules=[EmailRuleOut.from_rule(rule) for rule in found])


handler = entrypoint(
    app,
    ROUTE,
    prefetch=lambda handle, request: rules.prefetch(handle, request.path.get("campaignId", "")),
)

module_loaded()
