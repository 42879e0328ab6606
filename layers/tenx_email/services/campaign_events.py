"""Publishing campaign events from the HTTP test routes: a lead capture (the lead is stored,
so that a conversion can name it later) or a conversion of a captured lead becomes a campaign
event on the trigger-jobs queue, for the trigger Lambda to run the campaign's rules on
(services/triggers.py). Kept apart from the trigger machinery, so that the two routes load
only what publishing needs."""

from __future__ import annotations

from datetime import datetime

from tenx_email import clock, ids
from tenx_email.adapters import queues
from tenx_email.api.leads import LeadSnapshot
from tenx_email.dal import triggers as store
from tenx_email.errors import CampaignEventQueueUnavailable, LeadNotFound
from tenx_email.models import CampaignEvent, CampaignEventType, HandleAccess, Lead
from tenx_email.services.campaigns import require_campaign
from tenx_email.settings import trigger_settings


def capture_lead(access: HandleAccess, campaign_id: str, snapshot: LeadSnapshot) -> CampaignEvent:
    handle = access.handle.handle
    require_campaign(handle, campaign_id)
    now = clock.now()
    lead = snapshot.lead(default_id=f"lead_{ids.ulid(now).lower()}")
    store.put_lead(handle, campaign_id, lead, now)
    return _publish(handle, campaign_id, CampaignEventType.LEAD_CAPTURED, lead, now)


def record_conversion(access: HandleAccess, campaign_id: str, lead_id: str) -> CampaignEvent:
    handle = access.handle.handle
    require_campaign(handle, campaign_id)
    lead = store.get_lead(handle, campaign_id, lead_id)
    if lead is None:
        raise LeadNotFound(f"lead {lead_id} was not captured on campaign {campaign_id}")
    return _publish(handle, campaign_id, CampaignEventType.CONVERSION, lead, clock.now())


def _publish(
    handle: str, campaign_id: str, kind: CampaignEventType, lead: Lead, now: datetime
) -> CampaignEvent:
    event = CampaignEvent(
        handle=handle,
        campaign_id=campaign_id,
        event_id=f"evt_{ids.ulid(now).lower()}",
        type=kind,
        lead=lead,
        occurred_at=now,
    )
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
