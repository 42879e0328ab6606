"""DELETE /v2/handles/{handle}/campaigns/{campaignId}/email-rules/{ruleId}: soft-delete a
rule (204, repeatable)."""

from __future__ import annotations

from tenx_email.startup import module_loaded

from aws_lambda_powertools.event_handler import Response

from tenx_email.api.resolver import create_resolver, entrypoint, handle_access
from tenx_email.routes import route
from tenx_email.services import rules

ROUTE = route("delete_email_rule")
app = create_resolver()


@app.delete(ROUTE.resolver_path, status_code=204)
def delete_email_rule(handle: str, campaignId: str, ruleId: str) -> Response[str]:  # noqa: N803
    rules.delete_rule(handle_access(app), campaignId, ruleId)
    return Response(status_code=204, body="")


handler = entrypoint(app, ROUTE)

module_loaded()
