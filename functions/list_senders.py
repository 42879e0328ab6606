"""GET /v2/handles/{handle}/email/senders: the handle's sender profiles."""

from __future__ import annotations

from tenx_email.startup import module_loaded

from tenx_email.api.resolver import create_resolver, entrypoint, handle_access
from tenx_email.api.senders import SenderListOut, SenderOut
from tenx_email.routes import route
from tenx_email.services import senders

ROUTE = route("list_senders")
app = create_resolver()


@app.get(ROUTE.resolver_path)
def list_senders(handle: str) -> SenderListOut:
    found = senders.list_senders(handle_access(app))
    return SenderListOut(senders=[SenderOut.from_sender(sender) for sender in found])


handler = entrypoint(app, ROUTE)

module_loaded()
