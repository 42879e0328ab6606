"""PUT /v2/handles/{handle}/email/senders/{senderId}: create or update a sender profile."""

from __future__ import annotations

from tenx_email.startup import module_loaded

from tenx_email.api.resolver import create_resolver, entrypoint, handle_access
from tenx_email.api.senders import SenderEnvelope, SenderIn, SenderOut
from tenx_email.routes import route
from tenx_email.services import senders

ROUTE = route("put_sender")
app = create_resolver()


@app.put(ROUTE.resolver_path)
def put_sender(handle: str, senderId: str, body: SenderIn) -> SenderEnvelope:  # noqa: N803
    sender = senders.put_sender(handle_access(app), senderId, body.draft())
    return SenderEnvelope(sender=SenderOut.from_sender(sender))


handler = entrypoint(
    app,
    ROUTE,
    prefetch=lambda handle, request: senders.prefetch(handle, request.path.get("senderId", "")),
)

module_loaded()
