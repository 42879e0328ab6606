"""Real-world sender display names, from the sender route through the send route to the
SendEmail call: a name with a comma, an at sign, a semicolon, an apostrophe, accents, CJK or
emoji is sent (SENT), SES gets an ASCII From (quoted, or RFC 2047 encoded words) that decodes
back to the profile's name, and the API shows the From as the contract does."""

from __future__ import annotations

from email.header import decode_header, make_header
from email.utils import parseaddr

import pytest

from tenx_email.message_models import MessageStatus
from tenx_email.roles import Role
from tests.events import invoke
from tests.integration import delivery_support as support
from tests.integration.conftest import MEMBERS
from tests.integration.delivery_support import SesSpy, receive, run_delivery

ses = support.ses
OPERATOR = MEMBERS[Role.OPERATOR]
ACME = {"handle": "acme"}
SENDER_ID = "sender_named"

NAMES = {
    "comma": ("Acme, Inc.", '"Acme, Inc." <hello@example.com>'),
    "at-sign": ("Acme @ Home", '"Acme @ Home" <hello@example.com>'),
    "semicolon": ("Sales; Support", '"Sales; Support" <hello@example.com>'),
    "apostrophe": ("O'Brien's Bakery", "O'Brien's Bakery <hello@example.com>"),
    "typographic-quotes": ("“Acme” Labs", "“Acme” Labs <hello@example.com>"),
    "accents": ("Café Düsseldorf", "Café Düsseldorf <hello@example.com>"),
    "cjk": ("株式会社アクメ", "株式会社アクメ <hello@example.com>"),
    "emoji": ("Rocket Launch 🚀", "Rocket Launch 🚀 <hello@example.com>"),
    "accents-and-comma": ("Müller, Söhne & Co.", '"Müller, Söhne & Co." <hello@example.com>'),
    "longest-non-ascii": ("é" * 100, f"{'é' * 100} <hello@example.com>"),
}


def decoded(header: str) -> tuple[str, str]:
    """The display name and address a reader's mail client shows for a From header: the
    address structure is parsed first, then the name's encoded words are decoded (a comma
    inside an encoded word is part of the name)."""
    name, address = parseaddr(header)
    return str(make_header(decode_header(name))), address


@pytest.mark.parametrize(("name", "shown"), NAMES.values(), ids=NAMES.keys())
def test_a_sender_name_with_specials_or_non_ascii_is_sent_as_the_profile_names_it(
    ses: SesSpy, delivery_queue: str, name: str, shown: str
) -> None:
    # Given a sender profile with that display name
    profile = {
        "domain": "example.com",
        "localPart": "hello",
        "displayName": name,
        "purposes": ["TRANSACTIONAL_API"],
    }
    path = {**ACME, "senderId": SENDER_ID}
    status, body = invoke("put_sender", path, sub=OPERATOR, body=profile)
    assert (status, body["sender"]["displayName"]) == (200, name)

    # When a message is sent from it and delivered
    status, body = invoke(
        "send_message",
        ACME,
        sub=OPERATOR,
        body={
            "senderId": SENDER_ID,
            "to": ["buyer+orders@example.org"],
            "purpose": "TRANSACTIONAL_API",
            "consentAttestation": True,
            "templateId": support.TEMPLATE_ID,
            "variables": {"firstName": "Asha"},
        },
    )
    assert status == 202, body
    # Then the API shows the From as the contract does, quoted only where RFC 5322 needs it
    assert body["message"]["fromEmail"] == shown
    message_id = body["message"]["messageId"]
    assert run_delivery(receive(delivery_queue, 1, wait_seconds=3)) == []

    # And SES got one ASCII From that decodes back to the profile's name and address
    (call,) = ses.calls
    from_header = call["FromEmailAddress"]
    assert from_header.isascii()
    assert "\r" not in from_header
    assert "\n" not in from_header
    assert decoded(from_header) == (name, "hello@example.com")
    # And every RFC 2047 encoded word stays within the 75 characters the RFC allows
    assert all(len(word) <= 75 for word in from_header.split() if word.startswith("=?"))
    # And the message was sent, not denied
    status, body = invoke("get_message", {**ACME, "messageId": message_id}, sub=OPERATOR)
    assert status == 200
    assert body["message"]["status"] == MessageStatus.SENT.value
    assert body["message"]["fromEmail"] == shown
