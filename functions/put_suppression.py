"""PUT /v2/handles/{handle}/email/suppressions/{email}: never send to this address."""

from __future__ import annotations

from tenx_email.startup import module_loaded

from tenx_email.api.resolver import create_resolver, entrypoint, handle_access
from tenx_email.api.suppressions import SuppressionEnvelope, SuppressionIn, SuppressionOut
from tenx_email.routes import route
from tenx_email.services import suppressions

ROUTE = route("put_suppression")
app = create_resolver()


@app.put(ROUTE.resolver_path)
def put_suppression(handle: str, email: str, body: SuppressionIn) -> SuppressionEnvelope:
    suppression = suppressions.suppress(handle_access(app), email, body.reason, body.purposes)
    return SuppressionEnvelope(suppression=SuppressionOut.from_suppression(suppression))


handler = entrypoint(app, ROUTE)

module_loaded()
