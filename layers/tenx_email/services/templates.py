"""Versioned templates. Every change of content adds an immutable version and makes it the
active one; name and status changes do not add versions.

Limits (docs/api.md, "Templates"): templateId `tmpl_` + 1-64 of [A-Za-z0-9_-]; subject 1-998
characters with no control characters; html and text together at most 256 KiB (UTF-8);
a list page at most 100; the newest 50 versions are shown.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from tenx_email import clock, keys
from tenx_email.dal import templates as store
from tenx_email.errors import (
    AlreadyExists,
    EmailTemplateAlreadyExists,
    EmailTemplateNotFound,
    EmailTemplateVersionNotFound,
    InvalidHeaderValue,
    InvalidTemplateId,
    TemplateBodyRequired,
    TemplateChangedConcurrently,
    TemplateIdMismatch,
    TemplateTooLarge,
)
from tenx_email.ids import TEMPLATE_ID
from tenx_email.models import HandleAccess
from tenx_email.rendering import (
    UNSUBSCRIBE_URL,
    Rendered,
    caller_variables,
    has_header_breakers,
    render,
    variables_used,
)
from tenx_email.template_models import Template, TemplateContent, TemplateStatus, TemplateVersion

MAX_SUBJECT_CHARS = 998
MAX_BODY_BYTES = 256 * 1024
MAX_PAGE_SIZE = 100
VERSIONS_SHOWN = 50
MAX_VERSION = 999_999  # version numbers are stored zero-padded to six digits
_SAVE_ATTEMPTS = 3


@dataclass(frozen=True)
class TemplateDraft:
    template_id: str
    name: str
    content: TemplateContent


@dataclass(frozen=True)
class TemplateChange:
    """A PUT: only the fields the client sent. `content` holds subject/html/text updates
    (None for html or text removes that body). `template_id`: the id the body names, if any
    (the create body carries one, and may be sent again as it is); it must be the path's."""

    template_id: str | None = None
    name: str | None = None
    status: TemplateStatus | None = None
    content: Mapping[str, str | None] = field(default_factory=dict)


# What {{unsubscribeUrl}} shows in a preview: each real recipient gets a link of their own at
# delivery (the .invalid domain is reserved, so this one leads nowhere).
PREVIEW_UNSUBSCRIBE_URL = "https://unsubscribe.invalid/preview"


@dataclass(frozen=True)
class TemplateDetail:
    template: Template
    versions: list[TemplateVersion]


@dataclass(frozen=True)
class Preview:
    template_id: str
    version: int
    rendered: Rendered


def prefetch(handle_name: str, template_id: str, version: object = None) -> list[keys.Key]:
    """What reading a template starts with (the template, and a version a preview names), for
    the access check to read along; nothing for an id that cannot name a template."""
    if not TEMPLATE_ID.fullmatch(template_id):
        return []
    wanted = [keys.template(handle_name, template_id)]
    if type(version) is int and 1 <= version <= MAX_VERSION:
        wanted.append(keys.template_version(handle_name, template_id, version))
    return wanted


def check_template_id(template_id: str) -> None:
    if not TEMPLATE_ID.fullmatch(template_id):
        raise InvalidTemplateId("templateId must be tmpl_ followed by 1-64 letters, digits, _ or -")


def check_content(content: TemplateContent) -> None:
    if not content.subject.strip() or len(content.subject) > MAX_SUBJECT_CHARS:
        raise InvalidHeaderValue(f"subject must be 1 to {MAX_SUBJECT_CHARS} characters")
    if has_header_breakers(content.subject):
        raise InvalidHeaderValue("subject must not contain line breaks or control characters")
    if UNSUBSCRIBE_URL in variables_used(content.subject):
        raise InvalidHeaderValue(
            f"{{{{{UNSUBSCRIBE_URL}}}}} renders per recipient in the bodies, not in the subject"
        )
    if not (content.html or content.text):
        raise TemplateBodyRequired("a template needs html or text (or both)")
    size = len((content.html or "").encode()) + len((content.text or "").encode())
    if size > MAX_BODY_BYTES:
        raise TemplateTooLarge(f"html and text together are {size} bytes; the limit is 256 KiB")


def _active_copy(content: TemplateContent) -> dict[str, object]:
    return {
        "active_subject": content.subject,
        "active_variables": tuple(caller_variables(content.subject, content.html, content.text)),
    }


def create_template(access: HandleAccess, draft: TemplateDraft) -> Template:
    check_template_id(draft.template_id)
    check_content(draft.content)
    now = clock.now()
    template = Template(
        handle=access.handle.handle,
        template_id=draft.template_id,
        name=draft.name,
        status=TemplateStatus.ACTIVE,
        active_version=1,
        latest_version=1,
        **_active_copy(draft.content),
        created_at=now,
        updated_at=now,
    )
    first = TemplateVersion(
        handle=template.handle,
        template_id=template.template_id,
        version=1,
        content=draft.content,
        created_at=now,
    )
    try:
        store.create(template, first)
    except AlreadyExists as error:
        raise EmailTemplateAlreadyExists(
            f"template {draft.template_id} already exists; use PUT to change it"
        ) from error
    return template


def _existing(access: HandleAccess, template_id: str) -> Template:
    check_template_id(template_id)
    template = store.get(access.handle.handle, template_id)
    if template is None:
        raise EmailTemplateNotFound(f"template {template_id} does not exist")
    return template


def _version(template: Template, number: int) -> TemplateVersion:
    version = store.get_version(template.handle, template.template_id, number)
    if version is None:
        raise EmailTemplateVersionNotFound(
            f"template {template.template_id} has no version {number}"
        )
    return version


def update_template(access: HandleAccess, template_id: str, change: TemplateChange) -> Template:
    check_template_id(template_id)
    if change.template_id is not None and change.template_id != template_id:
        raise TemplateIdMismatch(
            f"the body names template {change.template_id[:80]!r} but the path names "
            f"{template_id}; leave templateId out or send the path's"
        )
    for _ in range(_SAVE_ATTEMPTS):
        current = _existing(access, template_id)
        active = _version(current, current.active_version)
        content = active.content.model_copy(update=dict(change.content))
        check_content(content)
        updates: dict[str, object] = {}
        if change.name is not None:
            updates["name"] = change.name
        if change.status is not None:
            updates["status"] = change.status
        new_version = None
        if content != active.content:
            number = current.latest_version + 1
            new_version = TemplateVersion(
                handle=current.handle,
                template_id=template_id,
                version=number,
                content=content,
                created_at=clock.now(),
            )
            updates |= {"active_version": number, "latest_version": number}
            updates |= _active_copy(content)
        changed = current.model_copy(update=updates)
        if changed == current:
            return current  # nothing to change: a repeated PUT writes nothing
        changed = changed.model_copy(update={"updated_at": clock.now()})
        try:
            store.save(changed, new_version, seen_latest=current.latest_version)
        except store.ConcurrentChange:
            continue
        return changed
    raise TemplateChangedConcurrently(f"template {template_id} kept changing; retry the request")


def get_template(access: HandleAccess, template_id: str) -> TemplateDetail:
    template = _existing(access, template_id)
    versions = store.list_versions(template.handle, template_id, VERSIONS_SHOWN)
    return TemplateDetail(template=template, versions=versions)


def list_templates(access: HandleAccess, limit: int, next_token: str | None) -> store.Page:
    return store.list_templates(access.handle.handle, limit, next_token)


def preview(
    access: HandleAccess, template_id: str, variables: Mapping[str, str], version: int | None
) -> Preview:
    template = _existing(access, template_id)
    chosen = _version(template, version or template.active_version)
    content = chosen.content
    return Preview(
        template_id=template_id,
        version=chosen.version,
        rendered=render(
            content.subject,
            content.html,
            content.text,
            {**variables, UNSUBSCRIBE_URL: PREVIEW_UNSUBSCRIBE_URL},
        ),
    )
