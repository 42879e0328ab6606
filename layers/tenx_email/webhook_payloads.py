"""What a webhook delivery says: `{"type", "timestamp", "data"}` (the Standard Webhooks
payload shape), built from a timeline event or a rule run, and the webhook queue's jobs that
carry them; no I/O here. docs/api.md shows each type's `data`, and the OpenAPI document's
webhooks section its schema."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from tenx_email import clock, ids, webhook_signing
from tenx_email.campaign_models import RuleRun
from tenx_email.message_models import DeliveryEvent, Message
from tenx_email.webhooks import (
    DELIVERY_ID,
    TEST_EVENT_TYPE,
    WEBHOOK_ID,
    DeliveryStatus,
    WebhookDelivery,
)


@dataclass(frozen=True)
class Occurrence:
    """Something a handle's endpoints may be told: its type, when, its delivery id (derived
    from what happened, so a retried stream batch derives it again) and its payload."""

    handle: str
    event_type: str
    at: datetime
    delivery_id: str
    body: str


def _body(event_type: str, at: datetime, data: dict[str, Any]) -> str:
    return webhook_signing.body_of(
        {
            "type": event_type,
            "timestamp": clock.iso(at),
            "data": {key: value for key, value in data.items() if value is not None},
        }
    )


def _delivery_id(at: datetime, seed: str) -> str:
    return f"whd_{ids.ulid(at, seed=seed).lower()}"


def of_event(event: DeliveryEvent, message: Message | None) -> Occurrence:
    """A message's timeline event; `message` (its item after the change) gives SES's id and
    what campaign email it is (the rule or the sequence step that made it)."""
    ses_message_id = None
    made_by: dict[str, Any] = {}
    if message is not None:
        ses_message_id = next(
            (r.ses_message_id for r in message.recipients if r.email == event.recipient), None
        )
        made_by = _made_by(message)
    data = {
        "handle": event.handle,
        "messageId": event.message_id,
        "eventId": event.event_id,
        "recipient": event.recipient,
        "purpose": event.purpose.value,
        "sesMessageId": ses_message_id,
        "detail": event.detail,
        "occurredAt": clock.iso(event.occurred_at),
        "testMode": True if event.test_mode else None,
        **made_by,
    }
    seed = f"event|{event.handle}|{event.message_id}|{event.event_id}"
    return Occurrence(
        handle=event.handle,
        event_type=event.type.value,
        at=event.occurred_at,
        delivery_id=_delivery_id(event.occurred_at, seed),
        body=_body(event.type.value, event.occurred_at, data),
    )


def _made_by(message: Message) -> dict[str, Any]:
    """A campaign message's campaign, and its rule or its sequence step (as the message detail
    names them); nothing for a direct send."""
    sequence = None
    if message.sequence_id is not None:
        sequence = {
            "sequenceId": message.sequence_id,
            "version": message.sequence_version,
            "step": message.sequence_step,
        }
    return {
        "campaignId": message.campaign_id,
        "ruleId": message.rule_id,
        "ruleVersion": message.rule_version,
        "sequence": sequence,
    }


def of_run(run: RuleRun) -> Occurrence:
    """A rule's outcome for a campaign event (SCHEDULED, MESSAGE_CREATED, SKIPPED)."""
    data = {
        "handle": run.handle,
        "campaignId": run.campaign_id,
        "ruleId": run.rule_id,
        "ruleVersion": run.rule_version,
        "campaignEventId": run.event_id,
        "messageId": run.message_id,
        "reason": run.reason,
        "occurredAt": clock.iso(run.at),
    }
    seed = f"run|{run.handle}|{run.rule_id}|{run.event_id}|{run.outcome.value}"
    return Occurrence(
        handle=run.handle,
        event_type=run.outcome.value,
        at=run.at,
        delivery_id=_delivery_id(run.at, seed),
        body=_body(run.outcome.value, run.at, data),
    )


def webhook_test(handle: str, webhook_id: str, at: datetime) -> Occurrence:
    """What POST .../webhooks/{webhookId}/test sends: a signed event of its own type."""
    data = {"handle": handle, "webhookId": webhook_id, "occurredAt": clock.iso(at)}
    return Occurrence(
        handle=handle,
        event_type=TEST_EVENT_TYPE,
        at=at,
        delivery_id=_delivery_id(at, f"test|{handle}|{webhook_id}|{ids.ulid(at)}"),
        body=_body(TEST_EVENT_TYPE, at, data),
    )


class DeliveryJob(BaseModel):
    """The webhook queue's message: one sending of a delivery, whole. The sender stores the
    delivery with its first attempt's outcome (nothing is written before), so the job carries
    what the log will hold; `sending` and `attemptsBefore` say which sending it is (0 and 0,
    or a replay's: the stored delivery's next sending, from the attempts its log held)."""

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True, defer_build=True)

    handle: str = Field(pattern=ids.HANDLE_PATTERN)
    webhook_id: str = Field(alias="webhookId", pattern=WEBHOOK_ID.pattern)
    delivery_id: str = Field(alias="deliveryId", pattern=DELIVERY_ID.pattern)
    event_type: str = Field(alias="eventType", min_length=1, max_length=40)
    created_at: AwareDatetime = Field(alias="createdAt")
    payload: str = Field(min_length=2)
    sending: int = Field(default=0, ge=0)
    attempts_before: int = Field(alias="attemptsBefore", default=0, ge=0)

    def delivery(self) -> WebhookDelivery:
        """The delivery as it stands before this sending's first attempt."""
        return WebhookDelivery(
            handle=self.handle,
            webhook_id=self.webhook_id,
            delivery_id=self.delivery_id,
            event_type=self.event_type,
            payload=self.payload,
            status=DeliveryStatus.PENDING,
            created_at=self.created_at,
            sending=self.sending,
            attempts_before=self.attempts_before,
        )

    def body(self) -> str:
        return self.model_dump_json(by_alias=True)


def first_sending(occurrence: Occurrence, webhook_id: str) -> DeliveryJob:
    """The job of an occurrence's own delivery to one endpoint."""
    return DeliveryJob(
        handle=occurrence.handle,
        webhook_id=webhook_id,
        delivery_id=occurrence.delivery_id,
        event_type=occurrence.event_type,
        created_at=occurrence.at,
        payload=occurrence.body,
    )


def this_sending(delivery: WebhookDelivery) -> DeliveryJob:
    """The job of the sending a stored delivery is in (what its record carries)."""
    return DeliveryJob(
        handle=delivery.handle,
        webhook_id=delivery.webhook_id,
        delivery_id=delivery.delivery_id,
        event_type=delivery.event_type,
        created_at=delivery.created_at,
        payload=delivery.payload,
        sending=delivery.sending,
        attempts_before=delivery.attempts_before,
    )


def next_sending(delivery: WebhookDelivery) -> DeliveryJob:
    """The job that sends a stored delivery again (a replay), on a schedule of its own."""
    return this_sending(
        delivery.model_copy(
            update={"sending": delivery.sending + 1, "attempts_before": len(delivery.attempts)}
        )
    )
