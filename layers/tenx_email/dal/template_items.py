"""Stored items of templates: a template (with its active version's subject copied) and each
of its immutable versions."""

from __future__ import annotations

from datetime import datetime

from tenx_email import keys
from tenx_email.dal.items import StoredItem
from tenx_email.template_models import Template, TemplateContent, TemplateStatus, TemplateVersion


class TemplateItem(StoredItem):
    entity_type = "TEMPLATE"
    handle: str
    template_id: str
    name: str
    status: TemplateStatus
    active_version: int
    latest_version: int
    active_subject: str
    active_variables: list[str]
    created_at: datetime
    updated_at: datetime

    @classmethod
    def from_domain(cls, template: Template) -> TemplateItem:
        return cls(
            **keys.template(template.handle, template.template_id),
            **template.model_dump(exclude={"active_variables"}),
            active_variables=list(template.active_variables),
        )

    def to_domain(self) -> Template:
        return Template(
            **self.model_dump(exclude={"pk", "sk", "active_variables"}),
            active_variables=tuple(self.active_variables),
        )


class TemplateVersionItem(StoredItem):
    entity_type = "TEMPLATE_VERSION"
    handle: str
    template_id: str
    version: int
    subject: str
    html: str | None = None
    text: str | None = None
    created_at: datetime

    @classmethod
    def from_domain(cls, version: TemplateVersion) -> TemplateVersionItem:
        return cls(
            **keys.template_version(version.handle, version.template_id, version.version),
            **version.model_dump(exclude={"content"}),
            **version.content.model_dump(),
        )

    def to_domain(self) -> TemplateVersion:
        return TemplateVersion(
            handle=self.handle,
            template_id=self.template_id,
            version=self.version,
            content=TemplateContent(subject=self.subject, html=self.html, text=self.text),
            created_at=self.created_at,
        )
