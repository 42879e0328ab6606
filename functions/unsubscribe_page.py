"""GET /v2/unsubscribe/{token} (no JWT): the page an unsubscribe link opens. It shows what
the button does, or that it is done; it never unsubscribes by itself (mail scanners follow
links)."""

from __future__ import annotations

from tenx_email.startup import module_loaded

from aws_lambda_powertools.event_handler import Response

from tenx_email.api.public import create_public_resolver, page, public_entrypoint
from tenx_email.api.unsubscribe_pages import confirm_page
from tenx_email.routes import public_route
from tenx_email.services import unsubscribe

ROUTE = public_route("unsubscribe_page")
app = create_public_resolver()


@app.get(ROUTE.resolver_path)
def unsubscribe_page(token: str) -> Response[str]:
    return page(200, confirm_page(unsubscribe.describe(token)))


handler = public_entrypoint(app, ROUTE)

module_loaded()
