"""Endpoints only the local stack has, served beside the API: the identity provider's JWKS and
OpenID Connect endpoints, the web console, and the developer's controls and views under
/_local (no auth: the stack listens on 127.0.0.1 only)."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Mapping
from datetime import timedelta
from typing import Any
from urllib.parse import quote

import boto3
from botocore.exceptions import ClientError
from werkzeug.wrappers import Request, Response

from devstack import console_site, mail, mail_page, seed, ses_tenants, webhook_page
from devstack.environment import REGION
from devstack.gateway import LocalHandler
from devstack.idp import LocalIdentityProvider
from devstack.local_ses import LocalSes
from devstack.oidc import LocalOidc
from devstack.scheduler import SchedulerEmulator
from devstack.ses_identities import dkim_tokens
from devstack.webhook_receiver import WEBHOOKS_PATH, WebhookReceiver
from tenx_email import clock
from tenx_email.errors import InvalidInput
from tenx_email.services.domains import normalize_domain, required_dns_records

# Twice the longest delay a campaign rule may have (43200 minutes, 30 days), so one call can
# carry any delayed send past its due time.
MAX_ADVANCE_MINUTES = 2 * 43200
API_TIMEOUT_SECONDS = 10


def _json(document: Any, status: int = 200) -> Response:
    return Response(json.dumps(document), status=status, content_type="application/json")


def _invalid(message: str) -> Response:
    return _json({"error": "invalid_request", "message": message}, status=400)


def _html(page: str, status: int = 200) -> Response:
    response = Response(page, status=status, content_type="text/html; charset=utf-8")
    response.headers["Content-Security-Policy"] = mail_page.CONTENT_SECURITY_POLICY
    return response


def _get_message(api_base: str, token: str, handle: str, message_id: str) -> tuple[int, Any]:
    """The get_message route's answer, through the local gateway like any client's call."""
    path = f"/v2/handles/{quote(handle, safe='')}/email/messages/{quote(message_id, safe='')}"
    request = urllib.request.Request(  # noqa: S310 (our own http:// URL)
        api_base + path, headers={"Authorization": f"Bearer {token}"}
    )
    try:
        with urllib.request.urlopen(request, timeout=API_TIMEOUT_SECONDS) as answer:  # noqa: S310
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


def local_endpoints(
    idp: LocalIdentityProvider,
    scheduler: SchedulerEmulator,
    local_ses: LocalSes,
    api_base: str,
    webhooks: WebhookReceiver | None = None,
) -> dict[tuple[str, str], LocalHandler]:
    receiver = webhooks or WebhookReceiver()
    sesv2 = boto3.client("sesv2", region_name=REGION)
    ses = boto3.client("ses", region_name=REGION)

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

    def publish_dns(_: Request, path: Mapping[str, str]) -> Response:
        try:
            domain = normalize_domain(path["domain"])
            sesv2.get_email_identity(EmailIdentity=domain)
        except InvalidInput:
            return _invalid(f"not a domain name: {path['domain']!r}")
        except ClientError as error:
            if error.response["Error"]["Code"] != "NotFoundException":
                raise
            message = f"SES has no identity {domain}: attach it first (PUT /v2/account/domains/…)"
            return _json({"error": "not_found", "message": message}, status=404)
        local_ses.dns.publish(domain)
        mail_from = ses.get_identity_mail_from_domain_attributes(Identities=[domain])
        mail_from_domain = mail_from["MailFromDomainAttributes"][domain].get("MailFromDomain")
        records = required_dns_records(
            domain, REGION, mail_from_domain or f"bounce.{domain}", tuple(dkim_tokens(domain))
        )
        return _json(
            {
                "domain": domain,
                "published": [record.model_dump() for record in records],
                "next": f"POST /v2/account/domains/{domain}/email-identity/reconcile",
            }
        )

    def tenant_sending_status(request: Request, path: Mapping[str, str]) -> Response:
        # What SES's reputation policy does to a tenant, and its reinstatement.
        body = request.get_json(force=True, silent=True)
        status = body.get("status") if isinstance(body, dict) else None
        if status not in ses_tenants.STATUSES:
            return _invalid(f'send {{"status": S}} with S one of {", ".join(ses_tenants.STATUSES)}')
        try:
            local_ses.tenants.set_sending_status(path["tenant"], str(status))
        except KeyError:
            message = f"no SES tenant {path['tenant']} (tenx-admin --local create-ses-tenant)"
            return _json({"error": "not_found", "message": message}, status=404)
        return _json({"tenant": path["tenant"], "sendingStatus": status})

    def sent_mail(request: Request, _: Mapping[str, str]) -> Response:
        messages = mail.sent_mail(local_ses.outbox)
        if request.args.get("format") == "json":
            return Response(mail.as_json(messages), content_type="application/json")
        return _html(mail_page.mail_list(messages))

    def message_timeline(_: Request, path: Mapping[str, str]) -> Response:
        handle, message_id = path["handle"], path["messageId"]
        reader = seed.READERS.get(handle)
        if reader is None:
            reason = "no demo user is a member of this handle; read it with the API"
            return _html(mail_page.message_unavailable(handle, message_id, reason), 404)
        status, answer = _get_message(api_base, idp.mint(reader), handle, message_id)
        if status != 200:
            reason = f"the API answered {status} {answer.get('error', '')}"
            return _html(mail_page.message_unavailable(handle, message_id, reason), status)
        return _html(mail_page.message_timeline(answer["message"]))

    def received_webhooks(request: Request, _: Mapping[str, str]) -> Response:
        if request.args.get("format") == "json":
            return Response(receiver.as_json(), content_type="application/json")
        return _html(webhook_page.webhook_list(receiver.arrivals()))

    return {
        ("GET", "/.well-known/jwks.json"): jwks,
        ("POST", "/_local/clock/advance"): advance_clock,
        ("POST", "/_local/dns/{domain}/publish"): publish_dns,
        ("POST", "/_local/ses/tenants/{tenant}/sending-status"): tenant_sending_status,
        ("GET", mail_page.MAIL_PATH): sent_mail,
        ("GET", mail_page.MESSAGE_PATH): message_timeline,
        ("POST", WEBHOOKS_PATH): receiver.receive,
        ("GET", WEBHOOKS_PATH): received_webhooks,
        **LocalOidc(idp, api_base).endpoints(),
        **console_site.endpoints(console_site.config(api_base, idp.issuer)),
    }
