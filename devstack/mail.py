"""Mail the local stack has sent: SES on moto keeps it, and moto's data API shows it.

`python -m devstack.mail` (or `make mail`) prints it; the gateway shows it at /_local/mail.
"""

from __future__ import annotations

import html
import json
import sys
import urllib.error
import urllib.request
from dataclasses import asdict, dataclass
from email import message_from_string
from typing import Any

from devstack import state

FETCH_TIMEOUT_SECONDS = 5


@dataclass(frozen=True)
class SentMail:
    message_id: str
    source: str
    destinations: list[str]
    subject: str
    body: str


def _simple(message: dict[str, Any]) -> SentMail:
    # SendEmail keeps {"ToAddresses": [...], "CcAddresses": [...], "BccAddresses": [...]}.
    destinations = [address for group in message["destinations"].values() for address in group]
    return SentMail(
        message_id=message["id"],
        source=message["source"],
        destinations=destinations,
        subject=message["subject"],
        body=message["body"],
    )


def _raw(message: dict[str, Any]) -> SentMail:
    return SentMail(
        message_id=message["id"],
        source=message["source"],
        destinations=list(message["destinations"]),
        subject=str(message_from_string(message["raw_data"]).get("Subject", "")),
        body=message["raw_data"],
    )


def sent_mail(aws_endpoint: str) -> list[SentMail]:
    url = f"{aws_endpoint}/moto-api/data.json"
    with urllib.request.urlopen(url, timeout=FETCH_TIMEOUT_SECONDS) as response:  # noqa: S310
        ses = json.loads(response.read()).get("ses", {})
    return [_simple(message) for message in ses.get("Message", [])] + [
        _raw(message) for message in ses.get("RawMessage", [])
    ]


def as_json(messages: list[SentMail]) -> str:
    return json.dumps({"messages": [asdict(message) for message in messages]}, indent=2)


def as_html(messages: list[SentMail]) -> str:
    rows = "".join(
        "<tr><td>{}</td><td>{}</td><td>{}</td><td><pre>{}</pre></td></tr>".format(
            *map(html.escape, (m.source, ", ".join(m.destinations), m.subject, m.body))
        )
        for m in messages
    )
    return (
        "<!doctype html><meta charset='utf-8'><title>Local mail</title>"
        f"<h1>Sent mail ({len(messages)})</h1>"
        "<table border='1' cellpadding='4'><tr><th>From</th><th>To</th><th>Subject</th>"
        f"<th>Body</th></tr>{rows}</table>"
    )


def as_text(messages: list[SentMail]) -> str:
    if not messages:
        return "No mail sent yet."
    return "\n\n".join(
        f"From: {m.source}\nTo: {', '.join(m.destinations)}\nSubject: {m.subject}\n\n{m.body}"
        for m in messages
    )


def main() -> int:
    path = state.state_file()
    try:
        document = state.read(path)
    except FileNotFoundError:
        print(f"The local stack is not running ({path} is missing): start it with make dev.")
        return 1
    endpoint = document["aws"]["endpointUrl"]
    try:
        messages = sent_mail(endpoint)
    except urllib.error.URLError as error:
        print(f"Cannot reach the local stack's AWS at {endpoint} ({error.reason}): is it running?")
        return 1
    print(as_text(messages))
    return 0


if __name__ == "__main__":
    sys.exit(main())
