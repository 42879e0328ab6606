"""GET /v2/handles/{handle}/access: the caller's own role on the handle (OWNER, OPERATOR or
CREATOR), so a client can leave out what that role may not do; every route still checks."""

from __future__ import annotations

from tenx_email.startup import module_loaded

from tenx_email.api.access import AccessEnvelope, AccessOut
from tenx_email.api.resolver import create_resolver, entrypoint, handle_access
from tenx_email.routes import route

ROUTE = route("get_handle_access")
app = create_resolver()


# The service call is the access check itself (services/access.authorize_handle, made by
# entrypoint): it read the membership, and its role is the answer.
@app.get(ROUTE.resolver_path)
def get_handle_access(handle: str) -> AccessEnvelope:
    return AccessEnvelope(access=AccessOut.from_access(handle_access(app)))


handler = entrypoint(app, ROUTE)

module_loaded()
