"""The reputation guard: the event projection counts each handle's sends, hard bounces and
complaints (tenx_email/reputation.py says which count), and pauses a handle whose rates
reach the pause levels, through the same pause an operator sets (services/sending_pause.py):
new sends are refused, queued mail is held, and the HandleSendingPaused metric raises the
operators' alarm. Only an operator resumes it, after review; resuming starts the counts again.

Counting is once per stream batch (dal/reputation.py, `add`); judging follows every batch,
including a retried one, so a batch that counted and then failed before pausing pauses on
its retry. Buckets are dated by when the projection counts them, seconds after the events.
"""

from __future__ import annotations

from collections.abc import Mapping

from aws_lambda_powertools.metrics import MetricUnit

from tenx_email import clock
from tenx_email.dal import reputation as store
from tenx_email.dal import tenancy as handles
from tenx_email.models import SendingPause
from tenx_email.observability import logger, metrics
from tenx_email.reputation import (
    WINDOW,
    Counts,
    Judgement,
    bucket_of,
    in_window,
    judge,
)
from tenx_email.resources import HANDLE_PAUSED_METRIC
from tenx_email.sending_models import ReputationStatus

WARNING_METRIC = "HandleReputationWarning"
REASON_PREFIX = "reputation guard: "


def record(counts_by_handle: Mapping[str, Counts], batch: str) -> None:
    """Count a stream batch's events (once, however often it is retried), then judge each
    handle it counted for."""
    now = clock.now()
    for handle_name, counts in counts_by_handle.items():
        if not counts:
            continue
        store.add(handle_name, bucket_of(now), counts, batch, now)
        buckets = store.read(handle_name)
        oldest = bucket_of(now - WINDOW)
        gone = [start for start in buckets if start <= oldest]
        if gone:
            store.forget(handle_name, gone)
        _act(handle_name, judge(in_window(buckets.items(), now)))


def _act(handle_name: str, judgement: Judgement) -> None:
    log = {"handle": handle_name, "reason": judgement.reason}
    if judgement.status is ReputationStatus.WARNING:
        metrics.add_metric(name=WARNING_METRIC, unit=MetricUnit.Count, value=1)
        logger.warning("handle reputation warning", extra=log)
    elif judgement.status is ReputationStatus.PAUSE:
        pause = SendingPause(reason=f"{REASON_PREFIX}{judgement.reason}", since=clock.now())
        if handles.pause_unless_paused(handle_name, pause):
            metrics.add_metric(name=HANDLE_PAUSED_METRIC, unit=MetricUnit.Count, value=1)
            logger.warning("handle sending paused by the reputation guard", extra=log)
