"""POST /v2/handles/{handle}/email/templates: create a template at version 1 (201)."""

from __future__ import annotations

from tenx_email.startup import module_loaded

from tenx_email.api.resolver import create_resolver, entrypoint, handle_access
from tenx_email.api.templates import TemplateCreateIn, TemplateEnvelope, TemplateOut
from tenx_email.routes import route
from tenx_email.services import templates

ROUTE = route("create_template")
app = create_resolver()


@app.post(ROUTE.resolver_path, status_code=201)
def create_template(handle: str, body: TemplateCreateIn) -> tuple[TemplateEnvelope, int]:
    template = templates.create_template(handle_access(app), body.draft())
    return TemplateEnvelope(template=TemplateOut.from_template(template)), 201


handler = entrypoint(app, ROUTE)

module_loaded()
