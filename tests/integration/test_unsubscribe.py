"""One-click unsubscribe on moto: the List-Unsubscribe headers delivery sends, the public
routes a link leads to, and what an unsubscribe then stops (campaign mail) and lets through
(transactional mail)."""

from __future__ import annotations

import base64
import re
from datetime import timedelta
from typing import Any

import pytest

from functions import unsubscribe as one_click_function
from functions import unsubscribe_page as page_function
from tenx_email import clock, keys, unsubscribe_tokens
from tenx_email.adapters import token_keys
from tenx_email.dal import suppressions as suppression_store
from tenx_email.dal.message_items import MessageItem
from tenx_email.dal.table import table
from tenx_email.message_models import EventType, Message, MessageStatus
from tenx_email.models import Purpose
from tenx_email.roles import Role
from tenx_email.sending_models import Suppression, SuppressionSource
from tenx_email.services import templates
from tenx_email.template_models import TemplateContent
from tests.conftest import PUBLIC_API_URL
from tests.events import FakeLambdaContext, invoke
from tests.integration import delivery_support as support
from tests.integration import test_security_logs as log_support
from tests.integration.conftest import MEMBERS
from tests.integration.delivery_support import (
    SENDER_ID,
    TEMPLATE_ID,
    SesSpy,
    enqueue,
    events_of,
    job,
    operator_access,
    reconfigure_sender,
    run_delivery,
    stored,
)

ses = support.ses
queue = support.queue
captured = log_support.captured
OPERATOR = MEMBERS[Role.OPERATOR]
LINK = re.compile(rf"<({re.escape(PUBLIC_API_URL)}/v2/unsubscribe/([A-Za-z0-9_-]+))>")


@pytest.fixture(autouse=True)
def campaign_sender(ses: SesSpy) -> None:
    """The delivery tests' sender, allowed campaign mail too."""
    reconfigure_sender(
        Purpose.TRANSACTIONAL_API,
        Purpose.PRODUCT_NOTIFICATION,
        display_name="Café Düsseldorf, Inc.",
    )


def _queue(*emails: str, purpose: Purpose, list_unsubscribe: bool, **changes: Any) -> Message:
    message = support.queue_message(*emails).model_copy(
        update={
            "purpose": purpose,
            "list_unsubscribe": list_unsubscribe,
            "from_name": "Café Düsseldorf, Inc.",
            **changes,
        }
    )
    table().put_item(Item=MessageItem.from_domain(message).to_item())
    return message


def campaign(*emails: str, **changes: Any) -> Message:
    return _queue(*emails, purpose=Purpose.PRODUCT_NOTIFICATION, list_unsubscribe=True, **changes)


def transactional(*emails: str) -> Message:
    return _queue(*emails, purpose=Purpose.TRANSACTIONAL_API, list_unsubscribe=False)


def headers_of(call: dict[str, Any]) -> dict[str, str]:
    headers = call["Content"]["Simple"].get("Headers", [])
    return {header["Name"]: header["Value"] for header in headers}


def deliver(ses: SesSpy, queue: str, message: Message) -> list[dict[str, Any]]:
    before = len(ses.calls)
    assert run_delivery(enqueue(queue, job(message))) == []
    return ses.calls[before:]


def token_of(call: dict[str, Any]) -> str:
    found = LINK.fullmatch(headers_of(call)["List-Unsubscribe"])
    assert found is not None
    return found.group(2)


def public(route: Any, token: str, *, method: str, accept: str = "text/html", body: str = ""):
    """A request to a public route as API Gateway sends it: no authorizer."""
    event = {
        "resource": "/v2/unsubscribe/{token}",
        "path": f"/v2/unsubscribe/{token}",
        "httpMethod": method,
        "headers": {"Accept": accept, "Content-Type": "application/x-www-form-urlencoded"},
        "multiValueHeaders": {"Accept": [accept]},
        "queryStringParameters": None,
        "multiValueQueryStringParameters": None,
        "pathParameters": {"token": token},
        "stageVariables": None,
        "requestContext": {
            "resourcePath": "/v2/unsubscribe/{token}",
            "httpMethod": method,
            "path": f"/test/v2/unsubscribe/{token}",
            "stage": "test",
            "requestId": "req-1",
            "identity": {"sourceIp": "127.0.0.1"},
        },
        "body": body or None,
        "isBase64Encoded": False,
    }
    response = route.handler(event, FakeLambdaContext())
    headers = {
        name: values[-1] for name, values in (response.get("multiValueHeaders") or {}).items()
    }
    headers.update(response.get("headers") or {})
    return response["statusCode"], headers, response["body"]


def get_page(token: str, **options: Any) -> tuple[int, dict[str, str], str]:
    return public(page_function, token, method="GET", **options)


def one_click(token: str, **options: Any) -> tuple[int, dict[str, str], str]:
    return public(
        one_click_function, token, method="POST", body="List-Unsubscribe=One-Click", **options
    )


def campaign_suppression(email: str) -> Suppression:
    return Suppression(
        handle="acme",
        email=email,
        reason="unsubscribed",
        source=SuppressionSource.UNSUBSCRIBE,
        created_at=clock.now(),
        purposes=(Purpose.PRODUCT_NOTIFICATION,),
    )


def suppression(email: str) -> Suppression | None:
    return suppression_store.get("acme", email, consistent=True)


# --- the headers ---


def test_campaign_mail_carries_one_click_unsubscribe_with_a_link_per_recipient(
    ses: SesSpy, queue: str
) -> None:
    # Given campaign mail to two recipients
    message = campaign("a@example.org", "b@example.org")

    # When it is delivered
    calls = deliver(ses, queue, message)

    # Then each SendEmail carries RFC 8058's two headers, with a link of its own
    assert len(calls) == 2
    for call in calls:
        headers = headers_of(call)
        assert headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        assert LINK.fullmatch(headers["List-Unsubscribe"])
    tokens = [token_of(call) for call in calls]
    assert tokens[0] != tokens[1]
    # And each token names its own recipient
    opened = [unsubscribe_tokens.read(token) for token in tokens]
    assert [(t.email, t.recipient_index) for t in opened if t] == [
        ("a@example.org", 0),
        ("b@example.org", 1),
    ]


def test_transactional_mail_carries_no_list_unsubscribe_by_default(ses: SesSpy, queue: str) -> None:
    (call,) = deliver(ses, queue, transactional("a@example.org"))

    assert "Headers" not in call["Content"]["Simple"]


def test_unsubscribe_url_in_a_template_renders_each_recipients_own_link(
    ses: SesSpy, queue: str
) -> None:
    # Given a template whose bodies place {{unsubscribeUrl}} (not a variable a send gives)
    template = templates.create_template(
        operator_access(),
        templates.TemplateDraft(
            template_id="tmpl_news",
            name="News",
            content=TemplateContent(
                subject="News for {{firstName}}",
                html='<a href="{{unsubscribeUrl}}">Unsubscribe</a>',
                text="Unsubscribe: {{ unsubscribeUrl }}",
            ),
        ),
    )
    assert template.active_variables == ("firstName",)
    message = campaign("a@example.org", "b@example.org", template_id="tmpl_news")

    # When it is delivered
    calls = deliver(ses, queue, message)

    # Then each body links to the page its List-Unsubscribe names
    for call in calls:
        link = LINK.fullmatch(headers_of(call)["List-Unsubscribe"])
        assert link is not None
        body = call["Content"]["Simple"]["Body"]
        assert body["Html"]["Data"] == f'<a href="{link.group(1)}">Unsubscribe</a>'
        assert body["Text"]["Data"] == f"Unsubscribe: {link.group(1)}"


def test_unsubscribe_url_is_refused_in_a_subject(ses: SesSpy) -> None:
    status, body = invoke(
        "create_template",
        {"handle": "acme"},
        sub=OPERATOR,
        body={
            "templateId": "tmpl_bad",
            "name": "Bad",
            "subject": "{{unsubscribeUrl}}",
            "text": "x",
        },
    )

    assert (status, body["error"]) == (400, "invalid_header_value")


# --- the page and the one-click POST ---


def test_the_page_describes_and_never_unsubscribes_by_itself(ses: SesSpy, queue: str) -> None:
    (call,) = deliver(ses, queue, message := campaign("reader+news@example.org"))

    # When a scanner or the recipient opens the link
    status, headers, page = get_page(token_of(call))

    # Then it is a page naming the sender, with a button posting back, and nothing changed
    assert status == 200
    assert headers["Content-Type"] == "text/html; charset=utf-8"
    assert headers["Referrer-Policy"] == "no-referrer"
    assert headers["Cache-Control"] == "no-store"
    assert "Café Düsseldorf, Inc." in page
    assert "reader+news@example.org" in page
    assert '<form method="post">' in page
    assert "<button" in page
    assert "<script" not in page
    assert suppression("reader+news@example.org") is None
    assert EventType.UNSUBSCRIBED.value not in [e["type"] for e in events_of(message)]


def test_one_click_twice_makes_one_campaign_suppression_and_one_event(
    ses: SesSpy, queue: str
) -> None:
    # Given a delivered campaign message
    (call,) = deliver(ses, queue, message := campaign("Reader@Example.org"))
    token = token_of(call)

    # When the mailbox provider posts the one-click request, twice
    first = one_click(token)
    second = one_click(token, accept="application/json")

    # Then both answer 200
    assert first[0] == 200
    assert "You are unsubscribed" in first[2]
    assert (second[0], second[2]) == (200, '{"unsubscribed":true}')
    # And one suppression stops the handle's campaign mail to the address
    found = suppression("reader@example.org")
    assert found is not None
    assert (found.source, found.purposes) == (
        SuppressionSource.UNSUBSCRIBE,
        (Purpose.PRODUCT_NOTIFICATION,),
    )
    # And the message's timeline has one UNSUBSCRIBED event; its status stays what it was
    unsubscribed = [e for e in events_of(message) if e["type"] == "UNSUBSCRIBED"]
    assert [e["recipient"] for e in unsubscribed] == ["Reader@Example.org"]
    assert stored(message).status is MessageStatus.SENT
    # And the page now says it is done
    assert "You are unsubscribed" in get_page(token)[2]


def test_an_unsubscribed_lead_gets_no_campaign_mail_but_still_transactional(
    ses: SesSpy, queue: str
) -> None:
    # Given a recipient who unsubscribed through a campaign message
    (call,) = deliver(ses, queue, campaign("lead@example.org"))
    assert one_click(token_of(call))[0] == 200

    # When the next campaign message and a transactional one are delivered
    next_campaign = campaign("lead@example.org")
    assert deliver(ses, queue, next_campaign) == []
    receipt = transactional("lead@example.org")
    sent = deliver(ses, queue, receipt)

    # Then the campaign message is DENIED as suppressed, and the receipt went
    assert stored(next_campaign).status is MessageStatus.DENIED
    assert stored(next_campaign).recipients[0].reason == "suppressed"
    assert [c["Destination"]["ToAddresses"] for c in sent] == [["lead@example.org"]]
    assert stored(receipt).status is MessageStatus.SENT


def test_a_direct_send_checks_the_suppressions_scope(
    ses: SesSpy, queue: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tenx_email.settings import delivery_settings

    monkeypatch.setenv("DELIVERY_QUEUE_URL", queue)
    delivery_settings.cache_clear()
    # Given an address suppressed for campaign mail only
    suppression_store.put(campaign_suppression("lead@example.org"))
    body = {
        "senderId": SENDER_ID,
        "to": ["lead@example.org"],
        "consentAttestation": True,
        "templateId": TEMPLATE_ID,
        "variables": {"firstName": "Asha"},
    }

    # Then campaign mail to it is refused, and transactional mail accepted
    refused = invoke(
        "send_message",
        {"handle": "acme"},
        sub=OPERATOR,
        body={**body, "purpose": "PRODUCT_NOTIFICATION"},
    )
    accepted = invoke(
        "send_message",
        {"handle": "acme"},
        sub=OPERATOR,
        body={**body, "purpose": "TRANSACTIONAL_API", "listUnsubscribe": True},
    )
    delivery_settings.cache_clear()

    assert (refused[0], refused[1]["error"]) == (409, "email_recipient_suppressed")
    assert accepted[0] == 202
    # And a direct send may ask for the headers (shown on the message)
    message_id = accepted[1]["message"]["messageId"]
    detail = invoke("get_message", {"handle": "acme", "messageId": message_id}, sub=OPERATOR)
    assert detail[1]["message"]["listUnsubscribe"] is True


def test_a_bounce_widens_an_unsubscribe_to_every_purpose(ses: SesSpy) -> None:
    scoped = campaign_suppression("lead@example.org")
    suppression_store.put(scoped)
    bounce = scoped.model_copy(
        update={"source": SuppressionSource.BOUNCE, "reason": "hard bounce", "purposes": None}
    )

    # When feedback suppresses the address for a hard bounce
    assert suppression_store.put_unless_suppressed_for_all(bounce)

    # Then it is suppressed for every purpose, and a manual one for all stays as it is
    assert suppression("lead@example.org") == bounce
    manual = bounce.model_copy(update={"source": SuppressionSource.MANUAL})
    suppression_store.put(manual)
    assert not suppression_store.put_unless_suppressed_for_all(bounce)
    assert suppression("lead@example.org") == manual


def test_the_suppression_routes_take_and_show_purposes(ses: SesSpy) -> None:
    path = {"handle": "acme", "email": "lead@example.org"}
    status, body = invoke(
        "put_suppression", path, sub=OPERATOR, body={"purposes": ["PRODUCT_NOTIFICATION"]}
    )
    assert status == 200
    assert body["suppression"]["purposes"] == ["PRODUCT_NOTIFICATION"]
    listed = invoke("list_suppressions", {"handle": "acme"}, sub=OPERATOR)[1]
    assert [s["purposes"] for s in listed["suppressions"]] == [["PRODUCT_NOTIFICATION"]]
    everything = invoke("put_suppression", path, sub=OPERATOR, body={})[1]
    assert everything["suppression"]["purposes"] is None
    assert invoke("put_suppression", path, sub=OPERATOR, body={"purposes": []})[0] == 400


# --- tokens that are not ours ---


def _altered(token: str) -> str:
    middle = len(token) // 2
    flipped = "A" if token[middle] != "A" else "B"
    return token[:middle] + flipped + token[middle + 1 :]


@pytest.mark.parametrize(
    ("make_token", "status"),
    [
        (_altered, 404),
        (lambda token: token[:-4], 404),
        (lambda token: "A" * len(token), 404),
        (lambda token: token + "%0A", 400),
        (lambda token: "x" * 2000, 400),
        (lambda token: "not a token!", 400),
    ],
    ids=["altered", "truncated", "forged", "line-break", "too-long", "other-characters"],
)
def test_a_token_that_is_not_ours_is_refused_and_changes_nothing(
    ses: SesSpy, queue: str, make_token: Any, status: int
) -> None:
    (call,) = deliver(ses, queue, message := campaign("lead@example.org"))
    token = make_token(token_of(call))

    for answer in (get_page(token), one_click(token)):
        assert answer[0] == status
        assert "text/html" in answer[1]["Content-Type"]
    json_answer = one_click(token, accept="application/json")
    assert json_answer[0] == status
    assert '"error":"unsubscribe_link_' in json_answer[2].replace(" ", "")
    assert suppression("lead@example.org") is None
    assert "UNSUBSCRIBED" not in [e["type"] for e in events_of(message)]


def test_a_token_past_its_lifetime_is_refused(
    ses: SesSpy, queue: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    (call,) = deliver(ses, queue, campaign("lead@example.org"))
    monkeypatch.setattr(clock, "_offset", unsubscribe_tokens.LINK_LIFETIME + timedelta(minutes=1))

    assert one_click(token_of(call))[0] == 404
    assert suppression("lead@example.org") is None


def test_a_link_outlives_one_key_rotation_but_not_two(ses: SesSpy, queue: str) -> None:
    (call,) = deliver(ses, queue, campaign("lead@example.org"))
    token = token_of(call)

    token_keys.rotate()
    assert get_page(token)[0] == 200
    token_keys.rotate()
    assert get_page(token)[0] == 404


def test_the_token_is_opaque(ses: SesSpy, queue: str) -> None:
    (call,) = deliver(ses, queue, campaign("lead@example.org"))
    token = token_of(call)

    # Then nothing of what it names can be read from it, even base64-decoded
    decoded = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    for secret in (b"lead@example.org", b"acme", b"msg_", b"PRODUCT_NOTIFICATION"):
        assert secret not in decoded
    assert keys.message("acme", "x")["PK"].encode() not in decoded


def test_neither_the_token_nor_the_address_is_logged(
    ses: SesSpy, queue: str, captured: log_support.Captured
) -> None:
    (call,) = deliver(ses, queue, campaign("secret.reader@example.org"))
    token = token_of(call)

    get_page(token)
    one_click(token)
    one_click(_altered(token))

    logged = captured.everything()
    assert "unsubscribed" in logged  # the service did log, by ids
    for secret in (token, _altered(token), "secret.reader@example.org"):
        assert secret not in logged
