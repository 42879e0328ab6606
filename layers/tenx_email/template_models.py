"""Domain models of templates: a template and its immutable versions."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from tenx_email.models import DomainModel


class TemplateStatus(StrEnum):
    ACTIVE = "ACTIVE"
    PAUSED = "PAUSED"


class TemplateContent(DomainModel):
    """What a version freezes: the subject and bodies, exactly as authored."""

    subject: str
    html: str | None
    text: str | None


class TemplateVersion(DomainModel):
    handle: str
    template_id: str
    version: int
    content: TemplateContent
    created_at: datetime


class Template(DomainModel):
    handle: str
    template_id: str
    name: str
    status: TemplateStatus
    active_version: int
    latest_version: int
    # Copied from the active version, so a send reads one item to render its subject and
    # to know which variables the template needs.
    active_subject: str
    active_variables: tuple[str, ...]
    created_at: datetime
    updated_at: datetime
