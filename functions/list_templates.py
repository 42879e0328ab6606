"""GET /v2/handles/{handle}/email/templates?limit=&nextToken=: the handle's templates."""

from __future__ import annotations

from tenx_email.startup import module_loaded

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Query

from tenx_email.api.resolver import create_resolver, entrypoint, handle_access
from tenx_email.api.templates import TemplateListOut, TemplateOut
from tenx_email.routes import route
from tenx_email.services import templates

ROUTE = route("list_templates")
app = create_resolver()


@app.get(ROUTE.resolver_path)
def list_templates(
    handle: str,
    limit: Annotated[int, Query(ge=1, le=templates.MAX_PAGE_SIZE)] = 25,
    nextToken: str | None = None,  # noqa: N803
) -> TemplateListOut:
    page = templates.list_templates(handle_access(app), limit, nextToken)
    return TemplateListOut(
        templates=[TemplateOut.from_template(template) for template in page.templates],
        next_token=page.next_token,
    )


handler = entrypoint(app, ROUTE)

module_loaded()
