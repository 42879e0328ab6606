"""GET /v2/handles/{handle}/email/stats?granularity=&from=&to=&purpose=: the handle's emails
per UTC hour or day (accepted, sent, delivered, bounced, complained, denied, failed,
unsubscribed, and the bounce and complaint rates), counted by the event projection. `from`
and `to` are ISO 8601 times with a zone (default: the last 24 hours by hour, the last 7 days
by day), widened to whole buckets; at most 168 hour or 31 day buckets, within the 35 days
kept. OPERATOR and up."""

from __future__ import annotations

from tenx_email.startup import module_loaded

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Query
from pydantic import AwareDatetime

from tenx_email.api.resolver import create_resolver, entrypoint, handle_access
from tenx_email.api.stats import StatsEnvelope, StatsOut
from tenx_email.models import Purpose
from tenx_email.routes import route
from tenx_email.services import email_stats
from tenx_email.stats_models import Granularity

ROUTE = route("get_email_stats")
app = create_resolver()


@app.get(ROUTE.resolver_path)
def get_email_stats(
    handle: str,
    granularity: Granularity = Granularity.DAY,
    from_: Annotated[AwareDatetime | None, Query(alias="from")] = None,
    to: AwareDatetime | None = None,
    purpose: Purpose | None = None,
) -> StatsEnvelope:
    stats = email_stats.email_stats(handle_access(app), granularity, from_, to, purpose)
    return StatsEnvelope(stats=StatsOut.from_stats(stats))


handler = entrypoint(app, ROUTE)

module_loaded()
