// Every error code the API answers with (docs/openapi.json), as a sentence for people.

import { ApiError } from "./api";

const SENTENCES: Record<string, string> = {
  // Signing in and access
  missing_bearer_token: "You are not signed in.",
  invalid_token: "Your sign-in has expired or was not accepted; sign in again.",
  forbidden: "You have no access to this handle, or it does not exist.",
  insufficient_role: "Your role cannot do this.",
  handle_inactive: "This handle has been deactivated by an operator.",
  handle_in_sandbox: "This handle is in the sandbox: it may mail only its own domains, the SES mailbox simulator and test sends.",
  handle_sending_paused: "This handle's sending is paused until an operator resumes it.",
  // Requests
  invalid_request: "The request was not valid.",
  unsupported_media_type: "The request body was not sent as JSON.",
  request_too_large: "The request was too large.",
  route_not_found: "The API has no such page.",
  throttled: "The API is busy; try again in a moment.",
  invalid_next_token: "That page of results is no longer valid; start again from the first page.",
  invalid_stats_range: "The API cannot count that range of days.",
  event_filter_required: "Choose a message, a recipient, a purpose or a start time to list events.",
  account_id_required: "Choose which account this is for.",
  // Domains and senders
  account_domain_not_found: "That domain is not attached to your account.",
  domain_already_attached: "That domain is attached to another account.",
  domain_email_identity_not_ready: "The domain is not verified yet.",
  invalid_sender_id: "That sender id is not valid.",
  sender_local_part_not_allowed: "That sender address is not one of the allowed ones.",
  sender_profile_not_found: "That sender does not exist.",
  sender_profile_not_ready: "The sender is not ready to send (disabled, or its domain is not verified).",
  sender_purpose_not_allowed: "The sender does not allow this purpose of mail.",
  sender_not_ready: "The sender is not ready to send.",
  sender_missing_product_notification_purpose: "The sender does not allow product notifications.",
  invalid_header_value: "A subject, name or reply-to address has a line break, a control character or a malformed address.",
  // Templates
  invalid_template_id: "That template id is not valid.",
  template_id_mismatch: "The template id in the body differs from the one in the address.",
  template_body_required: "A template needs an HTML or a text body.",
  template_too_large: "The template is too large.",
  template_changed_concurrently: "The template changed at the same time; try again.",
  email_template_already_exists: "A template with that id already exists.",
  email_template_not_found: "That template does not exist.",
  email_template_version_not_found: "That template version does not exist.",
  email_template_not_active: "The template is paused.",
  rendered_subject_unsafe: "The subject would have a line break or control character once rendered.",
  missing_template_variables: "Some of the template's variables were not given.",
  // Sending
  consent_attestation_required: "A send must attest the recipients' consent.",
  invalid_recipient: "A recipient address is not valid.",
  email_recipient_suppressed: "A recipient is on the suppression list.",
  idempotency_key_conflict: "That idempotency key was already used with a different message.",
  email_quota_exceeded: "Today's sending quota is used up.",
  message_too_large: "The message is too large to store.",
  message_not_found: "That message does not exist on this handle.",
  transactional_email_queue_unavailable: "The delivery queue is unavailable; try again with the same idempotency key.",
  // Campaigns, rules and sequences
  campaign_not_found: "That campaign does not exist.",
  lead_not_found: "That lead does not exist on this campaign.",
  campaign_event_queue_unavailable: "The campaign event queue is unavailable; try again.",
  invalid_trigger: "That trigger is not valid.",
  invalid_send_window: "That send window is not valid.",
  delay_minutes_required_for_delayed_trigger: "A delayed rule needs a delay in minutes.",
  delay_minutes_below_minimum: "The delay is below the minimum.",
  delay_minutes_above_maximum: "The delay is above the maximum.",
  delay_minutes_not_allowed: "Only a delayed rule takes a delay.",
  invalid_variable_mappings: "The variable mappings are not valid.",
  email_rule_not_found: "That email rule does not exist.",
  email_rule_limit_reached: "The campaign has as many email rules as it may.",
  version_conflict: "It was changed at the same time by someone else; reload and try again.",
  invalid_sequence_steps: "The sequence's steps are not valid.",
  sequence_too_long: "The sequence's waits add up to more than allowed.",
  sequence_not_found: "That sequence does not exist.",
  sequence_archived: "The sequence is archived and cannot change.",
  sequence_limit_reached: "The campaign has as many sequences as it may.",
  enrollment_not_found: "That enrollment does not exist.",
  // Webhooks
  invalid_webhook_url: "That webhook URL is not allowed.",
  invalid_webhook_events: "Those webhook event types are not valid.",
  invalid_replay_window: "That replay window is not valid.",
  webhook_not_found: "That webhook endpoint does not exist.",
  webhook_delivery_not_found: "That webhook delivery does not exist.",
  webhook_disabled: "The webhook endpoint is disabled.",
  webhook_limit_reached: "The handle has as many webhook endpoints as it may.",
  webhook_replay_limit_reached: "Too many replays are running for this endpoint.",
  webhook_queue_unavailable: "The webhook queue is unavailable; try again.",
  // Unsubscribe links
  unsubscribe_link_not_found: "That unsubscribe link is not valid or has expired.",
  unsubscribe_link_malformed: "That is not an unsubscribe link.",
  // Gateway and the console's own
  bad_request: "The request was refused.",
  authorizer_failure: "Sign-in could not be checked; try again shortly.",
  internal_error: "The API failed; try again shortly.",
  network_error: "The API could not be reached; check your connection and try again.",
};

/** The sentence for a code, or undefined when the code is not one we know. */
export function sentenceFor(code: string): string | undefined {
  return SENTENCES[code];
}

/** An error as a sentence. `action` says what was being done ("see the email stats"), for a
 * refused role: "Your role cannot see the email stats: it needs the OPERATOR role or higher." */
export function describe(error: unknown, action: string): string {
  if (!(error instanceof ApiError)) {
    return `Something went wrong while trying to ${action}: ${String(error)}`;
  }
  if (error.code === "insufficient_role") {
    const needed = /needs the (\w+) role/.exec(error.message)?.[1];
    return `Your role cannot ${action}${needed ? `: it needs the ${needed} role or higher` : ""}.`;
  }
  const sentence = sentenceFor(error.code);
  if (!sentence) return `The API refused to ${action}: ${error.message}`;
  // Form errors name the field in the API's message: keep it.
  const detail = error.status === 400 && error.message ? ` (${error.message})` : "";
  return `${sentence}${detail}`;
}
