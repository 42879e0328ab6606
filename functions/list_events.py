"""GET /v2/handles/{handle}/email/events?messageId=|recipient=|purpose=|since=&limit=&nextToken=:
delivery events, oldest first. Without messageId or recipient, purpose or since is required."""

from __future__ import annotations

from tenx_email.startup import module_loaded

from datetime import datetime
from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Query

from tenx_email.api.messages import EventListOut, EventOut
from tenx_email.api.resolver import create_resolver, entrypoint, handle_access
from tenx_email.models import Purpose
from tenx_email.routes import route
from tenx_email.services import inspection

ROUTE = route("list_events")
app = create_resolver()


@app.get(ROUTE.resolver_path)
def list_events(
    handle: str,
    messageId: Annotated[str | None, Query(pattern=inspection.MESSAGE_ID)] = None,  # noqa: N803
    recipient: Annotated[str | None, Query(max_length=inspection.MAX_RECIPIENT_LENGTH)] = None,
    purpose: Purpose | None = None,
    since: datetime | None = None,
    limit: Annotated[int, Query(ge=1, le=inspection.MAX_PAGE_SIZE)] = inspection.DEFAULT_PAGE_SIZE,
    nextToken: str | None = None,  # noqa: N803
) -> EventListOut:
    query = inspection.EventQuery(
        message_id=messageId, recipient=recipient, purpose=purpose, since=since
    )
    page = inspection.list_events(handle_access(app), query, limit, nextToken)
    return EventListOut(
        events=[EventOut.from_event(event) for event in page.items], next_token=page.next_token
    )


handler = entrypoint(
    app,
    ROUTE,
    prefetch=lambda handle, request: inspection.prefetch_events(handle, request.query),
)

module_loaded()
