"""PUT /v2/handles/{handle}/email/templates/{templateId}: change a template; new content
becomes a new immutable version and the active one."""

from __future__ import annotations

from tenx_email.startup import module_loaded

from tenx_email.api.resolver import create_resolver, entrypoint, handle_access
from tenx_email.api.templates import TemplateEnvelope, TemplateOut, TemplateUpdateIn
from tenx_email.routes import route
from tenx_email.services import templates

ROUTE = route("update_template")
app = create_resolver()


@app.put(ROUTE.resolver_path)
def update_template(handle: str, templateId: str, body: TemplateUpdateIn) -> TemplateEnvelope:  # noqa: N803
    template = templates.update_template(handle_access(app), templateId, body.change())
    return TemplateEnvelope(template=TemplateOut.from_template(template))


handler = entrypoint(
    app,
    ROUTE,
    prefetch=lambda handle, request: templates.prefetch(handle, request.path.get("templateId", "")),
)

module_loaded()
