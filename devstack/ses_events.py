"""Local only: SES sending events for the feedback consumer.

SES on moto publishes no sending events. After each SendEmail that moto accepts, this puts
on the feedback queue the Delivery event that SES would publish through the configuration set
to the default bus and the feedback rule would forward, so a locally sent message goes on to
DELIVERED as it would in AWS. Nothing like it runs in the deployed stack.
"""

from __future__ import annotations

import json
import uuid
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import boto3

from devstack.environment import ACCOUNT_ID, REGION
from tenx_email import clock
from tenx_email.resources import SES_EVENT_DETAIL_TYPES, SES_EVENT_SOURCE

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient

_PARAMS = "local_ses_send_params"
# Real deliveries are reported seconds after the send: this one is timestamped and made
# visible on the queue that long after, so SENT shows before DELIVERED locally too.
DELIVERY_LAG = timedelta(seconds=2)
_BEFORE = "before-parameter-build.sesv2.SendEmail"
_AFTER = "after-call.sesv2.SendEmail"


def delivery_event(params: dict[str, Any], ses_message_id: str) -> dict[str, Any]:
    """The EventBridge event SES publishes when it delivers a SendEmail of one recipient."""
    sent = clock.now()
    delivered = clock.iso(sent + DELIVERY_LAG)
    recipients = list(params["Destination"]["ToAddresses"])
    configuration_set = params["ConfigurationSetName"]
    tags = {tag["Name"]: [tag["Value"]] for tag in params.get("EmailTags", [])}
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": SES_EVENT_DETAIL_TYPES["Delivery"],
        "source": SES_EVENT_SOURCE,
        "account": ACCOUNT_ID,
        "time": delivered,
        "region": REGION,
        "resources": [f"arn:aws:ses:{REGION}:{ACCOUNT_ID}:configuration-set/{configuration_set}"],
        "detail": {
            "eventType": "Delivery",
            "mail": {
                "timestamp": clock.iso(sent),
                "source": params["FromEmailAddress"],
                "sendingAccountId": ACCOUNT_ID,
                "messageId": ses_message_id,
                "destination": recipients,
                "tags": {"ses:configuration-set": [configuration_set], **tags},
            },
            "delivery": {
                "timestamp": delivered,
                "recipients": recipients,
                "smtpResponse": "250 accepted by the local stack",
            },
        },
    }


class LocalSesEvents:
    """Watches SendEmail calls made through boto3's default session (the adapter's client)."""

    def __init__(self, sqs: SQSClient, feedback_queue_url: str) -> None:
        self._sqs = sqs
        self._queue_url = feedback_queue_url

    def _remember(self, params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        context[_PARAMS] = dict(params)

    def _publish(
        self, http_response: Any, parsed: dict[str, Any], context: dict[str, Any], **_: Any
    ) -> None:
        params = context.get(_PARAMS)
        if http_response.status_code >= 300 or not params or "ConfigurationSetName" not in params:
            return
        event = delivery_event(params, parsed["MessageId"])
        self._sqs.send_message(
            QueueUrl=self._queue_url,
            MessageBody=json.dumps(event),
            DelaySeconds=int(DELIVERY_LAG.total_seconds()),
        )

    def install(self) -> None:
        """Applies to SES clients created from now on (the adapter creates its client lazily)."""
        events = _default_session().events
        events.register(_BEFORE, self._remember)
        events.register(_AFTER, self._publish)

    def uninstall(self) -> None:
        events = _default_session().events
        events.unregister(_BEFORE, self._remember)
        events.unregister(_AFTER, self._publish)


def _default_session() -> boto3.Session:
    if boto3.DEFAULT_SESSION is None:
        boto3.setup_default_session()
    assert boto3.DEFAULT_SESSION is not None
    return boto3.DEFAULT_SESSION
