"""The local mail viewer's pages: each sent mail as a reader would see it, and the timeline of
the message it belongs to.

Everything shown is escaped. A mail's HTML body is shown in a sandboxed frame (`srcdoc`, no
permissions: no scripts, no forms, an origin of its own), so it renders as in a mail reader
and cannot reach the page or the local stack. The pages load nothing from elsewhere, and
`CONTENT_SECURITY_POLICY` (sent with them, and inherited by the frames) keeps a mail's remote
images and styles from being fetched.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from html import escape
from typing import Any
from urllib.parse import quote, urlsplit

from devstack.mail import SentMail
from tenx_email.services.outgoing import UNSUBSCRIBE_PATH

MAIL_PATH = "/_local/mail"
MESSAGE_PATH = "/_local/mail/messages/{handle}/{messageId}"
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'"
)

_STYLE = """
body { font: 15px/1.45 system-ui, sans-serif; margin: 0 auto; max-width: 60rem; padding: 1rem; }
article { border: 1px solid #999; border-radius: 6px; margin: 1rem 0; padding: 0 1rem 1rem; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: .2rem 1rem; }
dt { font-weight: 600; }
dd { margin: 0; overflow-wrap: anywhere; }
iframe { border: 1px solid #bbb; width: 100%; height: 18rem; background: #fff; }
pre { white-space: pre-wrap; background: #f4f4f4; padding: .5rem; }
.note { background: #fff6d5; border-left: 4px solid #c90; padding: .4rem .6rem; }
table { border-collapse: collapse; } th, td { border: 1px solid #999; padding: .2rem .5rem; }
"""


def html_page(title: str, body: str) -> str:
    """A whole local page: its title, the viewer's style, `body` (already escaped)."""
    return (
        "<!doctype html>\n"
        f'<html lang="en"><head><meta charset="utf-8"><title>{escape(title)}</title>'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<style>{_STYLE}</style></head><body>{body}</body></html>"
    )


def message_href(handle: str, message_id: str) -> str:
    return MESSAGE_PATH.format(handle=quote(handle, safe=""), messageId=quote(message_id, safe=""))


def _fields(rows: Iterable[tuple[str, str]], label: str) -> str:
    items = "".join(f"<dt>{escape(name)}</dt><dd>{value}</dd>" for name, value in rows)
    return f'<dl aria-label="{escape(label)}">{items}</dl>'


def _headers(mail: SentMail) -> list[tuple[str, str]]:
    """(name, escaped HTML value) of each header a reader sees, then the send's own ones."""
    rows = [("From", escape(mail.from_display))]
    if mail.from_display != mail.source:
        rows.append(("From (as sent)", f"<code>{escape(mail.source)}</code>"))
    rows.append(("To", escape(", ".join(mail.destinations))))
    if mail.reply_to:
        rows.append(("Reply-To", escape(", ".join(mail.reply_to))))
    rows.append(("Subject", escape(mail.subject)))
    rows += [(header["name"], _header_value(header)) for header in mail.headers]
    return rows


def _header_value(header: dict[str, str]) -> str:
    """A header's escaped value. List-Unsubscribe's link can be followed, as a mail reader's
    unsubscribe button would: as a path on this stack (its links lead to the local gateway),
    so the page links nowhere else."""
    value = escape(header["value"])
    if header["name"].lower() != "list-unsubscribe":
        return value
    paths = [urlsplit(link).path for link in re.findall(r"<(https?://[^>\s]+)>", header["value"])]
    anchors = "".join(
        f' <a href="{escape(path)}" rel="noreferrer">Unsubscribe link</a>'
        for path in paths
        if path.startswith(UNSUBSCRIBE_PATH)
    )
    return value + anchors


def _about(mail: SentMail) -> list[tuple[str, str]]:
    rows = [("SES message id", f"<code>{escape(mail.message_id)}</code>")]
    if mail.sent_at:
        rows.append(("Sent at", escape(mail.sent_at)))
    ref = mail.timeline_ref
    if ref is not None:
        link = f'<a href="{escape(message_href(*ref))}">{escape(ref[1])}</a>'
        rows.append(("Message", f"{link} (status and timeline, handle {escape(ref[0])})"))
    return rows


def _bodies(mail: SentMail, heading_id: str) -> str:
    parts = []
    if mail.html is not None:
        parts.append(
            f'<section aria-labelledby="{heading_id}-html"><h3 id="{heading_id}-html">HTML body'
            f'</h3><iframe sandbox="" title="HTML body of {escape(mail.subject)}" '
            f'srcdoc="{escape(mail.html)}"></iframe></section>'
        )
    if mail.text is not None:
        parts.append(
            f'<section aria-labelledby="{heading_id}-text"><h3 id="{heading_id}-text">Text body'
            f"</h3><pre>{escape(mail.text)}</pre></section>"
        )
    if not parts:
        # Sent by a client other than the stack's: only what moto kept is known.
        parts.append(
            f'<section aria-labelledby="{heading_id}-body"><h3 id="{heading_id}-body">Body '
            f"(as moto kept it)</h3><pre>{escape(mail.body)}</pre></section>"
        )
    return "".join(parts)


def _mail(mail: SentMail, index: int) -> str:
    heading_id = f"mail-{index}"
    notes = "".join(f'<p class="note" role="note">{escape(n)}</p>' for n in mail.simulator_notes)
    return (
        f'<article aria-labelledby="{heading_id}"><h2 id="{heading_id}">'
        f"{escape(mail.subject) or '(no subject)'}</h2>"
        f"{_fields(_headers(mail), 'Headers')}{notes}{_fields(_about(mail), 'Delivery')}"
        f"{_bodies(mail, heading_id)}</article>"
    )


def mail_list(messages: list[SentMail]) -> str:
    count = f"{len(messages)} message{'' if len(messages) == 1 else 's'}"
    intro = (
        f"<header><h1>Sent mail</h1><p>{count} accepted by SES on the local stack, newest "
        "first. Nothing here left this machine.</p></header>"
    )
    articles = "".join(_mail(mail, index) for index, mail in enumerate(messages))
    return html_page(
        f"Sent mail ({count})", f"{intro}<main>{articles or '<p>None yet.</p>'}</main>"
    )


def _table(caption: str, columns: list[str], rows: Iterable[Iterable[Any]]) -> str:
    head = "".join(f'<th scope="col">{escape(column)}</th>' for column in columns)
    body = "".join(
        "<tr>" + "".join(f"<td>{escape(str(cell or ''))}</td>" for cell in row) + "</tr>"
        for row in rows
    )
    return (
        f"<table><caption>{escape(caption)}</caption>"
        f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
    )


_BACK = f'<p><a href="{MAIL_PATH}">Back to sent mail</a></p>'


def message_timeline(message: Mapping[str, Any]) -> str:
    """A message as the get_message route answered it: status, recipients and timeline."""
    title = f"Message {message['messageId']}"
    summary = _fields(
        [
            (name, escape(str(message.get(key) or "")))
            for name, key in (
                ("Handle", "handle"),
                ("Status", "status"),
                ("Status reason", "statusReason"),
                ("Subject", "subject"),
                ("From", "fromEmail"),
                ("Purpose", "purpose"),
                ("Created at", "createdAt"),
            )
        ],
        "Message",
    )
    recipients = _table(
        "Recipients",
        ["Email", "Status", "Reason"],
        ((r["email"], r["status"], r["reason"]) for r in message["recipients"]),
    )
    timeline = _table(
        "Timeline",
        ["Occurred at", "Event", "Recipient", "Detail"],
        ((e["occurredAt"], e["type"], e["recipient"], e["detail"]) for e in message["timeline"]),
    )
    return html_page(
        title,
        f"<main><h1>{escape(title)}</h1>{summary}<h2>Recipients</h2>{recipients}"
        f"<h2>Timeline</h2>{timeline}{_BACK}</main>",
    )


def message_unavailable(handle: str, message_id: str, reason: str) -> str:
    title = f"Message {message_id}"
    return html_page(
        title,
        f'<main><h1>{escape(title)}</h1><p role="alert">Handle {escape(handle)}: '
        f"{escape(reason)}</p>{_BACK}</main>",
    )
