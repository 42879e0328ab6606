"""GET /v2/handles/{handle}/email/messages?limit=&nextToken=&status=&purpose=&testMode=: newest
first. `status`, `purpose` and `testMode` (true: test sends only; false: real ones) filter each
page after its `limit` messages are read, so a filtered page may hold fewer messages than
`limit`, even none, and still return a `nextToken`: page on until there is none. A `nextToken`
is only good with the filters of the request that got it.
"""

from __future__ import annotations

from tenx_email.startup import module_loaded

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Query

from tenx_email.api.messages import MessageListOut, MessageOut
from tenx_email.api.resolver import create_resolver, entrypoint, handle_access
from tenx_email.message_models import MessageStatus
from tenx_email.models import Purpose
from tenx_email.routes import route
from tenx_email.services import inspection

ROUTE = route("list_messages")
app = create_resolver()


@app.get(ROUTE.resolver_path)
def list_messages(
    handle: str,
    limit: Annotated[int, Query(ge=1, le=inspection.MAX_PAGE_SIZE)] = 25,
    nextToken: str | None = None,  # noqa: N803
    status: MessageStatus | None = None,
    purpose: Purpose | None = None,
    testMode: bool | None = None,  # noqa: N803
) -> MessageListOut:
    page = inspection.list_messages(
        handle_access(app), status, purpose, limit, nextToken, test_mode=testMode
    )
    return MessageListOut(
        messages=[MessageOut.from_message(message) for message in page.items],
        next_token=page.next_token,
    )


handler = entrypoint(app, ROUTE)

module_loaded()
