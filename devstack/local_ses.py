"""Local only: the one place the local stack stands in for SES behaviour that moto lacks.

Each stand-in is a botocore event hook on the SES API it concerns, registered on boto3's
default session, which the service's adapters create their clients from: the service code
runs unchanged and meets, at the boto3 boundary, the answers SES would give.

  - sesv2 GetEmailIdentity and ses GetIdentityMailFromDomainAttributes: a domain stays
    unverified until its DNS records are published locally (`ses_identities`);
  - sesv2 SendEmail: the request is kept for the mail viewer (`outbox`), and the events SES
    would publish for it, mailbox simulator included, go to the feedback queue
    (`ses_events`);
  - sesv2 GetAccount and SendEmail: the account's maximum send rate, reported and enforced
    (`ses_rate`), when the stack imposes one.
  - sesv2 tenants (CreateTenant, CreateTenantResourceAssociation, GetTenant, and SendEmail
    with a TenantName): `ses_tenants`.

The local stack installs it before anything creates an SES client, and its tests install the
same object on moto in-process.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import boto3

from devstack.outbox import Outbox
from devstack.ses_events import LocalSesEvents
from devstack.ses_identities import LocalDns
from devstack.ses_tenants import LocalTenants

if TYPE_CHECKING:
    from devstack.ses_rate import SesSendRate

_SEND_PARAMS = "local_ses_send_params"
Hooks = list[tuple[str, Callable[..., Any]]]


class LocalSes:
    def __init__(
        self,
        events: LocalSesEvents | None,
        *,
        rate: SesSendRate | None = None,
        tenants_file: Path | None = None,
    ) -> None:
        """`events` None: sends publish no events (for tests that look at identities only).
        `rate`: the send rate to impose (None: none). `tenants_file`: where SES tenants are
        kept (None: in memory)."""
        self.dns = LocalDns()
        self.outbox = Outbox()
        self.tenants = LocalTenants(tenants_file)
        self._events = events
        mail_from = "after-call.ses.GetIdentityMailFromDomainAttributes"
        self._hooks: Hooks = [
            ("before-parameter-build.sesv2.GetEmailIdentity", self.dns.remember_identity),
            ("after-call.sesv2.GetEmailIdentity", self.dns.on_get_email_identity),
            (mail_from, self.dns.on_mail_from_attributes),
            ("before-parameter-build.sesv2.SendEmail", self._remember_send),
            ("after-call.sesv2.SendEmail", self._sent),
            *self.tenants.hooks,
        ]
        if rate is not None:
            self._hooks += rate.hooks

    @staticmethod
    def _remember_send(params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        context[_SEND_PARAMS] = dict(params)

    def _sent(
        self, http_response: Any, parsed: dict[str, Any], context: dict[str, Any], **_: Any
    ) -> None:
        params = context.get(_SEND_PARAMS)
        if http_response.status_code >= 300 or not params:
            return  # refused: SES keeps nothing and reports nothing
        self.outbox.record(parsed["MessageId"], params)
        if self._events is not None:
            self._events.publish(params, parsed["MessageId"])

    def install(self) -> None:
        """Applies to SES clients created from now on (the adapters create theirs lazily)."""
        register(self._hooks)

    def uninstall(self) -> None:
        unregister(self._hooks)


def register(hooks: Hooks) -> None:
    """Put hooks on boto3's default session (tests install one stand-in's alone)."""
    for name, hook in hooks:
        _default_session().events.register(name, hook)


def unregister(hooks: Hooks) -> None:
    for name, hook in hooks:
        _default_session().events.unregister(name, hook)


def _default_session() -> boto3.Session:
    if boto3.DEFAULT_SESSION is None:
        boto3.setup_default_session()
    assert boto3.DEFAULT_SESSION is not None
    return boto3.DEFAULT_SESSION
