"""The webhook world of the fault-injection machine (test_fault_injection.py).

- `FaultyReceiver` is the customer's receiver: a real HTTP server on 127.0.0.1 that verifies
  each POST with its endpoint's secret (the Standard Webhooks library, as a customer would),
  records it, and answers 204, or as the next armed fault says: a 5xx, or a dropped
  connection.
- `WebhookWorld` holds the webhook queue and the endpoints (made through the real route),
  and plays the fan-out's event source: the table's stream is read as Lambda's poller reads
  it, then the batches go to the real fan-out handler as Hypothesis shapes them (handed
  twice, out of order, some left for later, their records shuffled).
- `WebhookWorld.check` holds what the fan-out and the sender owe, from stored state: every
  event reached every endpoint that subscribes to its type at least once, signed, and the
  endpoint's log (its route, paged) holds it once, SUCCEEDED, its retries spaced by the
  schedule; nothing else arrived or was logged.
"""

from __future__ import annotations

import json
import os
import socket
import threading
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from itertools import pairwise
from typing import Any

from hypothesis import strategies as st
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from devstack.resources import create_queue, create_webhook_secrets_key
from functions import fan_out_webhooks
from tenx_email import resources
from tenx_email.campaign_models import RuleRunOutcome
from tenx_email.dal.campaign_items import RuleRunItem
from tenx_email.dal.message_items import MessageItem
from tenx_email.settings import webhook_settings
from tenx_email.webhooks import RETRY_SCHEDULE
from tests.conftest import TABLE_NAME
from tests.events import FakeLambdaContext
from tests.integration.delivery_support import STAGE
from tests.integration.fault_support import Crash, MotoStreams, VirtualSqs

# Two examples in three have webhook endpoints (each delivery costs several moto calls, and
# the machine's budget is shared): one takes what a sender's integration acts on; a second one
# takes one to three of the types the machine makes or, a quarter of the time, none listed,
# which is all of them. None: the example has no endpoints.
OUTCOMES = ("SENT", "DELIVERED", "BOUNCED")
MADE_TYPES = (
    *("QUEUED", "SENT", "DENIED", "FAILED", "UNKNOWN", "DELIVERED", "BOUNCED"),
    *(outcome.value for outcome in RuleRunOutcome),
)
_SOME = st.lists(st.sampled_from(MADE_TYPES), unique=True, min_size=1, max_size=3)
_SECOND = st.sampled_from(["some", "some", "some", "all"]).flatmap(
    lambda pick: _SOME if pick == "some" else st.just([])
)
WEBHOOK_ENDPOINTS = st.sampled_from([True, True, False]).flatmap(
    lambda on: _SECOND if on else st.none()
)
DROP = "drop"  # the receiver reads the request, then closes the connection unanswered
# How the receiver answers the first POSTs of a sender's run, in order (then 204).
RECEIVER_FAULTS = st.lists(st.sampled_from([None, 500, 503, DROP]), min_size=1, max_size=3)
FAN_OUT_BATCH = resources.WEBHOOK_FANOUT.batch_size

# An event as its payload names it: ("event", message id, event id, type) for a timeline
# event, ("run", rule id, campaign event id, outcome) for a rule run.
Key = tuple[str, str, str, str]
Admin = Callable[..., tuple[int, Any]]


def key_of(payload: dict[str, Any]) -> Key:
    data = payload["data"]
    if "eventId" in data:
        return ("event", data["messageId"], data["eventId"], payload["type"])
    return ("run", data["ruleId"], data["campaignEventId"], payload["type"])


# --- the customer's receiver ----------------------------------------------------------


@dataclass(frozen=True)
class Arrival:
    path: str
    webhook_id: str
    body: str
    verified: bool  # the signature checked out with the endpoint's secret
    answer: int | None  # None: the connection was dropped


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a dropped connection's last writes fail, as meant


@dataclass
class FaultyReceiver:
    """Each POST is verified, recorded, then answered as the next of `armed` says."""

    arrivals: list[Arrival] = field(default_factory=list)
    armed: list[int | str | None] = field(default_factory=list)
    secrets: dict[str, str] = field(default_factory=dict)  # path -> its endpoint's secret

    def __post_init__(self) -> None:
        self._server = _Server(("127.0.0.1", 0), self._handler())
        self.base_url = f"http://127.0.0.1:{self._server.server_address[1]}"
        threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()

    def reset(self) -> None:
        self.arrivals.clear()
        self.armed.clear()
        self.secrets.clear()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _verified(self, path: str, body: str, headers: dict[str, str]) -> bool:
        try:
            Webhook(self.secrets[path]).verify(body, headers)
        except (KeyError, WebhookVerificationError):
            return False
        return True

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
                headers = {name.lower(): value for name, value in self.headers.items()}
                fault = receiver.armed.pop(0) if receiver.armed else None
                status = fault if isinstance(fault, int) else 204
                receiver.arrivals.append(
                    Arrival(
                        path=self.path,
                        webhook_id=headers.get("webhook-id", ""),
                        body=body,
                        verified=receiver._verified(self.path, body, headers),
                        answer=None if fault == DROP else status,
                    )
                )
                if fault == DROP:
                    self.close_connection = True
                    self.connection.shutdown(socket.SHUT_RDWR)
                    return
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *_: Any) -> None:
                pass

        return Handler


# --- the webhook queue, the endpoints and the fan-out's event source ---------------------


@dataclass(frozen=True)
class Subscriber:
    path: str
    webhook_id: str
    events: tuple[str, ...]  # none: every type (docs/webhooks.md)

    def subscribes(self, event_type: str) -> bool:
        return not self.events or event_type in self.events


class WebhookWorld:
    def __init__(
        self, sqs: VirtualSqs, kms: Any, receiver: FaultyReceiver, admin: Admin, handle: str
    ) -> None:
        self.kms = kms
        self.receiver = receiver
        self.admin = admin
        self.handle = handle
        urls = create_queue(sqs.sqs, STAGE, resources.WEBHOOK_QUEUE)
        self.queue_url, self.dead_letter_url = urls.queue_url, urls.dead_letter_url
        os.environ["WEBHOOK_QUEUE_URL"] = self.queue_url
        webhook_settings.cache_clear()
        receiver.reset()
        self.stats: Counter[str] = Counter()
        self.subscribers: list[Subscriber] = []
        self._read: list[dict[str, Any]] = []
        self._poll = MotoStreams(TABLE_NAME).source(
            resources.WEBHOOK_FANOUT, lambda event: self._read.extend(event["Records"])
        )
        self.waiting: list[list[dict[str, Any]]] = []  # read, not yet handed (or failed)
        self.handed: list[list[dict[str, Any]]] = []  # handed at least once

    def subscribe(self, chosen: Iterable[str]) -> None:
        """The endpoints: `/hooks/outcomes` for OUTCOMES, `/hooks/chosen` for these types."""
        create_webhook_secrets_key(self.kms, resources.webhook_secrets_key_alias(STAGE))
        self._endpoint("outcomes", OUTCOMES)
        self._endpoint("chosen", chosen)

    def _endpoint(self, name: str, types: Iterable[str]) -> None:
        """A new endpoint for these types (none: all), through the route, at `/hooks/name`."""
        path, events = f"/hooks/{name}", tuple(types)
        body = {"url": self.receiver.base_url + path, "events": list(events)}
        status, made = self.admin("create_webhook", {"handle": self.handle}, body)
        assert status == 201, made
        self.receiver.secrets[path] = made["secret"]
        self.subscribers.append(Subscriber(path, made["webhook"]["webhookId"], events))
        self.stats[f"{path} takes {', '.join(events) or 'everything'}"] += 1

    # --- the fan-out ---

    def fan_out(self, data: st.DataObject | None = None) -> list[str]:
        """Hand what the stream holds so far to the real fan-out handler. With `data`, as an
        event source may: the new records cut into batches, the batches handed out of order
        (some left for a later call), some handed twice (a retried or duplicated batch, of
        this call or an earlier one), each batch's records shuffled; without, each waiting
        batch once, in the stream's order. Returns the failures (as `hand`)."""
        new = self.read()
        cuts: Iterable[int] = ()
        if data is not None and len(new) > 1:
            at = st.lists(st.integers(1, len(new) - 1), max_size=2, unique=True)
            cuts = data.draw(at, label="batch cuts")
        bounds = sorted({0, len(new), *cuts, *range(FAN_OUT_BATCH, len(new), FAN_OUT_BATCH)})
        batches = self.waiting + [new[start:end] for start, end in pairwise(bounds)]
        self.waiting = []
        if data is not None and batches:
            batches = data.draw(st.permutations(batches), label="batch order")
            now = data.draw(st.integers(1, len(batches)), label="batches now")
            batches, self.waiting = batches[:now], batches[now:]
            again = st.lists(st.sampled_from(self.handed + batches), max_size=2)
            repeated = data.draw(again, label="handed again")
            batches = data.draw(st.permutations(batches + repeated), label="batch order")
            batches = [data.draw(st.permutations(b), label="record order") for b in batches]
            self._note("a fan-out batch handed twice", bool(repeated))
            self._note("a fan-out batch left for later", bool(self.waiting))
        return self.hand(batches)

    def read(self) -> list[dict[str, Any]]:
        """The records the stream got since the last read that the fan-out's filter passes,
        in the stream's order, as Lambda's event source hands them over."""
        self._read.clear()
        self._poll()
        return list(self._read)

    def hand(self, batches: Iterable[list[dict[str, Any]]]) -> list[str]:
        """Each batch to the real handler, in this order; a batch whose invocation failed
        waits to be handed again, as Lambda retries it. Returns the failures."""
        failures = []
        for batch in batches:
            try:
                fan_out_webhooks.handler({"Records": list(batch)}, FakeLambdaContext())
            except (Crash, Exception) as error:
                failures.append(repr(error))
                self.waiting.append(batch)
            else:
                if not any(earlier is batch for earlier in self.handed):
                    self.handed.append(batch)
        self._note("a fan-out invocation failed (a fault)", bool(failures))
        return failures

    def _note(self, what: str, happened: bool) -> None:
        if happened:
            self.stats[what] += 1

    # --- what they owe ---

    def check(
        self, messages: Iterable[dict[str, Any]], runs: Iterable[dict[str, Any]], delayed: str
    ) -> None:
        must, may = expected_keys(messages, runs, delayed)
        self._note("no endpoints", not self.subscribers)
        for arrival in self.receiver.arrivals:
            assert arrival.verified, f"{arrival.path} got a delivery its secret does not verify"
        for subscriber in self.subscribers:
            log = self._log(subscriber)
            where = f"{subscriber.path}'s log"
            logged = Counter(key_of(delivery["payload"]) for delivery in log)
            wanted = {key for key in must if subscriber.subscribes(key[-1])}
            assert not wanted - set(logged), f"{where} misses {sorted(wanted - set(logged))}"
            twice = sorted(key for key, count in logged.items() if count > 1)
            assert not twice, f"{where} holds these more than once: {twice}"
            extra = {k for k in logged if k not in must | may or not subscriber.subscribes(k[-1])}
            assert not extra, f"{where} holds what it should not: {sorted(extra)}"
            arrived: dict[str, list[Arrival]] = {}
            for arrival in self.receiver.arrivals:
                if arrival.path == subscriber.path:
                    arrived.setdefault(arrival.webhook_id, []).append(arrival)
            for delivery in log:
                assert delivery["status"] == "SUCCEEDED", f"{where}: {delivery}"
                _check_schedule(delivery)
                got = arrived.pop(delivery["deliveryId"], [])
                assert any(a.answer is not None and 200 <= a.answer < 300 for a in got), (
                    f"{subscriber.path} never took {delivery['deliveryId']}: {delivery}"
                )
                assert all(json.loads(a.body) == delivery["payload"] for a in got), delivery
            assert not arrived, f"{subscriber.path} got deliveries its log lacks: {arrived}"
        for arrival in self.receiver.arrivals:
            self.stats[f"the receiver answered {arrival.answer or 'nothing (dropped)'}"] += 1

    def _log(self, subscriber: Subscriber) -> list[dict[str, Any]]:
        """The endpoint's delivery log, read through its route, page after page."""
        path = {"handle": self.handle, "webhookId": subscriber.webhook_id}
        found: list[dict[str, Any]] = []
        token: str | None = None
        while True:
            query = {"limit": "100", **({"nextToken": token} if token else {})}
            status, page = self.admin("list_webhook_deliveries", path, query=query)
            assert status == 200, page
            found += page["deliveries"]
            token = page.get("nextToken")
            if not token:
                return found


# How early a retry may come: the delay's jitter (+-10%, docs/webhooks.md), and the second
# the record's postponement rounds off.
_EARLY = (0.9, timedelta(seconds=1))


def _check_schedule(delivery: dict[str, Any]) -> None:
    """Each retry waited its delay of the schedule after the attempt before (docs/webhooks.md),
    however many records of the delivery the queue held (a duplicate must not skip ahead)."""
    times = [datetime.fromisoformat(attempt["at"]) for attempt in delivery["attempts"]]
    for index, (before, after) in enumerate(pairwise(times)):
        least = RETRY_SCHEDULE[index] * _EARLY[0] - _EARLY[1]
        assert after - before >= least, f"retry {index + 1} came {after - before} after: {delivery}"


def expected_keys(
    messages: Iterable[dict[str, Any]], runs: Iterable[dict[str, Any]], delayed: str
) -> tuple[set[Key], set[Key]]:
    """From the stored message and rule run items: what must reach its subscribers, and what
    may too. Must: each timeline event of each message; each run's outcome, and, for the
    delayed rule's runs, the SCHEDULED it records first. May: a SKIPPED a repeated job
    recorded before the projection wrote the run's MESSAGE_CREATED over it."""
    must: set[Key] = set()
    may: set[Key] = set()
    for item in messages:
        for event in MessageItem.from_item(item).events():
            must.add(("event", event.message_id, event.event_id, event.type.value))
    for item in runs:
        run = RuleRunItem.from_item(item).to_domain()
        must.add(("run", run.rule_id, run.event_id, run.outcome.value))
        if run.rule_id == delayed:
            must.add(("run", run.rule_id, run.event_id, RuleRunOutcome.SCHEDULED.value))
        if run.outcome is RuleRunOutcome.MESSAGE_CREATED:
            may.add(("run", run.rule_id, run.event_id, RuleRunOutcome.SKIPPED.value))
    return must, may
