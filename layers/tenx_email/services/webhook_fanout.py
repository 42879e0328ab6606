"""The webhook fan-out: the table's stream -> one delivery per event and subscribed endpoint.

It sees each message's new timeline events (as the event projection does, from the change's
old and new images) and each rule run whose outcome the change set or moved (MESSAGE_CREATED
written over SKIPPED). For every enabled endpoint of the event's handle that subscribes to
its type, it queues a job for the sender carrying the delivery whole (its payload as it will
be sent); nothing is written to the table here (the sender stores each delivery with its
first attempt), and nothing here calls an endpoint, so no endpoint can slow the stream.

A batch is fanned out whole or not at all (any failure raises; Lambda retries it as it was).
A delivery's id derives from its event, so a retried or duplicated batch queues the same
jobs again: the sender finds the delivery's log and sends what is still to send (a copy
attempted at the same moment as the first is recorded once; docs/webhooks.md).

Order: deliveries are queued in the stream's order, which per message is its events'
order; retries and the queue itself may reorder them (docs/api.md, "Webhook deliveries").
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import (
    DynamoDBRecord,
    DynamoDBRecordEventName,
)
from pydantic import ValidationError

from tenx_email import keys, webhook_payloads
from tenx_email.adapters import queues
from tenx_email.dal import webhooks as endpoints_store
from tenx_email.dal.campaign_items import RuleRunItem
from tenx_email.dal.message_items import MessageItem
from tenx_email.observability import logger, metrics
from tenx_email.services.projection import message_change
from tenx_email.settings import webhook_settings
from tenx_email.webhook_payloads import Occurrence
from tenx_email.webhooks import WebhookEndpoint


class WebhookQueueRefused(Exception):
    """SQS did not take some deliveries: the batch is retried."""


@dataclass(frozen=True)
class FannedOut:
    occurrences: int
    queued: int


def occurrences_of(record: DynamoDBRecord) -> list[Occurrence]:
    """What one change of a message or rule run tells the handle's endpoints."""
    change = record.dynamodb
    if record.event_name is DynamoDBRecordEventName.REMOVE or change is None:
        return []
    sort_key = str((change.keys or {}).get(keys.SK, ""))
    if sort_key.startswith(keys.MESSAGE_PREFIX):
        message = MessageItem.from_item(change.new_image).to_domain()
        return [webhook_payloads.of_event(e, message) for e in message_change(record).events]
    run = RuleRunItem.from_item(change.new_image).to_domain()
    before = (change.old_image or {}).get("outcome")
    return [] if before == run.outcome.value else [webhook_payloads.of_run(run)]


def fan_out(records: Sequence[DynamoDBRecord]) -> FannedOut:
    found: list[Occurrence] = []
    for record in records:
        try:
            found += occurrences_of(record)
        except ValidationError:
            # Not a message or run as we store them: every retry would fail the same way and
            # hold back the shard, so it is left out, loudly.
            logger.error("change not fanned out to webhooks")
            metrics.add_metric(name="WebhookChangesSkipped", unit=MetricUnit.Count, value=1)
    endpoints: dict[str, list[WebhookEndpoint]] = {}
    to_queue: dict[str, str] = {}
    for occurrence in found:
        if occurrence.handle not in endpoints:
            endpoints[occurrence.handle] = endpoints_store.endpoints(occurrence.handle)
        for endpoint in endpoints[occurrence.handle]:
            if endpoint.enabled and endpoint.subscribes(occurrence.event_type):
                to_queue[f"{endpoint.webhook_id}|{occurrence.delivery_id}"] = (
                    webhook_payloads.first_sending(occurrence, endpoint.webhook_id).body()
                )
    if to_queue:
        refused = queues.send_all(webhook_settings().webhook_queue_url, to_queue)
        if refused:
            raise WebhookQueueRefused(f"{len(refused)} webhook deliveries were not queued")
    metrics.add_metric(name="WebhookDeliveriesQueued", unit=MetricUnit.Count, value=len(to_queue))
    return FannedOut(occurrences=len(found), queued=len(to_queue))
