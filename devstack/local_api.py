"""Endpoints only the local stack has, served beside the API: the identity provider's JWKS
and the developer's controls under /_local (no auth: the stack listens on 127.0.0.1 only)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from werkzeug.wrappers import Request, Response

from devstack import mail
from devstack.gateway import LocalHandler
from devstack.idp import LocalIdentityProvider
from devstack.scheduler import SchedulerEmulator
from tenx_email import clock

# Twice the longest delay a campaign rule may have (43200 minutes, 30 days), so one call can
# carry any delayed send past its due time.
MAX_ADVANCE_MINUTES = 2 * 43200


def _json(document: Any, status: int = 200) -> Response:
    return Response(json.dumps(document), status=status, content_type="application/json")


def _invalid(message: str) -> Response:
    return _json({"error": "invalid_request", "message": message}, status=400)


def local_endpoints(
    idp: LocalIdentityProvider, scheduler: SchedulerEmulator, aws_endpoint: str
) -> dict[tuple[str, str], LocalHandler]:
    def jwks(_: Request, __: Mapping[str, str]) -> Response:
        return _json(idp.jwks())

    def advance_clock(request: Request, _: Mapping[str, str]) -> Response:
        # force: `curl -d` sends its JSON as a form, and this endpoint is for curl.
        body = request.get_json(force=True, silent=True)
        minutes = body.get("minutes") if isinstance(body, dict) else None
        if (
            not isinstance(body, dict)
            or body.keys() != {"minutes"}
            or not isinstance(minutes, int)
            or isinstance(minutes, bool)
            or not 1 <= minutes <= MAX_ADVANCE_MINUTES
        ):
            return _invalid(f'send {{"minutes": N}} with N an integer 1-{MAX_ADVANCE_MINUTES}')
        now, fired = scheduler.advance(timedelta(minutes=minutes))
        return _json({"now": clock.iso(now), "fired": fired})

    def sent_mail(request: Request, _: Mapping[str, str]) -> Response:
        messages = mail.sent_mail(aws_endpoint)
        if request.args.get("format") == "json":
            return Response(mail.as_json(messages), content_type="application/json")
        return Response(mail.as_html(messages), content_type="text/html; charset=utf-8")

    return {
        ("GET", "/.well-known/jwks.json"): jwks,
        ("POST", "/_local/clock/advance"): advance_clock,
        ("GET", "/_local/mail"): sent_mail,
    }
