// The webhook endpoint form, for creating an endpoint and for editing one (URL, description,
// the event types as a checkbox group with "All events"), an endpoint in words, and the
// one-time view of a signing secret.

import { h } from "../dom";
import { words } from "../format";
import { WEBHOOK_EVENTS, type Webhook, type WebhookDraft } from "../types";

// The API's bounds (docs/openapi.json, WebhookIn).
const MAX_URL = 2048;
const MAX_DESCRIPTION = 200;

/** An endpoint's subscription in words: the API's empty list means every type. */
export function eventsInWords(events: string[]): string {
  return events.length ? events.map(words).join(", ") : "All events (including types added later)";
}

export function statusInWords(webhook: Webhook): string {
  if (webhook.status === "FAILING") {
    return `Disabled by the service${webhook.disabledReason ? `: ${webhook.disabledReason}` : ""}`;
  }
  return webhook.status === "ENABLED" ? "Enabled" : "Disabled";
}

/** An endpoint in one sentence, as the conflict message gives it. */
export function webhookInWords(webhook: Webhook): string {
  return `${webhook.url}, ${eventsInWords(webhook.events).toLowerCase()}, ${statusInWords(webhook).toLowerCase()}`;
}

function field(id: string, label: string, control: HTMLElement): HTMLDivElement {
  return h("div", { class: "field" }, h("label", { for: id }, label), control);
}

/** The form's controls, filled from `webhook` (a new endpoint's defaults when null). `draft()`
 * reads them back; an edit keeps `enabled` as loaded (the page's Enable and Disable change
 * it), since an update replaces the whole endpoint and a left-out `enabled` means true.
 * `problem()` is why the form cannot be sent as it is, or null. */
export function webhookFields(prefix: string, webhook: Webhook | null): {
  element: HTMLElement;
  draft: () => WebhookDraft;
  problem: () => string | null;
} {
  const url = h("input", { id: `${prefix}-url`, name: "url", type: "url", required: true, maxlength: String(MAX_URL), autocomplete: "off", spellcheck: "false" });
  url.value = webhook?.url ?? "";
  const description = h("input", { id: `${prefix}-description`, name: "description", type: "text", maxlength: String(MAX_DESCRIPTION), autocomplete: "off" });
  description.value = webhook?.description ?? "";
  const subscribed = new Set(webhook?.events ?? []);
  const everything = h("input", { id: `${prefix}-all-events`, name: "allEvents", type: "checkbox", checked: subscribed.size === 0 });
  const boxes = WEBHOOK_EVENTS.map((type) =>
    h("input", { id: `${prefix}-event-${type}`, name: "events", type: "checkbox", value: type, checked: subscribed.has(type) }));
  // "All events" is the API's empty list, which also takes types added later: the single
  // types do not apply then, so they are disabled rather than all ticked.
  const showTypes = (): void => {
    for (const box of boxes) box.disabled = everything.checked;
  };
  everything.addEventListener("change", showTypes);
  showTypes();
  const enabled = h("input", { id: `${prefix}-enabled`, name: "enabled", type: "checkbox", checked: true });

  const events = h("fieldset", { class: "events" },
    h("legend", {}, "Events to send"),
    h("div", { class: "choice" }, everything, h("label", { for: everything.id }, "All events (including types added later)")),
    h("div", { class: "event-types" }, ...boxes.map((box) =>
      h("div", { class: "choice" }, box, h("label", { for: box.id }, words(box.value))))));
  const element = h("div", { class: "rule-fields" },
    field(url.id, "URL", url),
    field(description.id, `Description (optional, at most ${MAX_DESCRIPTION} characters)`, description),
    events,
    webhook ? null : h("div", { class: "choice" }, enabled, h("label", { for: enabled.id }, "Enabled")));
  const chosen = (): string[] => (everything.checked ? [] : boxes.filter((box) => box.checked).map((box) => box.value));
  const draft = (): WebhookDraft => ({
    url: url.value.trim(),
    events: chosen(),
    enabled: webhook ? webhook.enabled : enabled.checked,
    description: description.value.trim() || null,
  });
  // An empty list would mean every type: refuse it here rather than send it.
  const problem = (): string | null =>
    !everything.checked && chosen().length === 0 ? "Choose at least one event type, or All events." : null;
  return { element, draft, problem };
}

/** A signing secret, shown this once: selectable text, a Copy button, and a sentence that it
 * is not shown again. It lives in this node only (never in storage or the address), so
 * leaving the page, or Hide, forgets it. */
export function secretPanel(id: string, heading: string, secret: string, about: string): HTMLElement {
  const value = h("code", { class: "secret", id: `${id}-value` }, secret);
  const copied = h("p", { "aria-live": "polite" });
  const copy = h("button", { type: "button" }, "Copy the secret");
  copy.addEventListener("click", () => {
    // The clipboard needs a secure context and permission; selecting it lets the user copy.
    const selection = window.getSelection();
    selection?.selectAllChildren(value);
    navigator.clipboard.writeText(secret).then(
      () => { copied.textContent = "Copied to the clipboard."; },
      () => { copied.textContent = "The browser did not allow copying: the secret is selected, copy it with your keyboard."; });
  });
  const panel = h("section", { class: "secret-panel", "aria-labelledby": `${id}-heading`, tabindex: "-1" });
  const hide = h("button", { type: "button" }, "I have kept it: hide the secret");
  hide.addEventListener("click", () => {
    panel.replaceChildren(h("p", { role: "status" }, "The secret is hidden; it cannot be shown again."));
  });
  panel.append(h("h2", { id: `${id}-heading` }, heading),
    h("p", { role: "status" }, `${about} Keep it now: it will not be shown again, here or anywhere.`),
    h("p", {}, value),
    h("div", { class: "actions" }, copy, hide), copied);
  return panel;
}
