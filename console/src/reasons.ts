// Why a recipient was denied, failed, delayed, bounced or complained, in words. The API keeps reasons
// as codes ("suppressed"), SES's bounce types ("bounced: Permanent/General") or SES's own text.

import { sentenceFor } from "./errors";

const DENIALS: Record<string, string> = {
  suppressed: "The address is on this handle's suppression list, so it was not sent.",
  sender_profile_changed: "The sender moved to another domain after the message was queued.",
  handle_inactive: "The handle was deactivated before the message was sent.",
};

const BOUNCE_TYPES: Record<string, string> = {
  Permanent: "a hard bounce: the receiving server will not accept mail for this address, so it is now suppressed",
  Transient: "a soft bounce: the receiving server could not take it for now",
  Undetermined: "a bounce SES could not classify",
};

const BOUNCE_SUBTYPES: Record<string, string> = {
  General: "the server gave no more specific reason",
  NoEmail: "the address does not exist",
  Suppressed: "SES's global suppression list holds the address",
  OnAccountSuppressionList: "the account's SES suppression list holds the address",
  MailboxFull: "the mailbox is full",
  MessageTooLarge: "the message was too large for the mailbox",
  ContentRejected: "the server rejected the content",
  AttachmentRejected: "the server rejected an attachment",
};

function bounceInWords(detail: string): string {
  const [kind = "", subtype = ""] = detail.split("/");
  const what = BOUNCE_TYPES[kind] ?? `a bounce of type ${kind || "unknown"}`;
  const why = BOUNCE_SUBTYPES[subtype] ?? (subtype ? `SES's reason: ${subtype}` : "");
  return `Bounced (${detail}): ${what}${why ? `; ${why}` : ""}.`;
}

// SES's delay types (DeliveryDelay's delayType).
const DELAY_TYPES: Record<string, string> = {
  MailboxFull: "the mailbox is full",
  SpamDetected: "the receiving server suspects spam",
  RecipientServerError: "the receiving server had an error",
  IPFailure: "the receiving server refused SES's address",
  TransientCommunicationFailure: "the receiving server could not be reached for now",
  InternalFailure: "SES had an internal problem",
  SendingDeferral: "SES deferred it",
};

function delayInWords(detail: string): string {
  const why = DELAY_TYPES[detail];
  return `Delayed (${detail}): SES keeps trying${why ? `; ${why}` : ""}.`;
}

function complaintInWords(detail: string): string {
  const kind = detail && detail !== "null" ? ` (${detail})` : "";
  return `The recipient reported the mail as unwanted${kind}, so the address is now suppressed.`;
}

/** A recipient's status and reason, or a timeline event's type and detail, in words; null
 * when there is nothing to explain (a delivery, a send). */
export function reasonInWords(kind: string, reason: string | null): string | null {
  if (!reason) return null;
  const [prefix, rest] = splitPrefix(reason);
  if (kind === "BOUNCED" || prefix === "bounced") return bounceInWords(rest ?? reason);
  if (kind === "COMPLAINED" || prefix === "complained") return complaintInWords(rest ?? reason);
  if (kind === "DELIVERY_DELAYED" || prefix === "delivery_delayed") return delayInWords(rest ?? reason);
  if (prefix === "handle_sending_paused") return `Held: sending is paused (${rest}).`;
  const code = DENIALS[reason] ?? sentenceFor(reason);
  if (code) return kind === "DENIED" ? `Not sent: ${code}` : code;
  if (kind === "DENIED") return `Not sent: ${reason}.`;
  if (kind === "FAILED" || kind === "REJECTED" || kind === "RENDERING_FAILED") {
    return `Sending failed: ${reason}.`;
  }
  return `${reason}.`.replace(/\.\.$/, ".");
}

function splitPrefix(reason: string): [string, string | undefined] {
  const match = /^([a-z_]+): (.*)$/.exec(reason);
  return match ? [match[1] ?? "", match[2]] : [reason, undefined];
}
