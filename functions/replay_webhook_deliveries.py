"""POST /v2/handles/{handle}/email/webhooks/{webhookId}/replay: send again the deliveries of
the events from `since` to `until` (at most 14 days apart; at most 500 a call, oldest
first; 202)."""

from __future__ import annotations

from tenx_email.startup import module_loaded

from tenx_email.api.resolver import create_resolver, entrypoint, handle_access
from tenx_email.api.webhooks import ReplayedOut, ReplayWindowIn
from tenx_email.routes import route
from tenx_email.services import webhook_log, webhooks

ROUTE = route("replay_webhook_deliveries")
app = create_resolver()


@app.post(ROUTE.resolver_path, status_code=202)
def replay_webhook_deliveries(
    handle: str,
    webhookId: str,  # noqa: N803
    body: ReplayWindowIn,
) -> tuple[ReplayedOut, int]:
    replayed = webhook_log.replay_window(handle_access(app), webhookId, body.since, body.until)
    return ReplayedOut(replayed=replayed.replayed, truncated=replayed.truncated), 202


handler = entrypoint(
    app,
    ROUTE,
    prefetch=lambda handle, request: webhooks.prefetch(handle, request.path.get("webhookId", "")),
)

module_loaded()
