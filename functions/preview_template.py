"""POST /v2/handles/{handle}/email/templates/{templateId}/preview: render a version with the
given variables and name the variables it uses that were not given. Writes nothing."""

from __future__ import annotations

from tenx_email.startup import module_loaded

from tenx_email.api.base import variable_values
from tenx_email.api.resolver import create_resolver, entrypoint, handle_access
from tenx_email.api.templates import PreviewEnvelope, PreviewIn, PreviewOut
from tenx_email.routes import route
from tenx_email.services import templates

ROUTE = route("preview_template")
app = create_resolver()


@app.post(ROUTE.resolver_path)
def preview_template(handle: str, templateId: str, body: PreviewIn) -> PreviewEnvelope:  # noqa: N803
    preview = templates.preview(
        handle_access(app), templateId, variable_values(body.variables), body.version
    )
    return PreviewEnvelope(preview=PreviewOut.from_preview(preview))


handler = entrypoint(
    app,
    ROUTE,
    prefetch=lambda handle, request: templates.prefetch(
        handle, request.path.get("templateId", ""), request.json_object().get("version")
    ),
)

module_loaded()
