"""POST /v2/handles/{handle}/campaigns/{campaignId}/email-rules: add a rule at version 1 (201).
It applies to the campaign's future events only."""

from __future__ import annotations

from tenx_email.startup import module_loaded

from tenx_email.api.resolver import create_resolver, entrypoint, handle_access
from tenx_email.api.rules import EmailRuleEnvelope, EmailRuleIn, EmailRuleOut
from tenx_email.routes import route
from tenx_email.services import rules

ROUTE = route("create_email_rule")
app = create_resolver()


@app.post(ROUTE.resolver_path, status_code=201)
def create_email_rule(
    handle: str,
    campaignId: str,  # noqa: N803
    body: EmailRuleIn,
) -> tuple[EmailRuleEnvelope, int]:
    rule = rules.create_rule(handle_access(app), campaignId, body.draft())
    return EmailRuleEnvelope(rule=EmailRuleOut.from_rule(rule)), 201


handler = entrypoint(
    app,
    ROUTE,
    prefetch=lambda handle, request: rules.prefetch(
        handle, request.path.get("campaignId", ""), body=request.json_object()
    ),
)

module_loaded()
