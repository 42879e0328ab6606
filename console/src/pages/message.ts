// One message: its summary, each recipient's status, and the timeline, with every denial,
// failure, bounce or complaint reason in words.

import type { Api } from "../api";
import { alertSentence, fields, h, scrollable, showPage, table } from "../dom";
import { describe } from "../errors";
import { time, words } from "../format";
import { reasonInWords } from "../reasons";
import type { MessageDetail, Recipient } from "../types";

const back = (): HTMLElement => h("p", {}, h("a", { href: "#/messages" }, "Back to messages"));

function summary(message: MessageDetail): HTMLElement {
  const pairs: [string, string][] = [
    ["Status", words(message.status)],
    ["Subject", message.subject],
    ["From", message.fromEmail],
    ["Purpose", words(message.purpose) + (message.testMode ? " (test send)" : "")],
    ["Template", `${message.templateId}, version ${message.templateVersion}`],
    ["Created", time(message.createdAt)],
    ["Updated", time(message.updatedAt)],
  ];
  const why = reasonInWords(message.status, message.statusReason);
  if (why) pairs.push(["Why", why]);
  if (message.held) pairs.push(["Held", `Since ${time(message.held.since)}: ${message.held.reason}`]);
  return fields("Message", pairs);
}

/** Why a recipient is where it is: its own reason (a denial, a failure, a bounce's type, a
 * complaint's kind, a delay's type), or else the detail of the timeline event that gave it its
 * status (messages stored before recipients kept SES's reasons). */
function recipientReason(message: MessageDetail, recipient: Recipient): string {
  const event = message.timeline.findLast(
    (candidate) => candidate.recipient === recipient.email && candidate.type === recipient.status);
  return reasonInWords(recipient.status, recipient.reason ?? event?.detail ?? null) ?? "";
}

function recipients(message: MessageDetail): HTMLTableElement {
  return table("Recipients", ["Address", "Status", "Reason"],
    message.recipients.map((recipient) => [
      recipient.email,
      words(recipient.status),
      recipientReason(message, recipient),
    ]));
}

function timeline(message: MessageDetail): HTMLTableElement {
  return table("Timeline, oldest first", ["When", "Event", "Recipient", "Details"],
    message.timeline.map((event) => [
      time(event.occurredAt),
      words(event.type),
      event.recipient ?? "All recipients",
      reasonInWords(event.type, event.detail) ?? event.detail ?? "",
    ]));
}

export async function renderMessage(api: Api, messageId: string, signal: AbortSignal): Promise<void> {
  const title = `Message ${messageId}`;
  showPage(title, h("h1", {}, title), h("p", { role: "status" }, "Loading the message…"));
  try {
    const message = await api.message(messageId);
    if (signal.aborted) return;
    showPage(title, h("h1", {}, title), summary(message),
      h("h2", {}, "Recipients"), scrollable(recipients(message)),
      h("h2", {}, "Timeline"), scrollable(timeline(message)),
      back());
  } catch (error) {
    if (!signal.aborted) showPage(title, h("h1", {}, title), alertSentence(describe(error, "see this message")), back());
  }
}
