"""API shapes of templates, their versions and previews."""

from __future__ import annotations

from typing import Annotated, Self

from pydantic import ConfigDict, StringConstraints, field_validator
from pydantic.config import JsonDict
from pydantic.json_schema import SkipJsonSchema

from tenx_email import clock
from tenx_email.api.base import (
    ApiInput,
    ApiModel,
    Variables,
    VersionNumber,
    checked_by_service,
    one_line_pattern,
)
from tenx_email.ids import TEMPLATE_ID
from tenx_email.services.templates import (
    MAX_BODY_BYTES,
    MAX_SUBJECT_CHARS,
    Preview,
    TemplateChange,
    TemplateDraft,
)
from tenx_email.template_models import Template, TemplateContent, TemplateStatus, TemplateVersion

ShortText = Annotated[str, StringConstraints(min_length=1, max_length=200)]
# The service checks the id (invalid_template_id) and the subject (invalid_header_value).
TemplateIdIn = Annotated[
    str,
    StringConstraints(min_length=1, max_length=80),
    checked_by_service(pattern=TEMPLATE_ID.pattern),
]
Subject = Annotated[
    str, checked_by_service(pattern=one_line_pattern(), maxLength=MAX_SUBJECT_CHARS)
]
_BODIES = (
    f"html and text together are at most {MAX_BODY_BYTES // 1024} KiB of UTF-8 "
    "(413 template_too_large)"
)
# A template needs html or text that is not empty (template_body_required, the service's).
_A_BODY: JsonDict = {
    "anyOf": [
        {"required": [name], "properties": {name: {"type": "string", "minLength": 1}}}
        for name in ("html", "text")
    ]
}


class TemplateOut(ApiModel):
    handle: str
    template_id: str
    name: str
    active_version: int
    status: TemplateStatus

    @classmethod
    def from_template(cls, template: Template) -> Self:
        return cls(
            handle=template.handle,
            template_id=template.template_id,
            name=template.name,
            active_version=template.active_version,
            status=template.status,
        )


class TemplateEnvelope(ApiModel):
    template: TemplateOut


class TemplateListOut(ApiModel):
    templates: list[TemplateOut]
    next_token: str | None


class TemplateVersionOut(ApiModel):
    version: int
    subject: str
    html: str | None
    text: str | None
    created_at: str

    @classmethod
    def from_version(cls, version: TemplateVersion) -> Self:
        return cls(
            version=version.version,
            subject=version.content.subject,
            html=version.content.html,
            text=version.content.text,
            created_at=clock.iso(version.created_at),
        )


class TemplateDetailOut(ApiModel):
    template: TemplateOut
    versions: list[TemplateVersionOut]


class TemplateCreateIn(ApiInput):
    model_config = ConfigDict(json_schema_extra={**_A_BODY, "description": _BODIES})

    template_id: TemplateIdIn
    name: ShortText
    subject: Subject
    html: str | None = None
    text: str | None = None

    def draft(self) -> TemplateDraft:
        return TemplateDraft(
            template_id=self.template_id,
            name=self.name,
            content=TemplateContent(subject=self.subject, html=self.html, text=self.text),
        )


CONTENT_FIELDS = ("subject", "html", "text")


class TemplateUpdateIn(ApiInput):
    """Every field optional: what is sent changes, what is left out stays."""

    model_config = ConfigDict(
        json_schema_extra={
            "description": "Every field optional: what is sent changes, what is left out "
            f"stays. A `templateId` must be the path's (the create body may be sent as it "
            f"is). The result needs html or text; {_BODIES}."
        }
    )

    template_id: TemplateIdIn | None = None
    name: ShortText | None = None
    # Every version has a subject: it may be changed or left out, not removed (null).
    subject: Subject | SkipJsonSchema[None] = None
    html: str | None = None
    text: str | None = None
    status: TemplateStatus | None = None

    @field_validator("subject")
    @classmethod
    def _subject_not_removed(cls, subject: str | None) -> str | None:
        if subject is None:
            raise ValueError("a template's subject can be changed but not removed")
        return subject

    def change(self) -> TemplateChange:
        sent = self.model_fields_set
        return TemplateChange(
            template_id=self.template_id,
            name=self.name,
            status=self.status,
            content={field: getattr(self, field) for field in CONTENT_FIELDS if field in sent},
        )


class PreviewIn(ApiInput):
    variables: Variables = {}  # noqa: RUF012 (pydantic copies the default per instance)
    version: VersionNumber | None = None


class PreviewOut(ApiModel):
    template_id: str
    version: int
    subject: str
    html: str | None
    text: str | None
    missing_variables: list[str]

    @classmethod
    def from_preview(cls, preview: Preview) -> Self:
        return cls(
            template_id=preview.template_id,
            version=preview.version,
            subject=preview.rendered.subject,
            html=preview.rendered.html,
            text=preview.rendered.text,
            missing_variables=list(preview.rendered.missing_variables),
        )


class PreviewEnvelope(ApiModel):
    preview: PreviewOut
