"""The local webhook receiver's page: each request that arrived, newest first, with whether
its signature verified. Everything shown is escaped; the page loads nothing from elsewhere
(it is served with the mail viewer's Content-Security-Policy)."""

from __future__ import annotations

import json
from html import escape

from devstack.webhook_receiver import WEBHOOKS_PATH, Arrival

_STYLE = """
body { font: 15px/1.45 system-ui, sans-serif; margin: 0 auto; max-width: 60rem; padding: 1rem; }
article { border: 1px solid #999; border-radius: 6px; margin: 1rem 0; padding: 0 1rem 1rem; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: .2rem 1rem; }
dt { font-weight: 600; }
dd { margin: 0; overflow-wrap: anywhere; }
pre { white-space: pre-wrap; background: #f4f4f4; padding: .5rem; }
.ok { color: #060; } .bad { color: #a00; }
"""


def _pretty(body: str) -> str:
    try:
        return json.dumps(json.loads(body), indent=2, ensure_ascii=False)
    except ValueError:
        return body


def _arrival(arrival: Arrival, index: int) -> str:
    heading = f"webhook-{index}"
    mark = "ok" if arrival.verified else "bad"
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
        f'<p class="{mark}">{verdict}: {escape(arrival.verification)}</p>'
        f'<dl aria-label="Request">{fields}</dl>'
        f"<h3>Body</h3><pre>{escape(_pretty(arrival.body))}</pre></article>"
    )


def webhook_list(arrivals: list[Arrival]) -> str:
    count = f"{len(arrivals)} request{'' if len(arrivals) == 1 else 's'}"
    intro = (
        f"<header><h1>Webhooks received</h1><p>{count} to {escape(WEBHOOKS_PATH)} on the "
        "local stack, newest first (the last 200 are kept). Point an endpoint here "
        f"(<code>{escape(WEBHOOKS_PATH)}</code>, or <code>?fail=503</code> to watch retries)."
        "</p></header>"
    )
    articles = "".join(_arrival(arrival, index) for index, arrival in enumerate(arrivals))
    return (
        "<!doctype html>\n"
        f'<html lang="en"><head><meta charset="utf-8"><title>Webhooks ({escape(count)})</title>'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<style>{_STYLE}</style></head><body>{intro}"
        f"<main>{articles or '<p>None yet.</p>'}</main></body></html>"
    )
