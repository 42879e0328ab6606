"""The local webhook receiver's page: each request that arrived, newest first, with whether
its signature verified. Everything shown is escaped; the page loads nothing from elsewhere
(it is the mail viewer's page shell, served with its Content-Security-Policy)."""

from __future__ import annotations

import json
from html import escape

from devstack.mail_page import html_page
from devstack.webhook_receiver import MAX_KEPT, WEBHOOKS_PATH, Arrival


def _pretty(body: str) -> str:
    try:
        return json.dumps(json.loads(body), indent=2, ensure_ascii=False)
    except ValueError:
        return body


def _arrival(arrival: Arrival, index: int) -> str:
    heading = f"webhook-{index}"
    verdict = "Verified" if arrival.verified else "Not verified"
    rows = [
        ("Received at", arrival.received_at),
        ("Answered", str(arrival.answered)),
        *((name, value) for name, value in arrival.headers.items()),
    ]
    fields = "".join(f"<dt>{escape(n)}</dt><dd><code>{escape(v)}</code></dd>" for n, v in rows)
    title = arrival.event_type or "(no type)"
    return (
        f'<article aria-labelledby="{heading}"><h2 id="{heading}">{escape(title)}</h2>'
        f'<p role="status">{verdict}: {escape(arrival.verification)}</p>'
        f'<dl aria-label="Request">{fields}</dl>'
        f"<h3>Body</h3><pre>{escape(_pretty(arrival.body))}</pre></article>"
    )


def webhook_list(arrivals: list[Arrival]) -> str:
    count = f"{len(arrivals)} request{'' if len(arrivals) == 1 else 's'}"
    intro = (
        f"<header><h1>Webhooks received</h1><p>{count} to {escape(WEBHOOKS_PATH)} on the "
        f"local stack, newest first (the last {MAX_KEPT} are kept). Point an endpoint here "
        f"(<code>{escape(WEBHOOKS_PATH)}</code>, or <code>?fail=503</code> to watch retries)."
        "</p></header>"
    )
    articles = "".join(_arrival(arrival, index) for index, arrival in enumerate(arrivals))
    return html_page(f"Webhooks ({count})", f"{intro}<main>{articles or '<p>None yet.</p>'}</main>")
