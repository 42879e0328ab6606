"""GET /v2/handles/{handle}/campaigns/{campaignId}/sequences/{sequenceId}/enrollments: the
sequence's enrollments in lead order (`status` filters), each with its next step, when it is
due, and why it ended or waits."""

from __future__ import annotations

from tenx_email.startup import module_loaded

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Query

from tenx_email.api.enrollments import EnrollmentListOut, EnrollmentOut
from tenx_email.api.resolver import create_resolver, entrypoint, handle_access
from tenx_email.campaign_models import EnrollmentStatus
from tenx_email.routes import route
from tenx_email.services import sequence_enrollments, sequences

ROUTE = route("list_enrollments")
app = create_resolver()


@app.get(ROUTE.resolver_path)
def list_enrollments(
    handle: str,
    campaignId: str,  # noqa: N803
    sequenceId: str,  # noqa: N803
    status: EnrollmentStatus | None = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 25,
    nextToken: str | None = None,  # noqa: N803
) -> EnrollmentListOut:
    page = sequence_enrollments.list_enrollments(
        handle_access(app), campaignId, sequenceId, status, limit, nextToken
    )
    return EnrollmentListOut(
        enrollments=[EnrollmentOut.from_enrollment(e) for e in page.items],
        next_token=page.next_token,
    )


handler = entrypoint(
    app,
    ROUTE,
    prefetch=lambda handle, request: sequences.prefetch(
        handle, request.path.get("campaignId", ""), request.path.get("sequenceId", "")
    ),
)

module_loaded()
