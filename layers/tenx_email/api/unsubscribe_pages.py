"""The pages an unsubscribe link shows: plain HTML, no script, readable on a phone and by a
screen reader. A page never loads anything (its Content-Security-Policy allows nothing but its
own style and a form posting back to itself), is never cached or indexed, and sends no
Referer, which would carry the link's token."""

from __future__ import annotations

from html import escape

from tenx_email.services.unsubscribe import LinkView

PAGE_HEADERS = {
    "Content-Type": "text/html; charset=utf-8",
    "Cache-Control": "no-store",
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'"
    ),
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "X-Robots-Tag": "noindex",
}
_STYLE = (
    "body{font-family:system-ui,sans-serif;margin:0;padding:2rem 1rem;background:#f6f7f9;"
    "color:#1c1e21}main{max-width:32rem;margin:0 auto;background:#fff;padding:1.5rem;"
    "border-radius:8px;border:1px solid #d0d4da}h1{font-size:1.4rem;margin-top:0}"
    "button{font:inherit;padding:.6rem 1.2rem;border-radius:6px;border:1px solid #1a4fd6;"
    "background:#1a4fd6;color:#fff;cursor:pointer}button:focus{outline:3px solid #f5a623;"
    "outline-offset:2px}.address{word-break:break-all}"
)


def _page(title: str, body: str) -> str:
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title><style>{_STYLE}</style></head>"
        f"<body><main><h1>{escape(title)}</h1>{body}</main></body></html>"
    )


def _from(view: LinkView) -> str:
    return escape(view.sender_name) if view.sender_name else "this sender"


def confirm_page(view: LinkView) -> str:
    """The GET: what the button will do, or that it is done already."""
    if view.unsubscribed:
        return done_page(view)
    address = f'<span class="address">{escape(view.email)}</span>'
    return _page(
        "Unsubscribe",
        f"<p>Stop emails like this one from <strong>{_from(view)}</strong> to {address}?</p>"
        '<form method="post">'
        '<input type="hidden" name="List-Unsubscribe" value="One-Click">'
        '<button type="submit">Unsubscribe</button></form>'
        "<p>Messages you need about your account, such as receipts, still reach you.</p>",
    )


def done_page(view: LinkView) -> str:
    address = f'<span class="address">{escape(view.email)}</span>'
    return _page(
        "You are unsubscribed",
        f'<p role="status">{address} will no longer get emails like this one from '
        f"<strong>{_from(view)}</strong>.</p>",
    )


def error_page(title: str, message: str) -> str:
    return _page(title, f'<p role="alert">{escape(message)}</p>')
