"""GET /v2/handles/{handle}/email/messages/{messageId}: the message and its timeline."""

from __future__ import annotations

from tenx_email.startup import module_loaded

from tenx_email.api.messages import MessageDetailEnvelope, MessageDetailOut
from tenx_email.api.resolver import create_resolver, entrypoint, handle_access
from tenx_email.routes import route
from tenx_email.services import inspection

ROUTE = route("get_message")
app = create_resolver()


@app.get(ROUTE.resolver_path)
def get_message(handle: str, messageId: str) -> MessageDetailEnvelope:  # noqa: N803
    detail = inspection.get_message(handle_access(app), messageId)
    return MessageDetailEnvelope(message=MessageDetailOut.from_detail(detail))


handler = entrypoint(
    app,
    ROUTE,
    prefetch=lambda handle, request: inspection.prefetch_message(
        handle, request.path.get("messageId")
    ),
)

module_loaded()
