"""The local mail viewer's page, read back with an HTML parser: each mail as a reader sees it
(headers, a sandboxed HTML body, the text body, a link to the message's timeline), and
nothing in a mail can become markup of the page."""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser

import pytest

from devstack.mail import SentMail, readable_address
from devstack.mail_page import mail_list, message_timeline
from tenx_email.adapters.ses_sending import from_header


@dataclass
class Page(HTMLParser):
    """The parts of a page the tests look at."""

    iframes: list[dict[str, str | None]] = field(default_factory=list)
    links: list[str | None] = field(default_factory=list)
    urls: list[str | None] = field(default_factory=list)
    scripts: int = 0
    fields: dict[str, str] = field(default_factory=dict)
    pres: list[str] = field(default_factory=list)
    text: list[str] = field(default_factory=list)
    _open: str | None = None
    _term: str = ""

    def __post_init__(self) -> None:
        super().__init__()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        self.urls += [value for name, value in attrs if name in {"src", "href", "action"}]
        if tag == "iframe":
            self.iframes.append(attributes)
        if tag == "a":
            self.links.append(attributes.get("href"))
        if tag == "script":
            self.scripts += 1
        if tag in {"dt", "dd", "pre"}:
            self._open = tag
            if tag in {"dd", "pre"}:
                self.text.append("")

    def handle_endtag(self, tag: str) -> None:
        if tag == "dd":
            self.fields.setdefault(self._term, self.text[-1])
        if tag == "pre":
            self.pres.append(self.text[-1])
        if tag == self._open:
            self._open = None

    def handle_data(self, data: str) -> None:
        if self._open == "dt":
            self._term = data
        elif self._open in {"dd", "pre"}:
            self.text[-1] += data


def parsed(page: str) -> Page:
    reader = Page()
    reader.feed(page)
    return reader


HOSTILE = "<script>alert(1)</script>\"'&"


def a_mail(**changes: object) -> SentMail:
    base = {
        "message_id": "0100-ses-id",
        "source": "=?utf-8?q?Caf=C3=A9?= <hello@example.com>",
        "destinations": ["lead@customer.test"],
        "subject": "Your order",
        "body": "<p>Hi</p>",
        "from_display": readable_address("=?utf-8?q?Caf=C3=A9?= <hello@example.com>"),
        "reply_to": ["support@example.com"],
        "html": '<p>Hi <b>Asha</b> "quoted" &amp; done</p>',
        "text": "Hi Asha",
        "headers": [{"name": "List-Unsubscribe", "value": "<https://example.com/u/1>"}],
        "tags": {"handle": "acme", "messageId": "msg_01abc"},
    }
    return SentMail(**{**base, **changes})  # type: ignore[arg-type]


def test_an_rfc_2047_display_name_is_shown_decoded() -> None:
    assert readable_address("=?utf-8?q?Caf=C3=A9?= <hello@example.com>") == (
        "Café <hello@example.com>"
    )
    assert readable_address("Acme <hello@example.com>") == "Acme <hello@example.com>"
    assert readable_address("hello@example.com") == "hello@example.com"
    # Not decodable as declared: shown as it came
    assert readable_address("=?x-nope?q?abc?= <a@b.c>") == "=?x-nope?q?abc?= <a@b.c>"


@pytest.mark.parametrize(
    "name",
    ["Café", "Acme, Inc.", "東京のカフェ・ミュージアム・アンド・ギャラリー・ショップ 🍰", "Plain"],
)
def test_the_from_the_service_sends_reads_back_as_its_name(name: str) -> None:
    # The delivery adapter's From: RFC 2047 encoded words (split at 75 characters) or a
    # quoted ASCII name, as SES takes it
    sent = from_header(name, "hello@example.com")

    assert readable_address(sent) in {
        f"{name} <hello@example.com>",
        f'"{name}" <hello@example.com>',
    }


def test_a_mail_shows_its_headers_bodies_and_timeline_link() -> None:
    page = parsed(mail_list([a_mail()]))

    assert page.fields["From"] == "Café <hello@example.com>"
    assert page.fields["From (as sent)"] == "=?utf-8?q?Caf=C3=A9?= <hello@example.com>"
    assert page.fields["To"] == "lead@customer.test"
    assert page.fields["Reply-To"] == "support@example.com"
    assert page.fields["Subject"] == "Your order"
    assert page.fields["List-Unsubscribe"] == "<https://example.com/u/1>"
    assert page.pres == ["Hi Asha"]
    assert "/_local/mail/messages/acme/msg_01abc" in page.links


def test_the_html_body_is_in_a_sandboxed_frame_that_allows_nothing() -> None:
    (frame,) = parsed(mail_list([a_mail()])).iframes

    assert frame["sandbox"] == ""
    # the frame's document is the body exactly as sent (escaped in the attribute)
    assert frame["srcdoc"] == '<p>Hi <b>Asha</b> "quoted" &amp; done</p>'
    assert frame["title"] == "HTML body of Your order"
    assert "src" not in frame


@pytest.mark.parametrize("where", ["subject", "source", "text", "html", "header", "tag"])
def test_nothing_a_mail_carries_becomes_markup_of_the_page(where: str) -> None:
    changes: dict[str, object] = {
        "subject": {"subject": HOSTILE},
        "source": {"source": HOSTILE, "from_display": HOSTILE},
        "text": {"text": HOSTILE},
        "html": {"html": HOSTILE},
        "header": {"headers": [{"name": HOSTILE, "value": HOSTILE}]},
        "tag": {"tags": {"handle": HOSTILE, "messageId": HOSTILE}},
    }[where]
    page = mail_list([a_mail(**changes)])
    reader = parsed(page)

    assert reader.scripts == 0
    assert "<script>" not in page
    assert len(reader.iframes) == 1


def test_an_unsubscribe_link_can_be_followed_on_this_stack_only() -> None:
    link = "http://127.0.0.1:3000/v2/unsubscribe/abc_-1"
    headers = [
        {"name": "List-Unsubscribe", "value": f"<{link}>"},
        {"name": "List-Unsubscribe-Post", "value": "List-Unsubscribe=One-Click"},
    ]
    page = parsed(mail_list([a_mail(headers=headers)]))

    assert page.fields["List-Unsubscribe"] == f"<{link}> Unsubscribe link"
    assert "/v2/unsubscribe/abc_-1" in page.links
    # a link elsewhere is shown, never linked
    elsewhere = parsed(mail_list([a_mail()]))
    assert elsewhere.fields["List-Unsubscribe"] == "<https://example.com/u/1>"
    assert not [url for url in elsewhere.links if "example.com" in url]


def test_the_page_loads_nothing_from_elsewhere() -> None:
    # (a mail's own remote image is inside its frame, where the page's CSP blocks it)
    page = parsed(mail_list([a_mail(html='<img src="https://tracker.example/p.gif">')]))

    assert page.urls
    assert all(url and url.startswith("/_local/") for url in page.urls)


def test_mail_is_listed_in_the_order_given_with_a_count() -> None:
    page = mail_list([a_mail(subject="newer"), a_mail(subject="older")])

    assert page.index("newer") < page.index("older")
    assert "Sent mail (2 messages)" in page


def test_mail_sent_outside_the_stack_shows_what_moto_kept() -> None:
    page = parsed(mail_list([a_mail(html=None, text=None, body="kept body", tags={})]))

    assert page.iframes == []
    assert page.pres == ["kept body"]
    assert not any(link and "/messages/" in link for link in page.links)


def test_the_timeline_page_shows_status_recipients_and_events() -> None:
    message = {
        "messageId": "msg_01abc",
        "handle": "acme",
        "status": "BOUNCED",
        "subject": HOSTILE,
        "recipients": [{"email": "b@x.test", "status": "BOUNCED", "reason": None}],
        "timeline": [
            {
                "occurredAt": "2026-01-01T00:00:00Z",
                "type": "BOUNCED",
                "recipient": "b@x.test",
                "detail": "Permanent/General",
            }
        ],
    }

    page = message_timeline(message)
    reader = parsed(page)

    assert reader.fields["Status"] == "BOUNCED"
    assert reader.scripts == 0
    assert "<caption>Recipients</caption>" in page
    assert "<caption>Timeline</caption>" in page
    assert "<td>Permanent/General</td>" in page
