"""GET /v2/handles/{handle}/campaigns/{campaignId}/sequences/{sequenceId}/stats: enrolled,
active, completed, stopped, exited by reason and sent per email step, as the event projection
counted them (seconds behind)."""

from __future__ import annotations

from tenx_email.startup import module_loaded

from tenx_email.api.enrollments import SequenceStatsEnvelope, SequenceStatsOut
from tenx_email.api.resolver import create_resolver, entrypoint, handle_access
from tenx_email.routes import route
from tenx_email.services import sequence_enrollments, sequences

ROUTE = route("get_sequence_stats")
app = create_resolver()


@app.get(ROUTE.resolver_path)
def get_sequence_stats(
    handle: str,
    campaignId: str,  # noqa: N803
    sequenceId: str,  # noqa: N803
) -> SequenceStatsEnvelope:
    sequence, counters = sequence_enrollments.stats(handle_access(app), campaignId, sequenceId)
    return SequenceStatsEnvelope(stats=SequenceStatsOut.from_counters(sequence, counters))


handler = entrypoint(
    app,
    ROUTE,
    prefetch=lambda handle, request: sequences.prefetch(
        handle, request.path.get("campaignId", ""), request.path.get("sequenceId", "")
    ),
)

module_loaded()
