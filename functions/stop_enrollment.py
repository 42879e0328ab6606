"""DELETE /v2/handles/{handle}/campaigns/{campaignId}/sequences/{sequenceId}/enrollments/{leadId}:
stop a lead's enrollment (204; nothing more is sent; repeating it is fine)."""

from __future__ import annotations

from tenx_email.startup import module_loaded

from aws_lambda_powertools.event_handler import Response

from tenx_email.api.resolver import create_resolver, entrypoint, handle_access
from tenx_email.routes import route
from tenx_email.services import sequence_enrollments, sequences

ROUTE = route("stop_enrollment")
app = create_resolver()


@app.delete(ROUTE.resolver_path, status_code=204)
def stop_enrollment(
    handle: str,
    campaignId: str,  # noqa: N803
    sequenceId: str,  # noqa: N803
    leadId: str,  # noqa: N803
) -> Response[str]:
    sequence_enrollments.stop_enrollment(handle_access(app), campaignId, sequenceId, leadId)
    return Response(status_code=204, body="")


handler = entrypoint(
    app,
    ROUTE,
    prefetch=lambda handle, request: sequences.prefetch(
        handle, request.path.get("campaignId", ""), request.path.get("sequenceId", "")
    ),
)

module_loaded()
