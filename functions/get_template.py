"""GET /v2/handles/{handle}/email/templates/{templateId}: a template and its versions."""

from __future__ import annotations

from tenx_email.startup import module_loaded

from tenx_email.api.resolver import create_resolver, entrypoint, handle_access
from tenx_email.api.templates import TemplateDetailOut, TemplateOut, TemplateVersionOut
from tenx_email.routes import route
from tenx_email.services import templates

ROUTE = route("get_template")
app = create_resolver()


@app.get(ROUTE.resolver_path)
def get_template(handle: str, templateId: str) -> TemplateDetailOut:  # noqa: N803
    detail = templates.get_template(handle_access(app), templateId)
    return TemplateDetailOut(
        template=TemplateOut.from_template(detail.template),
        versions=[TemplateVersionOut.from_version(version) for version in detail.versions],
    )


handler = entrypoint(
    app,
    ROUTE,
    prefetch=lambda handle, request: templates.prefetch(handle, request.path.get("templateId", "")),
)

module_loaded()
