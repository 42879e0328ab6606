"""PUT /v2/handles/{handle}/campaigns/{campaignId}/sequences/{sequenceId}: replace a sequence
as its next version; `expectedVersion` guards against overwriting a concurrent change (409
version_conflict)."""

from __future__ import annotations

from tenx_email.startup import module_loaded

from tenx_email.api.resolver import create_resolver, entrypoint, handle_access
from tenx_email.api.sequences import SequenceEnvelope, SequenceOut, SequenceUpdateIn
from tenx_email.routes import route
from tenx_email.services import sequences

ROUTE = route("update_sequence")
app = create_resolver()


@app.put(ROUTE.resolver_path)
def update_sequence(
    handle: str,
    campaignId: str,  # noqa: N803
    sequenceId: str,  # noqa: N803
    body: SequenceUpdateIn,
) -> SequenceEnvelope:
    sequence = sequences.update_sequence(
        handle_access(app), campaignId, sequenceId, body.draft(), body.expected_version
    )
    return SequenceEnvelope(sequence=SequenceOut.from_sequence(sequence))


handler = entrypoint(
    app,
    ROUTE,
    prefetch=lambda handle, request: sequences.prefetch(
        handle,
        request.path.get("campaignId", ""),
        request.path.get("sequenceId", ""),
        body=request.json_object(),
    ),
)

module_loaded()
