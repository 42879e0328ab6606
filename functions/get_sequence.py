"""GET /v2/handles/{handle}/campaigns/{campaignId}/sequences/{sequenceId}: one live sequence as
it is now."""

from __future__ import annotations

from tenx_email.startup import module_loaded

from tenx_email.api.resolver import create_resolver, entrypoint, handle_access
from tenx_email.api.sequences import SequenceEnvelope, SequenceOut
from tenx_email.routes import route
from tenx_email.services import sequences

ROUTE = route("get_sequence")
app = create_resolver()


@app.get(ROUTE.resolver_path)
def get_sequence(handle: str, campaignId: str, sequenceId: str) -> SequenceEnvelope:  # noqa: N803
    sequence = sequences.get_sequence(handle_access(app), campaignId, sequenceId)
    return SequenceEnvelope(sequence=SequenceOut.from_sequence(sequence))


handler = entrypoint(
    app,
    ROUTE,
    prefetch=lambda handle, request: sequences.prefetch(
        handle, request.path.get("campaignId", ""), request.path.get("sequenceId", "")
    ),
)

module_loaded()
