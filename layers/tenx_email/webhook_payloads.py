"""What a webhook delivery says: `{"type", "timestamp", "data"}` (the Standard Webhooks
payload shape), built from a timeline event or a rule run; no I/O here. docs/api.md shows
each type's `data`, and the OpenAPI document's webhooks section its schema."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tenx_email import clock, ids, webhook_signing
from tenx_email.models import DeliveryEvent, Message, RuleRun
from tenx_email.webhooks import TEST_EVENT_TYPE


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
    """A message's timeline event; `message` (its item after the change) gives SES's id."""
    ses_message_id = None
    if message is not None:
        ses_message_id = next(
            (r.ses_message_id for r in message.recipients if r.email == event.recipient), None
        )
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
    }
    seed = f"event|{event.handle}|{event.message_id}|{event.event_id}"
    return Occurrence(
        handle=event.handle,
        event_type=event.type.value,
        at=event.occurred_at,
        delivery_id=_delivery_id(event.occurred_at, seed),
        body=_body(event.type.value, event.occurred_at, data),
    )


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


def job_body(handle: str, webhook_id: str, delivery_id: str) -> str:
    """The webhook queue's message: which delivery the sender attempts."""
    return json.dumps({"handle": handle, "webhookId": webhook_id, "deliveryId": delivery_id})
