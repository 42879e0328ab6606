"""Local only: a webhook receiver, so a delivery can be watched end to end without a tunnel.

`POST /_local/webhooks` keeps each request (the last MAX_KEPT: headers, body, time) and
answers 204, or the status `?fail=<400-599>` names, to watch the sender's retries.
`GET /_local/webhooks` lists what arrived (HTML; `?format=json` for programs), newest first.

Each arrival is verified as it arrives, as a receiver would (the Standard Webhooks library
checks the timestamp against now, so checking later would fail every old one): against the
secrets of the endpoints (of the handle the payload names) whose URL points here, unsealed
with the local stack's KMS (moto).
The sender signs with the wall clock's time, so moving the service's clock
(`POST /_local/clock/advance`) does not make arrivals fail the timestamp check.
"""

from __future__ import annotations

import json
import threading
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlsplit

from standardwebhooks.webhooks import Webhook, WebhookVerificationError
from werkzeug.wrappers import Request, Response

from tenx_email import clock, ids
from tenx_email.adapters import secret_box
from tenx_email.dal.webhooks import endpoints as endpoints_of
from tenx_email.services.webhooks import secret_context
from tenx_email.webhooks import WebhookEndpoint

WEBHOOKS_PATH = "/_local/webhooks"
MAX_KEPT = 200
MAX_BODY_BYTES = 256 * 1024
# What of a request is kept: the signature's headers and the ones a receiver looks at.
KEPT_HEADERS = (
    "webhook-id",
    "webhook-timestamp",
    "webhook-signature",
    "content-type",
    "user-agent",
)


@dataclass(frozen=True)
class Arrival:
    received_at: str
    answered: int
    headers: dict[str, str]
    body: str
    verified: bool
    webhook_id: str | None  # the endpoint whose secret verified it
    verification: str  # in words: which secret verified it, or why none did

    @property
    def event_type(self) -> str | None:
        try:
            found = json.loads(self.body).get("type")
        except (ValueError, AttributeError):
            return None
        return str(found) if found is not None else None

    def as_json(self) -> dict[str, object]:
        return {
            "receivedAt": self.received_at,
            "answered": self.answered,
            "eventType": self.event_type,
            "deliveryId": self.headers.get("webhook-id"),
            "webhookId": self.webhook_id,
            "verified": self.verified,
            "verification": self.verification,
            "headers": self.headers,
            "body": self.body,
        }


def local_endpoints(body: str) -> list[WebhookEndpoint]:
    """The live endpoints whose URL is this receiver, of the handle the payload names (every
    payload's `data.handle`): one Query, however big the local table has grown (a scan per
    arrival made the receiver slower than the sender's read timeout)."""
    try:
        handle = json.loads(body)["data"]["handle"]
    except (ValueError, KeyError, TypeError):
        return []
    if not isinstance(handle, str) or not ids.is_valid(ids.HANDLE_PATTERN, handle):
        return []
    return [
        endpoint
        for endpoint in endpoints_of(handle)
        if urlsplit(endpoint.url).path.startswith(WEBHOOKS_PATH)
    ]


def verify(body: str, headers: Mapping[str, str]) -> tuple[str | None, str]:
    """(the endpoint whose secret verified it, or None; what the library said, in words)."""
    reasons: list[str] = []
    for endpoint in local_endpoints(body):
        context = secret_context(endpoint.handle, endpoint.webhook_id)
        for secret in endpoint.secrets:
            try:
                Webhook(secret_box.unseal(secret.sealed, context)).verify(body, dict(headers))
            except WebhookVerificationError as error:
                reasons.append(str(error))
                continue
            return endpoint.webhook_id, f"verified with a secret of {endpoint.webhook_id}"
    if not reasons:
        return None, "no endpoint's URL points at this receiver"
    # The timestamp is checked before the signature: say so rather than "no match".
    timing = [r for r in reasons if "timestamp" in r]
    if timing:
        return None, f"{timing[0]} (is this machine's clock right?)"
    return None, reasons[0]


class WebhookReceiver:
    def __init__(self) -> None:
        self._arrivals: deque[Arrival] = deque(maxlen=MAX_KEPT)
        self._lock = threading.Lock()

    def arrivals(self) -> list[Arrival]:
        """Newest first."""
        with self._lock:
            return list(reversed(self._arrivals))

    def receive(self, request: Request, _: Mapping[str, str]) -> Response:
        fail = request.args.get("fail")
        status = 204
        if fail is not None:
            if not fail.isdigit() or not 400 <= int(fail) <= 599:
                return Response("fail must be a status from 400 to 599\n", status=400)
            status = int(fail)
        body = request.get_data(cache=False)[:MAX_BODY_BYTES].decode("utf-8", errors="replace")
        headers = {name: request.headers[name] for name in KEPT_HEADERS if name in request.headers}
        webhook_id, verification = verify(body, headers)
        arrival = Arrival(
            received_at=clock.iso(datetime.now(UTC)),
            answered=status,
            headers=headers,
            body=body,
            verified=webhook_id is not None,
            webhook_id=webhook_id,
            verification=verification,
        )
        with self._lock:
            self._arrivals.append(arrival)
        return Response(status=status)

    def as_json(self) -> str:
        return json.dumps({"webhooks": [arrival.as_json() for arrival in self.arrivals()]})
