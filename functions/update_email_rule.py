"""PUT /v2/handles/{handle}/campaigns/{campaignId}/email-rules/{ruleId}: replace a rule;
`expectedVersion` guards against overwriting a concurrent change (409 version_conflict)."""

from __future__ import annotations

from tenx_email.startup import module_loaded

from tenx_email.api.resolver import create_resolver, entrypoint, handle_access
from tenx_email.api.rules import EmailRuleEnvelope, EmailRuleOut, EmailRuleUpdateIn
from tenx_email.routes import route
from tenx_email.services import rules

ROUTE = route("update_email_rule")
app = create_resolver()


@app.put(ROUTE.resolver_path)
def update_email_rule(
    handle: str,
    campaignId: str,  # noqa: N803
    ruleId: str,  # noqa: N803
    body: EmailRuleUpdateIn,
) -> EmailRuleEnvelope:
    rule = rules.update_rule(
        handle_access(app), campaignId, ruleId, body.draft(), body.expected_version
    )
    return EmailRuleEnvelope(rule=EmailRuleOut.from_rule(rule))


handler = entrypoint(
    app,
    ROUTE,
    prefetch=lambda handle, request: rules.prefetch(
        handle,
        request.path.get("campaignId", ""),
        request.path.get("ruleId", ""),
        body=request.json_object(),
    ),
)

module_loaded()
