"""DELETE /v2/handles/{handle}/campaigns/{campaignId}/sequences/{sequenceId}: soft-delete a
sequence (204, repeatable)."""

from __future__ import annotations

from tenx_email.startup import module_loaded

from aws_lambda_powertools.event_handler import Response

from tenx_email.api.resolver import create_resolver, entrypoint, handle_access
from tenx_email.routes import route
from tenx_email.services import sequences

ROUTE = route("delete_sequence")
app = create_resolver()


@app.delete(ROUTE.resolver_path, status_code=204)
def delete_sequence(handle: str, campaignId: str, sequenceId: str) -> Response[str]:  # noqa: N803
    sequences.delete_sequence(handle_access(app), campaignId, sequenceId)
    return Response(status_code=204, body="")


handler = entrypoint(app, ROUTE)

module_loaded()
