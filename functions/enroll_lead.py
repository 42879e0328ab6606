"""POST /v2/handles/{handle}/campaigns/{campaignId}/sequences/{sequenceId}/enrollments: enroll
a captured lead by hand (202; `enrolled: false` when it already has an ACTIVE enrollment, which
is the one answered). Its first step runs asynchronously, as an event's would."""

from __future__ import annotations

from tenx_email.startup import module_loaded

from tenx_email.api.enrollments import EnrolledOut, EnrollmentIn
from tenx_email.api.resolver import create_resolver, entrypoint, handle_access
from tenx_email.routes import route
from tenx_email.services import sequence_enrollments, sequences

ROUTE = route("enroll_lead")
app = create_resolver()


@app.post(ROUTE.resolver_path, status_code=202)
def enroll_lead(
    handle: str,
    campaignId: str,  # noqa: N803
    sequenceId: str,  # noqa: N803
    body: EnrollmentIn,
) -> tuple[EnrolledOut, int]:
    enrolled = sequence_enrollments.enroll_by_hand(
        handle_access(app), campaignId, sequenceId, body.lead_id
    )
    return EnrolledOut.from_enrolled(enrolled), 202


handler = entrypoint(
    app,
    ROUTE,
    prefetch=lambda handle, request: sequences.prefetch(
        handle, request.path.get("campaignId", ""), request.path.get("sequenceId", "")
    ),
)

module_loaded()
