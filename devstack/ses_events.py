"""Local only: SES sending events for the feedback consumer.

SES on moto publishes no sending events. After each SendEmail that moto accepts, this puts
on the feedback queue the events SES would publish through the configuration set to the
default bus and the feedback rule would forward: Delivery for an ordinary mailbox, and for
the mailbox simulator's addresses what the simulator reports (a hard bounce, a delivery
then a complaint, a bounce from the account suppression list; see `mailbox_simulator`). So a
locally sent message goes on to DELIVERED, BOUNCED or COMPLAINED as it would in AWS. Nothing
like it runs in the deployed stack.
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from devstack import mailbox_simulator
from devstack.environment import ACCOUNT_ID, REGION
from tenx_email import clock
from tenx_email.resources import SES_EVENT_DETAIL_TYPES, SES_EVENT_SOURCE

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient

# Real reports come seconds after the send: each event is timestamped and made visible on
# the queue that long after, so SENT shows before DELIVERED locally too, and a complaint
# after the delivery it complains about.
DELIVERY_LAG = timedelta(seconds=2)
COMPLAINT_LAG = timedelta(seconds=4)
_REPORTING_MTA = "a48-30.smtp-out.amazonses.com"


def _envelope(
    event_type: str, at: datetime, mail: dict[str, Any], report: dict[str, Any]
) -> dict[str, Any]:
    """The EventBridge event around one SES event record (`report` is its own part)."""
    configuration_set = mail["tags"]["ses:configuration-set"][0]
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": SES_EVENT_DETAIL_TYPES[event_type],
        "source": SES_EVENT_SOURCE,
        "account": ACCOUNT_ID,
        "time": clock.iso(at),
        "region": REGION,
        "resources": [f"arn:aws:ses:{REGION}:{ACCOUNT_ID}:configuration-set/{configuration_set}"],
        "detail": {"eventType": event_type, "mail": mail, **report},
    }


def _mail(params: dict[str, Any], ses_message_id: str, sent: datetime) -> dict[str, Any]:
    """The `mail` object every event carries: the send as SES saw it, with its tags."""
    tags = {tag["Name"]: [tag["Value"]] for tag in params.get("EmailTags", [])}
    return {
        "timestamp": clock.iso(sent),
        "source": params["FromEmailAddress"],
        "sendingAccountId": ACCOUNT_ID,
        "messageId": ses_message_id,
        "destination": list(params["Destination"]["ToAddresses"]),
        "headersTruncated": False,
        "tags": {"ses:configuration-set": [params["ConfigurationSetName"]], **tags},
    }


def _delivery(mail: dict[str, Any], at: datetime) -> dict[str, Any]:
    return _envelope(
        "Delivery",
        at,
        mail,
        {
            "delivery": {
                "timestamp": clock.iso(at),
                "processingTimeMillis": int(DELIVERY_LAG.total_seconds() * 1000),
                "recipients": mail["destination"],
                "smtpResponse": "250 2.6.0 Message received",
                "reportingMTA": _REPORTING_MTA,
            }
        },
    )


def _bounce(mail: dict[str, Any], at: datetime, bounce: mailbox_simulator.Bounce) -> dict[str, Any]:
    return _envelope(
        "Bounce",
        at,
        mail,
        {
            "bounce": {
                "feedbackId": str(uuid.uuid4()),
                "bounceType": bounce.bounce_type,
                "bounceSubType": bounce.bounce_sub_type,
                "bouncedRecipients": [
                    {
                        "emailAddress": address,
                        "action": "failed",
                        "status": bounce.status,
                        "diagnosticCode": bounce.diagnostic_code,
                    }
                    for address in mail["destination"]
                ],
                "timestamp": clock.iso(at),
                "reportingMTA": bounce.reporting_mta,
            }
        },
    )


def _complaint(mail: dict[str, Any], at: datetime) -> dict[str, Any]:
    return _envelope(
        "Complaint",
        at,
        mail,
        {
            "complaint": {
                "feedbackId": str(uuid.uuid4()),
                "complaintSubType": None,
                "complainedRecipients": [{"emailAddress": a} for a in mail["destination"]],
                "timestamp": clock.iso(at),
                "userAgent": "Amazon SES Mailbox Simulator",
                "complaintFeedbackType": "abuse",
                "arrivalDate": clock.iso(at),
            }
        },
    )


def delivery_event(params: dict[str, Any], ses_message_id: str) -> dict[str, Any]:
    """The EventBridge event SES publishes when it delivers a SendEmail of one recipient
    (`make bench` feeds these to the feedback Lambda directly)."""
    sent = clock.now()
    return _delivery(_mail(params, ses_message_id, sent), sent + DELIVERY_LAG)


def sending_events(
    params: dict[str, Any], ses_message_id: str
) -> list[tuple[timedelta, dict[str, Any]]]:
    """The events SES publishes for a SendEmail of one recipient, each with how long after
    the send it comes."""
    sent = clock.now()
    mail = _mail(params, ses_message_id, sent)
    simulated = mailbox_simulator.outcome(mail["destination"][0])
    events = []
    if simulated.delivered:
        events.append((DELIVERY_LAG, _delivery(mail, sent + DELIVERY_LAG)))
    if simulated.bounce is not None:
        events.append((DELIVERY_LAG, _bounce(mail, sent + DELIVERY_LAG, simulated.bounce)))
    if simulated.complained:
        events.append((COMPLAINT_LAG, _complaint(mail, sent + COMPLAINT_LAG)))
    return events


class LocalSesEvents:
    """Puts a send's events on the feedback queue, each visible when SES would report it."""

    def __init__(self, sqs: SQSClient, feedback_queue_url: str) -> None:
        self._sqs = sqs
        self._queue_url = feedback_queue_url

    def publish(self, params: dict[str, Any], ses_message_id: str) -> None:
        if "ConfigurationSetName" not in params:
            return  # SES publishes events only through a configuration set
        for lag, event in sending_events(params, ses_message_id):
            self._sqs.send_message(
                QueueUrl=self._queue_url,
                MessageBody=json.dumps(event),
                DelaySeconds=int(lag.total_seconds()),
            )
