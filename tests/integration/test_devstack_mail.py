"""The local mail viewer's data, on moto in server mode as the local stack runs it: what moto
keeps of each accepted send, plus what the stack's outbox kept of the request (the text body
beside the HTML one, Reply-To, custom headers, tags), newest first."""

from __future__ import annotations

import urllib.request
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto.server import ThreadedMotoServer

from devstack import mail
from devstack.local_ses import LocalSes
from tests.e2e.stack import free_ports


@pytest.fixture
def moto_endpoint() -> Iterator[str]:
    port, _ = free_ports()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    yield endpoint
    urllib.request.urlopen(urllib.request.Request(f"{endpoint}/moto-api/reset", method="POST"))
    server.stop()


@pytest.fixture
def local_ses() -> Iterator[LocalSes]:
    stand_in = LocalSes(events=None)
    stand_in.install()
    yield stand_in
    stand_in.uninstall()


def send(client: Any, subject: str, **content: Any) -> str:
    message_id: str = client.send_email(
        FromEmailAddress="=?utf-8?q?Caf=C3=A9?= <hello@example.com>",
        Destination={"ToAddresses": ["ooto+a@simulator.amazonses.com"]},
        ReplyToAddresses=["support@example.com"],
        Content={"Simple": {"Subject": {"Data": subject}, **content}},
        EmailTags=[{"Name": "handle", "Value": "acme"}, {"Name": "messageId", "Value": "msg_1"}],
    )["MessageId"]
    return message_id


def test_the_viewer_shows_what_the_send_carried_newest_first(
    moto_endpoint: str, local_ses: LocalSes
) -> None:
    # Given two sends through a client made after the stand-in was installed
    client = boto3.client("sesv2", endpoint_url=moto_endpoint, region_name="us-east-1")
    client.create_email_identity(EmailIdentity="example.com")
    first = send(client, "First", Body={"Text": {"Data": "only text"}})
    second = send(
        client,
        "Second",
        Body={"Html": {"Data": "<p>Hi</p>"}, "Text": {"Data": "Hi"}},
        Headers=[{"Name": "List-Unsubscribe", "Value": "<https://example.com/u/1>"}],
    )

    # When the viewer reads them
    newest, oldest = mail.sent_mail(local_ses.outbox)

    # Then the newest comes first, with everything the request carried
    assert (newest.message_id, oldest.message_id) == (second, first)
    assert (newest.html, newest.text, oldest.html, oldest.text) == (
        "<p>Hi</p>",
        "Hi",
        None,
        "only text",
    )
    assert newest.headers == [{"name": "List-Unsubscribe", "value": "<https://example.com/u/1>"}]
    assert newest.reply_to == ["support@example.com"]
    assert newest.from_display == "Café <hello@example.com>"
    assert newest.timeline_ref == ("acme", "msg_1")
    assert newest.sent_at is not None
    assert newest.simulator_notes == [mail.mailbox_simulator.OUTCOMES["ooto"].note]


def test_mail_sent_by_another_client_shows_what_moto_kept(
    moto_endpoint: str, local_ses: LocalSes
) -> None:
    # Given a send by a client made before the stand-in (so none of its hooks saw it)
    local_ses.uninstall()
    client = boto3.client("sesv2", endpoint_url=moto_endpoint, region_name="us-east-1")
    local_ses.install()
    client.create_email_identity(EmailIdentity="example.com")
    send(client, "Outside", Body={"Html": {"Data": "<p>kept</p>"}, "Text": {"Data": "lost"}})

    # Then the viewer has moto's part only
    (seen,) = mail.sent_mail(local_ses.outbox)
    assert (seen.subject, seen.body, seen.html, seen.text, seen.headers) == (
        "Outside",
        "<p>kept</p>",
        None,
        None,
        [],
    )
