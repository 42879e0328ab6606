"""Local only: SES sending events for the feedback consumer.

SES on moto publishes no sending events. After each SendEmail that moto accepts
(`local_ses` calls it), this puts on the feedback queue the Delivery event that SES would
publish through the configuration set to the default bus and the feedback rule would
forward, so a locally sent message goes on to DELIVERED as it would in AWS. Nothing like it
runs in the deployed stack.
"""

from __future__ import annotations

import json
import uuid
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from devstack.environment import ACCOUNT_ID, REGION
from tenx_email import clock
from tenx_email.resources import SES_EVENT_DETAIL_TYPES, SES_EVENT_SOURCE

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient

# Real deliveries are reported seconds after the send: this one is timestamped and made
# visible on the queue that long after, so SENT shows before DELIVERED locally too.
DELIVERY_LAG = timedelta(seconds=2)


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
    """Puts a send's events on the feedback queue, each visible when SES would report it."""

    def __init__(self, sqs: SQSClient, feedback_queue_url: str) -> None:
        self._sqs = sqs
        self._queue_url = feedback_queue_url

    def publish(self, params: dict[str, Any], ses_message_id: str) -> None:
        if "ConfigurationSetName" not in params:
            return  # SES publishes events only through a configuration set
        self._sqs.send_message(
            QueueUrl=self._queue_url,
            MessageBody=json.dumps(delivery_event(params, ses_message_id)),
            DelaySeconds=int(DELIVERY_LAG.total_seconds()),
        )
