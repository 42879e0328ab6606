"""Publishing campaign events from the HTTP test routes: a lead capture (the lead is stored,
so that a conversion can name it later) or a conversion of a captured lead becomes a campaign
event on the trigger-jobs queue, for the trigger Lambda to run the campaign's rules on
(services/triggers.py). Kept apart from the trigger machinery, so that the two routes load
only what publishing needs."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timedelta
from typing import Any

from tenx_email import clock, ids
from tenx_email.adapters import queues
from tenx_email.api.leads import LeadSnapshot
from tenx_email.campaign_models import CampaignEvent, CampaignEventType, Lead
from tenx_email.dal import triggers as store
from tenx_email.errors import CampaignEventQueueUnavailable, IdempotencyKeyConflict, LeadNotFound
from tenx_email.models import HandleAccess
from tenx_email.services.campaigns import require_campaign
from tenx_email.settings import trigger_settings

# As a direct send's idempotency key (services/sending.py).
KEY_RETENTION = timedelta(hours=48)


def capture_lead(
    access: HandleAccess,
    campaign_id: str,
    snapshot: LeadSnapshot,
    idempotency_key: str | None = None,
) -> CampaignEvent:
    handle = access.handle.handle
    require_campaign(handle, campaign_id)
    now = clock.now()
    lead = snapshot.lead(default_id=f"lead_{ids.ulid(now).lower()}")
    request = {"type": "lead", "lead": snapshot.model_dump(mode="json", exclude_none=True)}
    event = _event(handle, campaign_id, CampaignEventType.LEAD_CAPTURED, lead, now)
    event = _first_with_key(handle, event, idempotency_key, request)
    store.put_lead(handle, campaign_id, event.lead, event.occurred_at)
    return _publish(event)


def record_conversion(
    access: HandleAccess, campaign_id: str, lead_id: str, idempotency_key: str | None = None
) -> CampaignEvent:
    handle = access.handle.handle
    require_campaign(handle, campaign_id)
    lead = store.get_lead(handle, campaign_id, lead_id)
    if lead is None:
        raise LeadNotFound(f"lead {lead_id} was not captured on campaign {campaign_id}")
    event = _event(handle, campaign_id, CampaignEventType.CONVERSION, lead, clock.now())
    request = {"type": "conversion", "leadId": lead_id}
    return _publish(_first_with_key(handle, event, idempotency_key, request))


def _event(
    handle: str, campaign_id: str, kind: CampaignEventType, lead: Lead, now: datetime
) -> CampaignEvent:
    return CampaignEvent(
        handle=handle,
        campaign_id=campaign_id,
        event_id=f"evt_{ids.ulid(now).lower()}",
        type=kind,
        lead=lead,
        occurred_at=now,
    )


def _first_with_key(
    handle: str, event: CampaignEvent, idempotency_key: str | None, request: dict[str, Any]
) -> CampaignEvent:
    """The event a request makes: with an Idempotency-Key, the one the key's first request
    made (its retry publishes it again, so the trigger, which makes one message per rule and
    event, makes none twice); a different request under the same key is refused."""
    if idempotency_key is None:
        return event
    request_hash = hashlib.sha256(json.dumps(request, sort_keys=True).encode()).hexdigest()
    expires_at = int((event.occurred_at + KEY_RETENTION).timestamp())
    first = store.put_event_key(handle, idempotency_key, event, request_hash, expires_at)
    if first is None:
        return event
    if first.request_hash != request_hash:
        raise IdempotencyKeyConflict(
            "this Idempotency-Key was used for a different request; use a new key"
        )
    return first.event


def _publish(event: CampaignEvent) -> CampaignEvent:
    queue_url = trigger_settings().trigger_jobs_queue_url
    if not queue_url:
        raise CampaignEventQueueUnavailable("no trigger-jobs queue is configured here")
    try:
        queues.enqueue_job(
            queue_url, {"kind": "campaign-event", "event": event.model_dump(mode="json")}
        )
    except queues.QueueUnavailable as error:
        raise CampaignEventQueueUnavailable("the trigger-jobs queue is unavailable") from error
    return event
