"""No token, email body, variable value or recipient address in any log line.

One full flow runs with every log channel captured: the authorizer with a real token (and a
forged one), a direct send with variables, its delivery (SES is moto behind a spy), SES
feedback (a delivery, a hard bounce, and an event too malformed to apply), a campaign lead
captured and turned into a message by its rule, and requests refused along the way. Then the
secrets of that flow must appear nowhere: not in a caplog record (message, arguments, extra
attributes, exception text) and not in stdout or stderr, where Powertools' Logger writes its
JSON lines (its handler holds the sys.stdout of import time, so the test points it at the
captured stream for the duration).

Levels: the service's logger and every other logger at DEBUG, except the AWS SDK's and
moto's own wire traces (botocore, boto3, urllib3, s3transfer, moto, werkzeug), which log every
request's parameters at DEBUG by design; they stay at INFO, the level the stack gives every
function (infra: application_log_level_v2 = LOG_LEVEL = INFO). Powertools' own loggers are
pinned to INFO by tenx_email.observability: at DEBUG its resolver logs each route's parsed
body ("Calling API Route Handler: {...}"), recipients, variables and template content
included, which this test caught before the pin.
"""

from __future__ import annotations

import json
import logging
import sys
import traceback
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest

from functions import authorizer, feedback
from tenx_email.observability import logger
from tenx_email.resources import SES_EVENT_DETAIL_TYPES, SES_EVENT_SOURCE
from tests.events import FakeLambdaContext, invoke
from tests.integration import security_support as support
from tests.integration.security_support import (
    ACCOUNT,
    CONFIGURATION_SET,
    OPERATOR,
    REGION,
    World,
    run_deliveries,
    run_triggers,
    served_jwks,
)

world = support.world_fixture

SDK_LOGGERS = ("botocore", "boto3", "urllib3", "s3transfer", "moto", "werkzeug", "responses")
CANARY = "log-capture-canary-8c1f"

RECIPIENT = "secret.rcpt.4411@acme-rcpt.example"
BOUNCED = "secret.bounce.7310@acme-rcpt.example"
LEAD_EMAIL = "secret.lead.9902@acme-leads.example"
VARIABLE = "Zanzibar7731"
LEAD_NAME = "Quixotic Leadname"
LEAD_FIELD = "FieldSentinel3317"
BODY_HTML = "<p>BodySentinelHtml5521 {{firstName}}</p>"
BODY_TEXT = "BodySentinelText5521 {{firstName}} {{service}}"


@dataclass
class Captured:
    caplog: pytest.LogCaptureFixture
    capfd: pytest.CaptureFixture[str]
    streams: str = ""

    def read(self) -> None:
        out, err = self.capfd.readouterr()
        self.streams += out + err

    def records_text(self) -> list[str]:
        texts = []
        for record in self.caplog.records:
            parts = [record.getMessage(), str(vars(record))]
            if record.exc_info:
                parts.append("".join(traceback.format_exception(*record.exc_info)))
            if record.exc_text:
                parts.append(record.exc_text)
            texts.append(" ".join(parts))
        return texts

    def everything(self) -> str:
        self.read()
        return "\n".join([*self.records_text(), self.streams])


class CurrentStdout:
    """Writes to whatever sys.stdout is at the time (capfd swaps it per test phase)."""

    def write(self, text: str) -> int:
        return sys.stdout.write(text)

    def flush(self) -> None:
        sys.stdout.flush()


@pytest.fixture
def captured(
    caplog: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str]
) -> Iterator[Captured]:
    # (caplog.set_level also sets its handler's level, so the SDK's loggers are set directly.)
    sdk_levels = {name: logging.getLogger(name).level for name in SDK_LOGGERS}
    for name in SDK_LOGGERS:
        logging.getLogger(name).setLevel(logging.INFO)
    caplog.set_level(logging.DEBUG)
    level = logger.log_level
    handler = logger.registered_handler
    assert isinstance(handler, logging.StreamHandler)
    stream = handler.setStream(CurrentStdout())  # type: ignore[arg-type]
    logger.setLevel(logging.DEBUG)
    try:
        yield Captured(caplog, capfd)
    finally:
        logger.setLevel(level)
        for name, sdk_level in sdk_levels.items():
            logging.getLogger(name).setLevel(sdk_level)
        if stream is not None:
            handler.setStream(stream)


def ses_event(event_type: str, message_id: str, rcpt: int, email: str, **detail: Any) -> str:
    return json.dumps(
        {
            "version": "0",
            "id": str(uuid.uuid4()),
            "detail-type": SES_EVENT_DETAIL_TYPES[event_type],
            "source": SES_EVENT_SOURCE,
            "account": ACCOUNT,
            "time": "2026-06-12T08:00:05Z",
            "region": REGION,
            "resources": [],
            "detail": {
                "eventType": event_type,
                "mail": {
                    "messageId": "ses-id",
                    "destination": [email],
                    "tags": {
                        "ses:configuration-set": [CONFIGURATION_SET],
                        "handle": ["acme"],
                        "messageId": [message_id],
                        "rcpt": [str(rcpt)],
                    },
                },
                **detail,
            },
        }
    )


def run_feedback(*bodies: str) -> list[str]:
    records = [
        {
            "messageId": str(uuid.uuid4()),
            "receiptHandle": "handle",
            "body": body,
            "attributes": {"ApproximateReceiveCount": "1", "SentTimestamp": "0"},
            "messageAttributes": {},
            "md5OfBody": "",
            "eventSource": "aws:sqs",
            "eventSourceARN": f"arn:aws:sqs:{REGION}:{ACCOUNT}:tenx-email-test-feedback",
            "awsRegion": REGION,
        }
        for body in bodies
    ]
    response = feedback.handler({"Records": records}, support.Context())
    return [failure["itemIdentifier"] for failure in response["batchItemFailures"]]


def the_flow(world: World) -> set[str]:
    """Run everything; return the secrets it handled."""
    run_deliveries(world)  # the world's own queued messages, so that only the flow's follow
    secrets = {RECIPIENT, BOUNCED, LEAD_EMAIL, VARIABLE, LEAD_NAME, LEAD_FIELD}
    secrets |= {"BodySentinelHtml5521", "BodySentinelText5521", "Quixotic"}

    # The authorizer, with a real token and a forged one.
    with served_jwks() as jwks:
        method_arn = "arn:aws:execute-api:us-east-1:123456789012:abc/prod/GET/v2/x"
        token = jwks.idp.token("user_operator")
        forged = jwks.idp.token("user_operator", aud="another-api")
        for bearer in (token, forged, token + "x"):
            event = {"authorizationToken": f"Bearer {bearer}", "methodArn": method_arn}
            authorizer.handler(event, FakeLambdaContext())
        secrets |= {token, forged, *token.split("."), *forged.split(".")[1:]}

    # A template with recognizable bodies, then a direct send with a variable.
    template = {
        "templateId": "tmpl_acme_logs",
        "name": "Logs",
        "subject": "Hello {{firstName}}",
        "html": BODY_HTML,
        "text": BODY_TEXT,
    }
    assert invoke("create_template", {"handle": "acme"}, sub=OPERATOR, body=template)[0] == 201
    send = support.send_body(
        world.acme,
        to=[RECIPIENT, BOUNCED],
        templateId="tmpl_acme_logs",
        variables={"firstName": VARIABLE, "service": LEAD_FIELD},
        idempotencyKey="logs-flow-1",
    )
    status, accepted = invoke("send_message", {"handle": "acme"}, sub=OPERATOR, body=send)
    assert status == 202, accepted
    message_id = accepted["message"]["messageId"]

    # Delivery, then SES feedback: a delivery, a hard bounce, and junk quoting an address.
    calls_before = len(world.ses.calls)
    assert run_deliveries(world) == []
    sent = world.ses.calls[calls_before:]
    assert sorted(call["Destination"]["ToAddresses"][0] for call in sent) == sorted(
        [RECIPIENT, BOUNCED]
    )
    assert VARIABLE in sent[0]["Content"]["Simple"]["Body"]["Html"]["Data"]
    bounce = {"bounce": {"bounceType": "Permanent", "bounceSubType": "General"}}
    junk = json.dumps({"detail": {"mail": {"destination": [RECIPIENT]}, "eventType": 7}})
    failures = run_feedback(
        ses_event("Delivery", message_id, 0, RECIPIENT),
        ses_event("Bounce", message_id, 1, BOUNCED, **bounce),
        junk,
    )
    assert len(failures) == 1  # the junk one

    # A lead captured on the campaign: its rule makes a message, its sequence's first step
    # another, and both are delivered.
    campaign = {"handle": "acme", "campaignId": world.acme.campaign_id}
    lead = {"email": LEAD_EMAIL, "name": LEAD_NAME, "fields": {"service": LEAD_FIELD}}
    assert invoke("capture_lead", campaign, sub=OPERATOR, body=lead)[0] == 202
    assert run_triggers(world) == []
    calls_before = len(world.ses.calls)
    assert run_deliveries(world) == []
    assert [c["Destination"]["ToAddresses"][0] for c in world.ses.calls[calls_before:]] == [
        LEAD_EMAIL
    ] * 2

    # Refusals along the way.
    refusals = [
        support.send_body(world.acme, to=[BOUNCED], idempotencyKey="logs-flow-2"),  # suppressed
        support.send_body(world.acme, to=[f"{VARIABLE}@@bad"]),
        support.send_body(world.acme, variables={"firstName": f"{VARIABLE}\r\nBcc: x@y.io"}),
        support.send_body(world.acme, variables={"firstName": VARIABLE}, status=RECIPIENT),
    ]
    for body in refusals:
        assert invoke("send_message", {"handle": "acme"}, sub=OPERATOR, body=body)[0] in (400, 409)
    bad_lead = {"email": f"{LEAD_EMAIL}\r\n", "name": LEAD_NAME}
    assert invoke("capture_lead", campaign, sub=OPERATOR, body=bad_lead)[0] == 400
    boto3.client("sqs", region_name=REGION).send_message(
        QueueUrl=world.trigger_queue,
        MessageBody=json.dumps(
            {
                "detail-type": "LeadCaptured",
                "source": "tenx.campaigns",
                "id": "x",
                "time": "2026-06-12T08:00:00Z",
                "detail": {"handle": "acme", "campaignId": "cmp_welcome", "lead": bad_lead},
            }
        ),
    )
    assert len(run_triggers(world)) == 1
    return secrets


def test_a_full_flow_logs_no_token_body_variable_or_address(
    world: World, captured: Captured
) -> None:
    logger.debug("canary", extra={"canary": CANARY})
    logging.getLogger("tenx_email.test").debug(CANARY)
    secrets = the_flow(world)

    everything = captured.everything()
    # The controls: the capture saw the canary in both channels, and the flow's own lines.
    assert CANARY in captured.streams
    assert CANARY in "\n".join(captured.records_text())
    messages = {record.getMessage() for record in captured.caplog.records}
    assert {"token checked", "SES event applied", "request refused"} <= messages
    json_lines = [line for line in captured.streams.splitlines() if line.startswith('{"level"')]
    assert len(json_lines) >= 10

    leaked = {secret for secret in secrets if secret.lower() in everything.lower()}
    assert not leaked, [
        line for line in everything.splitlines() if any(s.lower() in line.lower() for s in leaked)
    ][:5]
