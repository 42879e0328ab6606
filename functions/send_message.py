"""POST /v2/handles/{handle}/email/messages: check, store and queue one message (202).
202 means stored and queued, never delivered."""

from __future__ import annotations

from tenx_email.startup import module_loaded

from tenx_email.api.messages import MessageEnvelope, MessageOut
from tenx_email.api.resolver import create_resolver, entrypoint, handle_access
from tenx_email.api.sending import SendIn
from tenx_email.routes import route
from tenx_email.services import sending

ROUTE = route("send_message")
app = create_resolver()


@app.post(ROUTE.resolver_path, status_code=202)
def send_message(handle: str, body: SendIn) -> tuple[MessageEnvelope, int]:
    accepted = sending.queue_message(handle_access(app), body.request())
    return MessageEnvelope(message=MessageOut.from_message(accepted.message)), 202


handler = entrypoint(
    app,
    ROUTE,
    prefetch=lambda handle, request: sending.prefetch(handle, request.json_object()),
    consistent_reads=False,
)

module_loaded()
