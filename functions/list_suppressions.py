"""GET /v2/handles/{handle}/email/suppressions?limit=&nextToken=: the suppression list."""

from __future__ import annotations

from tenx_email.startup import module_loaded

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Query

from tenx_email.api.resolver import create_resolver, entrypoint, handle_access
from tenx_email.api.suppressions import SuppressionListOut, SuppressionOut
from tenx_email.routes import route
from tenx_email.services import suppressions

ROUTE = route("list_suppressions")
app = create_resolver()


@app.get(ROUTE.resolver_path)
def list_suppressions(
    handle: str,
    limit: Annotated[int, Query(ge=1, le=suppressions.MAX_PAGE_SIZE)] = 25,
    nextToken: str | None = None,  # noqa: N803
) -> SuppressionListOut:
    page = suppressions.list_suppressions(handle_access(app), limit, nextToken)
    return SuppressionListOut(
        suppressions=[SuppressionOut.from_suppression(entry) for entry in page.items],
        next_token=page.next_token,
    )


handler = entrypoint(app, ROUTE)

module_loaded()
