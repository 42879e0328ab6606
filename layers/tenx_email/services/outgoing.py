"""What delivery hands SES for one recipient of a message.

The bodies are rendered once per message from its immutable template version. Mail that
carries unsubscribe links (`Message.list_unsubscribe`: campaign mail, and direct sends that
ask) gets, per recipient, `List-Unsubscribe` with the recipient's own link and
`List-Unsubscribe-Post: List-Unsubscribe=One-Click` (RFC 8058: what mailbox providers need to
show their one-click unsubscribe). A template whose bodies place `{{unsubscribeUrl}}` renders
the same link there, for any mail; only such a template's bodies are rendered per recipient.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from tenx_email import test_sends, unsubscribe_tokens
from tenx_email.adapters import ses_sending
from tenx_email.message_models import Message
from tenx_email.rendering import UNSUBSCRIBE_URL, render, variables_used
from tenx_email.settings import link_settings
from tenx_email.template_models import TemplateVersion

ONE_CLICK = "List-Unsubscribe=One-Click"
UNSUBSCRIBE_PATH = "/v2/unsubscribe/"


@dataclass(frozen=True)
class Content:
    """A message's rendered content (its subject was rendered when it was accepted)."""

    subject: str
    html: str | None
    text: str | None
    version: TemplateVersion
    # The bodies place {{unsubscribeUrl}}: they are rendered again for each recipient.
    links_in_body: bool


def render_content(message: Message, version: TemplateVersion) -> Content:
    """Raises the renderer's DomainError when the bodies cannot be rendered."""
    content = version.content
    rendered = render(content.subject, content.html, content.text, message.variables)
    return Content(
        subject=message.subject,
        html=rendered.html,
        text=rendered.text,
        version=version,
        links_in_body=UNSUBSCRIBE_URL in variables_used(content.html, content.text),
    )


def unsubscribe_link(message: Message, index: int, at: datetime) -> str:
    """Recipient `index`'s own unsubscribe page (and one-click endpoint)."""
    token = unsubscribe_tokens.issue(
        message.handle,
        message.message_id,
        index,
        message.recipients[index].email,
        message.purpose,
        at,
    )
    return f"{link_settings().base}{UNSUBSCRIBE_PATH}{token}"


def email_for(
    message: Message, index: int, content: Content, at: datetime
) -> ses_sending.OutgoingEmail:
    """Recipient `index`'s email; `at` (the claim's time) dates its unsubscribe link."""
    html, text, headers = content.html, content.text, {}
    if message.list_unsubscribe or content.links_in_body:
        link = unsubscribe_link(message, index, at)
        if message.list_unsubscribe:
            headers = {"List-Unsubscribe": f"<{link}>", "List-Unsubscribe-Post": ONE_CLICK}
        if content.links_in_body:
            body = content.version.content
            personal = render(
                body.subject, body.html, body.text, {**message.variables, UNSUBSCRIBE_URL: link}
            )
            html, text = personal.html, personal.text
    return ses_sending.OutgoingEmail(
        from_name=message.from_name,
        from_address=message.from_address,
        reply_to=message.reply_to,
        to=test_sends.sent_to(message, index),
        subject=content.subject,
        html=html,
        text=text,
        tags={
            "handle": message.handle,
            "messageId": message.message_id,
            "purpose": message.purpose.value,
            "rcpt": str(index),
        },
        headers=headers,
    )
