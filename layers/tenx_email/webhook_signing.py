"""Standard Webhooks signing (https://www.standardwebhooks.com): the secret format, the
canonical body and the three headers a receiver verifies with any Standard Webhooks library.

During a secret rotation both the old and the new secret sign: the signature header then holds
one `v1,...` signature each, so a receiver holding either one verifies the message.
"""

from __future__ import annotations

import base64
import json
import math
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from secrets import token_bytes
from typing import Any

from standardwebhooks.webhooks import Webhook

SECRET_PREFIX = "whsec_"  # noqa: S105 - the format's marker, not a secret
SECRET_BYTES = 32


def new_secret() -> str:
    """A fresh signing secret: `whsec_` and the base64 of 32 random bytes."""
    return SECRET_PREFIX + base64.b64encode(token_bytes(SECRET_BYTES)).decode("ascii")


def body_of(payload: Mapping[str, Any]) -> str:
    """The canonical JSON body. The signature covers these exact characters, so the same
    string must be what is sent (as UTF-8)."""
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False)


def signed_headers(
    secrets: Sequence[str], message_id: str, timestamp: datetime, body: str
) -> dict[str, str]:
    """`webhook-id`, `webhook-timestamp` (whole seconds) and `webhook-signature`: one
    space-separated `v1,<base64>` signature for each secret."""
    if not secrets:
        raise ValueError("at least one signing secret is required")
    if timestamp.tzinfo is None:
        raise ValueError("the timestamp must be timezone-aware")
    # The library reads the datetime's fields as UTC (it replaces tzinfo rather than
    # converting), so hand it UTC; the header is computed the same way, whole seconds.
    moment = timestamp.astimezone(UTC)
    signatures = [Webhook(secret).sign(message_id, moment, body) for secret in secrets]
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(math.floor(moment.timestamp())),
        "webhook-signature": " ".join(signatures),
    }
