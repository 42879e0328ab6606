"""DELETE /v2/handles/{handle}/email/suppressions/{email}: lift a suppression (204, repeatable)."""

from __future__ import annotations

from tenx_email.startup import module_loaded

from aws_lambda_powertools.event_handler import Response

from tenx_email.api.resolver import create_resolver, entrypoint, handle_access
from tenx_email.routes import route
from tenx_email.services import suppressions

ROUTE = route("delete_suppression")
app = create_resolver()


@app.delete(ROUTE.resolver_path, status_code=204)
def delete_suppression(handle: str, email: str) -> Response[str]:
    suppressions.unsuppress(handle_access(app), email)
    return Response(status_code=204, body="")


handler = entrypoint(app, ROUTE)

module_loaded()
