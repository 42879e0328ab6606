"""GET /v2/handles/{handle}/campaigns/{campaignId}/sequences: a campaign's live sequences,
oldest first."""

from __future__ import annotations

from tenx_email.startup import module_loaded

from tenx_email.api.resolver import create_resolver, entrypoint, handle_access
from tenx_email.api.sequences import SequenceListOut, SequenceOut
from tenx_email.routes import route
from tenx_email.services import sequences

ROUTE = route("list_sequences")
app = create_resolver()


@app.get(ROUTE.resolver_path)
def list_sequences(handle: str, campaignId: str) -> SequenceListOut:  # noqa: N803
    found = sequences.list_sequences(handle_access(app), campaignId)
    return SequenceListOut(sequences=[SequenceOut.from_sequence(s) for s in found])


handler = entrypoint(
    app,
    ROUTE,
    prefetch=lambda handle, request: sequences.prefetch(handle, request.path.get("campaignId", "")),
)

module_loaded()
