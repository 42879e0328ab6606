"""Local only: what each accepted SendEmail asked for, for the mail viewer.

moto keeps a sent message's source, destinations, subject and one body (the HTML when there
is one), and drops the rest: the text body beside an HTML one, Reply-To, the custom headers
(`Content.Simple.Headers`, such as List-Unsubscribe) and the tags that name our message. The
local stack keeps the request's parameters here, by the message id SES answered with.
"""

from __future__ import annotations

import copy
import threading
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tenx_email import clock


@dataclass(frozen=True)
class SentRequest:
    ses_message_id: str
    sent_at: datetime
    params: dict[str, Any]


class Outbox:
    """Written by the delivery Lambda's SES client, read by the viewer on another thread."""

    def __init__(self) -> None:
        self._sent: dict[str, SentRequest] = {}
        self._lock = threading.Lock()

    def record(self, ses_message_id: str, params: dict[str, Any]) -> None:
        sent = SentRequest(ses_message_id, clock.now(), copy.deepcopy(params))
        with self._lock:
            self._sent[ses_message_id] = sent

    def get(self, ses_message_id: str) -> SentRequest | None:
        with self._lock:
            return self._sent.get(ses_message_id)
