"""POST /v2/unsubscribe/{token} (no JWT): RFC 8058's one-click unsubscribe (a mailbox
provider posts `List-Unsubscribe=One-Click`), and the page's button. 200 whether it
unsubscribed now or before."""

from __future__ import annotations

from tenx_email.startup import module_loaded

import json

from aws_lambda_powertools.event_handler import Response

from tenx_email.api.public import create_public_resolver, page, public_entrypoint, wants_json
from tenx_email.api.unsubscribe_pages import done_page
from tenx_email.routes import public_route
from tenx_email.services import unsubscribe

ROUTE = public_route("unsubscribe")
app = create_public_resolver()


@app.post(ROUTE.resolver_path)
def one_click_unsubscribe(token: str) -> Response[str]:
    view = unsubscribe.unsubscribe(token)
    if wants_json(app):
        body = json.dumps({"unsubscribed": view.unsubscribed}, separators=(",", ":"))
        return Response(status_code=200, content_type="application/json", body=body)
    return page(200, done_page(view))


handler = public_entrypoint(app, ROUTE)

module_loaded()
