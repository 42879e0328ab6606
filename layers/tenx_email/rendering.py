"""The one template renderer, used by preview, direct sends and campaign rules.

`{{variableName}}` substitution and nothing else: a placeholder is a name (letters, digits,
underscore; not starting with a digit) between double braces, optionally padded by spaces.
Anything else between braces (`{{7*7}}`, `{{a.__class__}}`) is not a placeholder and stays as
written, so no expression is ever evaluated. Values are HTML-escaped in the html body and
literal in the text body and subject; a rendered subject with control characters is refused.

`{{unsubscribeUrl}}` is the one variable the service provides rather than the caller: in the
bodies it renders to the recipient's own unsubscribe page (delivery makes one link per
recipient), so it is never a variable a send must give.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from dataclasses import dataclass

from tenx_email.errors import RenderedSubjectUnsafe

PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]{0,63})\s*\}\}")
# CR, LF, NUL and every other C0/C1 control, plus the Unicode line and paragraph separators:
# anything that could end a header line or smuggle one in (as a character range, which the
# OpenAPI document's patterns reuse).
HEADER_BREAKER_CHARS = r"\x00-\x1f\x7f-\x9f\u2028\u2029"
HEADER_BREAKERS = re.compile(f"[{HEADER_BREAKER_CHARS}]")


UNSUBSCRIBE_URL = "unsubscribeUrl"
PROVIDED_VARIABLES = frozenset({UNSUBSCRIBE_URL})


@dataclass(frozen=True)
class Rendered:
    subject: str
    html: str | None
    text: str | None
    missing_variables: tuple[str, ...]


def variables_used(*parts: str | None) -> list[str]:
    """Every placeholder name, in order of first appearance."""
    names: dict[str, None] = {}
    for part in parts:
        for match in PLACEHOLDER.finditer(part or ""):
            names.setdefault(match.group(1))
    return list(names)


def caller_variables(*parts: str | None) -> list[str]:
    """The placeholders a caller must give values for: all but the provided ones."""
    return [name for name in variables_used(*parts) if name not in PROVIDED_VARIABLES]


def _substitute(template: str, values: Mapping[str, str], *, escape: bool) -> str:
    def value_of(match: re.Match[str]) -> str:
        value = values.get(match.group(1), "")
        return html.escape(value, quote=True) if escape else value

    return PLACEHOLDER.sub(value_of, template)


def has_header_breakers(value: str) -> bool:
    return HEADER_BREAKERS.search(value) is not None


def render(
    subject: str, html_body: str | None, text_body: str | None, values: Mapping[str, str]
) -> Rendered:
    rendered_subject = _substitute(subject, values, escape=False)
    if has_header_breakers(rendered_subject):
        raise RenderedSubjectUnsafe(
            "the rendered subject contains a line break or control character; check the variables"
        )
    return Rendered(
        subject=rendered_subject,
        html=_substitute(html_body, values, escape=True) if html_body is not None else None,
        text=_substitute(text_body, values, escape=False) if text_body is not None else None,
        missing_variables=tuple(
            name for name in caller_variables(subject, html_body, text_body) if name not in values
        ),
    )
