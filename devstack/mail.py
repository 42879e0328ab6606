"""Mail the local stack has sent, as a reader would see it.

SES on moto keeps what it accepted (read from moto's SES backend, which runs in this process:
its data API dumps every service's state and grows slow as a session sends); the local stack's
outbox adds
what moto drops of each request (see `outbox`). Mail sent to moto by some other client has
only what moto kept. Newest first.

`python -m devstack.mail` (or `make mail`) prints it; the gateway shows it at /_local/mail.
"""

from __future__ import annotations

import json
import sys
import urllib.error
import urllib.request
from dataclasses import asdict, dataclass, field, replace
from email import message_from_string
from email.errors import HeaderParseError
from email.header import decode_header, make_header
from email.utils import parseaddr
from typing import Any

from devstack import mailbox_simulator, state
from devstack.environment import ACCOUNT_ID, REGION
from devstack.outbox import Outbox, SentRequest
from tenx_email import clock

# `make mail` asks the running local stack for what it shows.
FETCH_TIMEOUT_SECONDS = 10


@dataclass(frozen=True)
class SentMail:
    message_id: str  # SES's
    source: str  # the From header as sent (RFC 2047 encoded words and all)
    destinations: list[str]
    subject: str
    body: str  # what moto kept: the HTML body when there is one, else the text
    from_display: str  # the From header as a mail reader shows it
    sent_at: str | None = None
    reply_to: list[str] = field(default_factory=list)
    html: str | None = None
    text: str | None = None
    headers: list[dict[str, str]] = field(default_factory=list)  # the custom ones
    tags: dict[str, str] = field(default_factory=dict)
    # What the mailbox simulator does that no event shows (the out-of-office reply).
    simulator_notes: list[str] = field(default_factory=list)

    @property
    def timeline_ref(self) -> tuple[str, str] | None:
        """(handle, messageId) of our message, when the send's tags name it."""
        handle, message_id = self.tags.get("handle"), self.tags.get("messageId")
        return (handle, message_id) if handle and message_id else None


def readable_address(header: str) -> str:
    """An address header as a mail reader shows it: `Name <address>`, the name unquoted and
    its encoded words (`=?utf-8?q?Caf=C3=A9?=`) decoded; a header that does not parse or
    decode is shown as it is."""
    name, address = parseaddr(header)
    if not address:
        return header
    try:
        decoded = str(make_header(decode_header(name)))
    except (HeaderParseError, UnicodeDecodeError, LookupError):
        return header
    return f"{decoded} <{address}>" if decoded else address


def _notes(destinations: list[str]) -> list[str]:
    outcomes = (mailbox_simulator.outcome(address) for address in destinations)
    return [outcome.note for outcome in outcomes if outcome.note]


def _simple(message: dict[str, Any], sent: SentRequest | None) -> SentMail:
    # SendEmail keeps {"ToAddresses": [...], "CcAddresses": [...], "BccAddresses": [...]}.
    destinations = [address for group in message["destinations"].values() for address in group]
    kept = SentMail(
        message_id=message["id"],
        source=message["source"],
        destinations=destinations,
        subject=message["subject"],
        body=message["body"],
        from_display=readable_address(message["source"]),
        simulator_notes=_notes(destinations),
    )
    if sent is None:
        return kept
    params = sent.params
    simple = params.get("Content", {}).get("Simple", {})
    body = simple.get("Body", {})
    return replace(
        kept,
        sent_at=clock.iso(sent.sent_at),
        reply_to=list(params.get("ReplyToAddresses", [])),
        html=body.get("Html", {}).get("Data"),
        text=body.get("Text", {}).get("Data"),
        headers=[{"name": h["Name"], "value": h["Value"]} for h in simple.get("Headers", [])],
        tags={tag["Name"]: tag["Value"] for tag in params.get("EmailTags", [])},
    )


def _raw(message: dict[str, Any]) -> SentMail:
    parsed = message_from_string(message["raw_data"])
    destinations = list(message["destinations"])
    return SentMail(
        message_id=message["id"],
        source=message["source"],
        destinations=destinations,
        subject=str(parsed.get("Subject", "")),
        body=message["raw_data"],
        from_display=readable_address(message["source"]),
        simulator_notes=_notes(destinations),
    )


def sent_mail(outbox: Outbox) -> list[SentMail]:
    """Every mail SES on moto accepted (the local stack's account and region), newest first."""
    from moto.ses.models import RawMessage, ses_backends

    kept = list(ses_backends[ACCOUNT_ID][REGION].sent_messages)
    accepted = [
        _raw(vars(m)) if isinstance(m, RawMessage) else _simple(vars(m), outbox.get(m.id))
        for m in kept
    ]
    return accepted[::-1]  # moto lists them in the order it accepted them


def as_json(messages: list[SentMail]) -> str:
    return json.dumps({"messages": [asdict(message) for message in messages]}, indent=2)


def as_text(messages: list[dict[str, Any]]) -> str:
    """The viewer's JSON listing as plain text, for a terminal."""
    if not messages:
        return "No mail sent yet."
    return "\n\n".join(
        f"From: {m['from_display']}\nTo: {', '.join(m['destinations'])}\n"
        f"Subject: {m['subject']}\n\n{m['text'] or m['body']}"
        for m in messages
    )


def main() -> int:
    path = state.state_file()
    try:
        document = state.read(path)
    except FileNotFoundError:
        print(f"The local stack is not running ({path} is missing): start it with make dev.")
        return 1
    url = f"{document['apiBase']}/_local/mail?format=json"
    try:
        with urllib.request.urlopen(url, timeout=FETCH_TIMEOUT_SECONDS) as response:  # noqa: S310
            messages = json.loads(response.read())["messages"]
    except urllib.error.URLError as error:
        print(f"Cannot reach the local stack at {url} ({error.reason}): is it running?")
        return 1
    print(as_text(messages))
    return 0


if __name__ == "__main__":
    sys.exit(main())
