"""The route table: the API's routes, in two lists. `ROUTES` need a JWT (the authorizer, then
each route's tenant and role check); `PUBLIC_ROUTES` take none (the unsubscribe links mail
recipients follow: the token in the path is their whole authority) and are throttled on their
own.

API Gateway methods, per-route IAM grants, the route Lambdas' role checks and the local
gateway are all derived from them, so there is no second list to keep in sync.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from tenx_email.roles import Role


class Grant(StrEnum):
    """AWS access a route needs beyond the table (infra turns each into IAM statements)."""

    SES_IDENTITY_READ = "ses-identity-read"
    SES_IDENTITY_WRITE = "ses-identity-write"
    # A handle's SES tenant (services/ses_tenants.py): read its status, associate an identity.
    SES_TENANT_READ = "ses-tenant-read"
    SES_TENANT_ASSOCIATE = "ses-tenant-associate"
    DELIVERY_QUEUE_SEND = "delivery-queue-send"
    TRIGGER_JOBS_SEND = "trigger-jobs-send"
    WEBHOOK_QUEUE_SEND = "webhook-queue-send"  # replays and test events
    # Page tokens are sealed with the stage's token keys (sealed.py): lists that page read them.
    TOKEN_KEYS_READ = "token-keys-read"  # noqa: S105 (a grant's name, not a secret)
    # Webhook signing secrets are encrypted with the stage's KMS key (adapters/secret_box.py).
    WEBHOOK_SECRETS_SEAL = "webhook-secrets-seal"


def resolver_path(path: str) -> str:
    """A path in Powertools' syntax (`<name>` instead of `{name}`)."""
    return re.sub(r"\{(\w+)\}", r"<\1>", path)


class Scope(StrEnum):
    """Whose access a route checks: a handle's members, or the members of an account."""

    HANDLE = "handle"
    ACCOUNT = "account"


class _Served:
    """What a route's function is: its module, and the path its resolver serves."""

    route_id: str
    path: str

    @property
    def handler_module(self) -> str:
        """Module under functions/ whose `handler` serves this route."""
        return self.route_id

    @property
    def resolver_path(self) -> str:
        return resolver_path(self.path)


@dataclass(frozen=True)
class Route(_Served):
    route_id: str
    method: str
    path: str
    min_role: Role
    read_only: bool
    scope: Scope = Scope.HANDLE
    grants: frozenset[Grant] = frozenset()


_DOMAIN = "/v2/account/domains/{domain}"
_SENDERS = "/v2/handles/{handle}/email/senders"
_TEMPLATES = "/v2/handles/{handle}/email/templates"
_MESSAGES = "/v2/handles/{handle}/email/messages"
_SUPPRESSIONS = "/v2/handles/{handle}/email/suppressions"
_CAMPAIGN = "/v2/handles/{handle}/campaigns/{campaignId}"
_RULES = f"{_CAMPAIGN}/email-rules"
_SEQUENCES = f"{_CAMPAIGN}/sequences"
_SEQUENCE = f"{_SEQUENCES}/{{sequenceId}}"
_WEBHOOKS = "/v2/handles/{handle}/email/webhooks"
_WEBHOOK = f"{_WEBHOOKS}/{{webhookId}}"
_SEALS = frozenset({Grant.WEBHOOK_SECRETS_SEAL})
_WEBHOOK_SENDS = frozenset({Grant.WEBHOOK_QUEUE_SEND})
_OPERATOR = Role.OPERATOR
_PAGED = _TOKEN_KEYS = frozenset({Grant.TOKEN_KEYS_READ})

ROUTES: tuple[Route, ...] = (
    Route(
        "get_domain_identity",
        "GET",
        f"{_DOMAIN}/email-identity",
        _OPERATOR,
        read_only=True,
        scope=Scope.ACCOUNT,
    ),
    Route(
        "reconcile_domain_identity",
        "POST",
        f"{_DOMAIN}/email-identity/reconcile",
        _OPERATOR,
        read_only=False,
        scope=Scope.ACCOUNT,
        grants=frozenset({Grant.SES_IDENTITY_READ}),
    ),
    Route(
        "attach_domain",
        "PUT",
        _DOMAIN,
        Role.OWNER,
        read_only=False,
        scope=Scope.ACCOUNT,
        grants=frozenset(
            {Grant.SES_IDENTITY_READ, Grant.SES_IDENTITY_WRITE, Grant.SES_TENANT_ASSOCIATE}
        ),
    ),
    # The caller's own role on the handle: a console hides what the role cannot use (the
    # routes still decide). Every member may ask; anyone else is refused as on any route.
    Route("get_handle_access", "GET", "/v2/handles/{handle}/access", Role.CREATOR, read_only=True),
    Route("list_senders", "GET", _SENDERS, _OPERATOR, read_only=True),
    Route("put_sender", "PUT", f"{_SENDERS}/{{senderId}}", _OPERATOR, read_only=False),
    Route("list_templates", "GET", _TEMPLATES, _OPERATOR, read_only=True, grants=_PAGED),
    Route("create_template", "POST", _TEMPLATES, _OPERATOR, read_only=False),
    Route("get_template", "GET", f"{_TEMPLATES}/{{templateId}}", _OPERATOR, read_only=True),
    Route("update_template", "PUT", f"{_TEMPLATES}/{{templateId}}", _OPERATOR, read_only=False),
    Route(
        "preview_template",
        "POST",
        f"{_TEMPLATES}/{{templateId}}/preview",
        _OPERATOR,
        read_only=True,
    ),
    Route(
        "send_message",
        "POST",
        _MESSAGES,
        _OPERATOR,
        read_only=False,
        grants=frozenset({Grant.DELIVERY_QUEUE_SEND}),
    ),
    Route("list_messages", "GET", _MESSAGES, _OPERATOR, read_only=True, grants=_PAGED),
    Route("get_message", "GET", f"{_MESSAGES}/{{messageId}}", _OPERATOR, read_only=True),
    Route(
        "list_events",
        "GET",
        "/v2/handles/{handle}/email/events",
        _OPERATOR,
        read_only=True,
        grants=_PAGED,
    ),
    Route("list_suppressions", "GET", _SUPPRESSIONS, _OPERATOR, read_only=True, grants=_PAGED),
    Route("put_suppression", "PUT", f"{_SUPPRESSIONS}/{{email}}", _OPERATOR, read_only=False),
    Route("delete_suppression", "DELETE", f"{_SUPPRESSIONS}/{{email}}", _OPERATOR, read_only=False),
    Route(
        "get_quota",
        "GET",
        "/v2/handles/{handle}/email/quota",
        _OPERATOR,
        read_only=True,
        grants=frozenset({Grant.SES_TENANT_READ}),
    ),
    # The handle's emails per hour or day, counted by the event projection.
    Route("get_email_stats", "GET", "/v2/handles/{handle}/email/stats", _OPERATOR, read_only=True),
    # --- webhook endpoints (OPERATOR only: a URL may carry the receiver's own credentials) ---
    Route("list_webhooks", "GET", _WEBHOOKS, _OPERATOR, read_only=True),
    Route("create_webhook", "POST", _WEBHOOKS, _OPERATOR, read_only=False, grants=_SEALS),
    Route("get_webhook", "GET", _WEBHOOK, _OPERATOR, read_only=True),
    Route("update_webhook", "PUT", _WEBHOOK, _OPERATOR, read_only=False),
    Route("delete_webhook", "DELETE", _WEBHOOK, _OPERATOR, read_only=False),
    Route(
        "rotate_webhook_secret",
        "POST",
        f"{_WEBHOOK}/rotate-secret",
        _OPERATOR,
        read_only=False,
        grants=_SEALS,
    ),
    Route(
        "list_webhook_deliveries",
        "GET",
        f"{_WEBHOOK}/deliveries",
        _OPERATOR,
        read_only=True,
        grants=_PAGED,
    ),
    Route(
        "replay_webhook_delivery",
        "POST",
        f"{_WEBHOOK}/deliveries/{{deliveryId}}/replay",
        _OPERATOR,
        read_only=False,
        grants=_WEBHOOK_SENDS,
    ),
    Route(
        "replay_webhook_deliveries",
        "POST",
        f"{_WEBHOOK}/replay",
        _OPERATOR,
        read_only=False,
        grants=_WEBHOOK_SENDS,
    ),
    Route(
        "send_webhook_test",
        "POST",
        f"{_WEBHOOK}/test",
        _OPERATOR,
        read_only=False,
        grants=_WEBHOOK_SENDS,
    ),
    # --- campaign settings, email rules, sequences (CREATOR may read, OPERATOR may change) ---
    Route("get_campaign_settings", "GET", f"{_CAMPAIGN}/settings", Role.CREATOR, read_only=True),
    Route("put_campaign_settings", "PUT", f"{_CAMPAIGN}/settings", _OPERATOR, read_only=False),
    Route("list_email_rules", "GET", _RULES, Role.CREATOR, read_only=True),
    Route("create_email_rule", "POST", _RULES, _OPERATOR, read_only=False),
    Route("update_email_rule", "PUT", f"{_RULES}/{{ruleId}}", _OPERATOR, read_only=False),
    Route("delete_email_rule", "DELETE", f"{_RULES}/{{ruleId}}", _OPERATOR, read_only=False),
    Route("list_sequences", "GET", _SEQUENCES, Role.CREATOR, read_only=True),
    Route("create_sequence", "POST", _SEQUENCES, _OPERATOR, read_only=False),
    Route("get_sequence", "GET", _SEQUENCE, Role.CREATOR, read_only=True),
    Route("update_sequence", "PUT", _SEQUENCE, _OPERATOR, read_only=False),
    Route("delete_sequence", "DELETE", _SEQUENCE, _OPERATOR, read_only=False),
    Route("get_sequence_stats", "GET", f"{_SEQUENCE}/stats", Role.CREATOR, read_only=True),
    # Enrollments name leads: OPERATOR, as rule runs.
    Route(
        "list_enrollments",
        "GET",
        f"{_SEQUENCE}/enrollments",
        _OPERATOR,
        read_only=True,
        grants=_PAGED,
    ),
    Route(
        "enroll_lead",
        "POST",
        f"{_SEQUENCE}/enrollments",
        _OPERATOR,
        read_only=False,
        grants=frozenset({Grant.TRIGGER_JOBS_SEND}),
    ),
    Route(
        "stop_enrollment",
        "DELETE",
        f"{_SEQUENCE}/enrollments/{{leadId}}",
        _OPERATOR,
        read_only=False,
    ),
    Route(
        "list_rule_runs",
        "GET",
        f"{_RULES}/{{ruleId}}/runs",
        _OPERATOR,
        read_only=True,
        grants=_PAGED,
    ),
    Route(
        "capture_lead",
        "POST",
        f"{_CAMPAIGN}/leads",
        _OPERATOR,
        read_only=False,
        grants=frozenset({Grant.TRIGGER_JOBS_SEND}),
    ),
    Route(
        "record_conversion",
        "POST",
        f"{_CAMPAIGN}/conversions",
        _OPERATOR,
        read_only=False,
        grants=frozenset({Grant.TRIGGER_JOBS_SEND}),
    ),
)


@dataclass(frozen=True)
class PublicRoute(_Served):
    """A route without the authorizer. API Gateway holds it to `rate_limit` requests per
    second (with `burst_limit`), below the stage's limits, so a flood of link requests cannot
    use up what the tenants' API calls need."""

    route_id: str
    method: str
    path: str
    read_only: bool
    grants: frozenset[Grant] = frozenset()
    rate_limit: int = 20
    burst_limit: int = 40


_UNSUBSCRIBE = "/v2/unsubscribe/{token}"
PUBLIC_ROUTES: tuple[PublicRoute, ...] = (
    # The page a link opens: shows what the button does; never unsubscribes by itself.
    PublicRoute("unsubscribe_page", "GET", _UNSUBSCRIBE, read_only=True, grants=_TOKEN_KEYS),
    # RFC 8058's one-click POST (and the page's button).
    PublicRoute("unsubscribe", "POST", _UNSUBSCRIBE, read_only=False, grants=_TOKEN_KEYS),
)

_BY_ID = {route.route_id: route for route in ROUTES}
_PUBLIC_BY_ID = {route.route_id: route for route in PUBLIC_ROUTES}


def route(route_id: str) -> Route:
    return _BY_ID[route_id]


def public_route(route_id: str) -> PublicRoute:
    return _PUBLIC_BY_ID[route_id]
