"""POST /v2/handles/{handle}/campaigns/{campaignId}/sequences: add a sequence at version 1
(201). It enrolls leads of the campaign's future events only."""

from __future__ import annotations

from tenx_email.startup import module_loaded

from tenx_email.api.resolver import create_resolver, entrypoint, handle_access
from tenx_email.api.sequences import SequenceEnvelope, SequenceIn, SequenceOut
from tenx_email.routes import route
from tenx_email.services import sequences

ROUTE = route("create_sequence")
app = create_resolver()


@app.post(ROUTE.resolver_path, status_code=201)
def create_sequence(
    handle: str,
    campaignId: str,  # noqa: N803
    body: SequenceIn,
) -> tuple[SequenceEnvelope, int]:
    sequence = sequences.create_sequence(handle_access(app), campaignId, body.draft())
    return SequenceEnvelope(sequence=SequenceOut.from_sequence(sequence)), 201


handler = entrypoint(
    app,
    ROUTE,
    prefetch=lambda handle, request: sequences.prefetch(
        handle, request.path.get("campaignId", ""), body=request.json_object()
    ),
)

module_loaded()
