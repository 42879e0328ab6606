"""Domain errors. Each carries its HTTP status and the contract's error code, so the mapping to
an HTTP error body happens in exactly one place (tenx_email.api.resolver)."""

from __future__ import annotations

from typing import ClassVar


class DomainError(Exception):
    status: ClassVar[int] = 400
    code: ClassVar[str] = "bad_request"

    def __init__(self, message: str, *, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.headers = headers or {}


class Unauthenticated(DomainError):
    status = 401
    code = "invalid_token"


class Forbidden(DomainError):
    """No access to the handle or account, or it does not exist (indistinguishable on purpose)."""

    status = 403
    code = "forbidden"


class InsufficientRole(DomainError):
    status = 403
    code = "insufficient_role"


class HandleInactive(DomainError):
    status = 403
    code = "handle_inactive"


class NotFound(DomainError):
    status = 404
    code = "not_found"


class AlreadyExists(DomainError):
    status = 409
    code = "already_exists"


class InvalidInput(DomainError):
    status = 400
    code = "invalid_request"


class InvalidSendWindow(DomainError):
    """A send window well formed but meaningless (an unknown zone, start equal to end): raised
    inside request validation (send_windows.py), answered by the resolver with this code."""

    status = 400
    code = "invalid_send_window"


class UnsupportedMediaType(DomainError):
    """A body sent as anything but JSON (curl's `-d` sends application/x-www-form-urlencoded)."""

    status = 415
    code = "unsupported_media_type"


class InvalidHeaderValue(DomainError):
    """CR, LF, NUL, U+2028 or another control character where it would reach a mail header."""

    status = 400
    code = "invalid_header_value"


class AccountDomainNotFound(DomainError):
    status = 404
    code = "account_domain_not_found"


class DomainAttachedElsewhere(DomainError):
    status = 409
    code = "domain_already_attached"


class AccountAmbiguous(DomainError):
    status = 400
    code = "account_id_required"


class DomainEmailIdentityNotReady(DomainError):
    status = 409
    code = "domain_email_identity_not_ready"


class InvalidSenderId(DomainError):
    code = "invalid_sender_id"


class SenderLocalPartNotAllowed(DomainError):
    code = "sender_local_part_not_allowed"


class InvalidTemplateId(DomainError):
    code = "invalid_template_id"


class TemplateIdMismatch(DomainError):
    """A PUT body naming another template than its path (the create body carries the id)."""

    code = "template_id_mismatch"


class TemplateBodyRequired(DomainError):
    code = "template_body_required"


class TemplateTooLarge(DomainError):
    status = 413
    code = "template_too_large"


class MessageTooLarge(DomainError):
    status = 413
    code = "message_too_large"


class EmailTemplateNotFound(DomainError):
    status = 404
    code = "email_template_not_found"


class EmailTemplateVersionNotFound(DomainError):
    status = 404
    code = "email_template_version_not_found"


class EmailTemplateAlreadyExists(DomainError):
    status = 409
    code = "email_template_already_exists"


class EmailTemplateNotActive(DomainError):
    status = 409
    code = "email_template_not_active"


class TemplateChangedConcurrently(DomainError):
    status = 409
    code = "template_changed_concurrently"


class RenderedSubjectUnsafe(DomainError):
    status = 400
    code = "rendered_subject_unsafe"


class SenderProfileNotFound(DomainError):
    status = 404
    code = "sender_profile_not_found"


class SenderProfileNotReady(DomainError):
    status = 409
    code = "sender_profile_not_ready"


class SenderPurposeNotAllowed(DomainError):
    status = 403
    code = "sender_purpose_not_allowed"


class ConsentAttestationRequired(DomainError):
    code = "consent_attestation_required"


class InvalidRecipient(DomainError):
    code = "invalid_recipient"


class MissingTemplateVariables(DomainError):
    code = "missing_template_variables"


class EmailRecipientSuppressed(DomainError):
    status = 409
    code = "email_recipient_suppressed"


class EmailQuotaExceeded(DomainError):
    status = 429
    code = "email_quota_exceeded"


class TransactionalEmailQueueUnavailable(DomainError):
    status = 503
    code = "transactional_email_queue_unavailable"


class IdempotencyKeyConflict(DomainError):
    status = 409
    code = "idempotency_key_conflict"


class MessageNotFound(DomainError):
    status = 404
    code = "message_not_found"


class EventFilterRequired(DomainError):
    code = "event_filter_required"


class LeadNotFound(DomainError):
    status = 404
    code = "lead_not_found"


class CampaignEventQueueUnavailable(DomainError):
    status = 503
    code = "campaign_event_queue_unavailable"


class CampaignNotFound(DomainError):
    status = 404
    code = "campaign_not_found"


# --- campaign email rules (campaign_not_found is CampaignNotFound above) ------------------


class EmailRuleNotFound(DomainError):
    status = 404
    code = "email_rule_not_found"


class InvalidTrigger(DomainError):
    code = "invalid_trigger"


class DelayMinutesRequiredForDelayedTrigger(DomainError):
    code = "delay_minutes_required_for_delayed_trigger"


class DelayMinutesBelowMinimum(DomainError):
    code = "delay_minutes_below_minimum"


class DelayMinutesAboveMaximum(DomainError):
    code = "delay_minutes_above_maximum"


class DelayMinutesNotAllowed(DomainError):
    """A delay on a trigger that fires immediately would be silently ignored; refuse it."""

    code = "delay_minutes_not_allowed"


class InvalidVariableMappings(DomainError):
    code = "invalid_variable_mappings"


class SenderNotReady(DomainError):
    """The rule routes' name for a sender that is disabled or whose domain is not READY."""

    status = 409
    code = "sender_not_ready"


class SenderMissingProductNotificationPurpose(DomainError):
    status = 409
    code = "sender_missing_product_notification_purpose"


class VersionConflict(DomainError):
    status = 409
    code = "version_conflict"


class EmailRuleLimitReached(DomainError):
    status = 409
    code = "email_rule_limit_reached"


# --- campaign sequences (services/sequences.py; the rule codes above where one fits) ---------


class SequenceNotFound(DomainError):
    status = 404
    code = "sequence_not_found"


class InvalidSequenceSteps(DomainError):
    """Too few or too many steps, or no email step among them."""

    code = "invalid_sequence_steps"


class SequenceTooLong(DomainError):
    """The waits of one sequence add up to more than it may span."""

    code = "sequence_too_long"


class EnrollmentNotFound(DomainError):
    status = 404
    code = "enrollment_not_found"


class SequenceArchived(DomainError):
    """An archived sequence is final: it can be read and deleted, never changed."""

    status = 409
    code = "sequence_archived"


class SequenceLimitReached(DomainError):
    status = 409
    code = "sequence_limit_reached"


# --- public unsubscribe links (no JWT: the token is the authority) ---


class UnsubscribeLinkMalformed(DomainError):
    """Not a token at all (length, characters): nothing was read."""

    status = 400
    code = "unsubscribe_link_malformed"


class UnsubscribeLinkNotFound(DomainError):
    """Not a token we issued, or one past its lifetime (indistinguishable on purpose)."""

    status = 404
    code = "unsubscribe_link_not_found"


class HandleInSandbox(DomainError):
    """A sandboxed handle sent to someone outside its account's domains (services/sandbox.py)."""

    status = 403
    code = "handle_in_sandbox"


class HandleSendingPaused(DomainError):
    """The handle's sending is paused (its bounce or complaint rate, or an operator): nothing
    new is accepted until an operator resumes it (services/sending_pause.py)."""

    status = 403
    code = "handle_sending_paused"


# --- webhook endpoints (services/webhooks.py) ---


class WebhookNotFound(DomainError):
    status = 404
    code = "webhook_not_found"


class WebhookLimitReached(DomainError):
    status = 409
    code = "webhook_limit_reached"


class InvalidWebhookUrl(DomainError):
    code = "invalid_webhook_url"


class InvalidWebhookEvents(DomainError):
    code = "invalid_webhook_events"


class WebhookDeliveryNotFound(DomainError):
    status = 404
    code = "webhook_delivery_not_found"


class WebhookDisabled(DomainError):
    status = 409
    code = "webhook_disabled"


class WebhookReplayLimitReached(DomainError):
    status = 409
    code = "webhook_replay_limit_reached"


class InvalidReplayWindow(DomainError):
    code = "invalid_replay_window"


class WebhookQueueUnavailable(DomainError):
    status = 503
    code = "webhook_queue_unavailable"


class InvalidStatsRange(DomainError):
    code = "invalid_stats_range"
