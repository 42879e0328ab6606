// An endpoint's delivery log: its deliveries, newest first, filtered by status, 25 to a page
// (the API's nextToken), one row per attempt; for a role that may, Replay per delivery and a
// form to replay a window of events.

import type { Api } from "../api";
import { alertSentence, h, pagingButtons, scrollable, table, type Child } from "../dom";
import { describe } from "../errors";
import { time, words } from "../format";
import { may } from "../roles";
import type { Session } from "../session";
import { DELIVERY_STATUSES, type DeliveryAttempt, type WebhookDelivery } from "../types";

/** An attempt's outcome in words: the receiver's answer, or why there was none. */
export function attemptInWords(attempt: DeliveryAttempt): string {
  const answer = attempt.httpStatus !== null ? `HTTP ${attempt.httpStatus}` : "no answer";
  const latency = attempt.latencyMs !== null ? ` in ${attempt.latencyMs} ms` : "";
  return `${answer}${latency}${attempt.error ? ` (${attempt.error})` : ""}`;
}

function deliveryStatus(delivery: WebhookDelivery): string {
  const next = delivery.nextAttemptAt ? `, next attempt ${time(delivery.nextAttemptAt)}` : "";
  return `${words(delivery.status)}${next}`;
}

/** One row per attempt (a delivery not attempted yet has one row saying so); the delivery's
 * first row has its Replay button. */
function deliveriesTable(deliveries: WebhookDelivery[], replay: ((delivery: WebhookDelivery) => HTMLElement) | null): HTMLTableElement {
  const rows: Child[][] = deliveries.flatMap((delivery) => {
    const attempts: (DeliveryAttempt | null)[] = delivery.attempts.length ? delivery.attempts : [null];
    return attempts.map((attempt, index) => [
      delivery.deliveryId,
      delivery.eventType,
      deliveryStatus(delivery),
      attempt ? `${index + 1} of ${attempts.length}` : "Not attempted yet",
      attempt ? time(attempt.at) : "",
      attempt?.httpStatus ?? "",
      attempt?.latencyMs != null ? `${attempt.latencyMs} ms` : "",
      attempt?.error ?? "",
      ...(replay ? [index === 0 ? replay(delivery) : ""] : []),
    ]);
  });
  const made = table("Deliveries, newest first", [
    "Delivery", "Event", "Status", "Attempt", "Attempted at", "HTTP status", "Latency", "Error",
    ...(replay ? ["Replay"] : []),
  ], rows);
  made.classList.add("delivery-log");
  return made;
}

function replayWindowForm(api: Api, webhookId: string, signal: AbortSignal): HTMLElement {
  const input = (name: string): HTMLInputElement =>
    h("input", { id: `replay-${name}`, name, type: "datetime-local", required: true, step: "60" });
  const since = input("since");
  const until = input("until");
  const outcome = h("div", { "aria-live": "polite" });
  const form = h("form", { class: "filters", "aria-labelledby": "replay-window-heading" },
    h("div", { class: "field" }, h("label", { for: since.id }, "From (UTC)"), since),
    h("div", { class: "field" }, h("label", { for: until.id }, "Until (UTC)"), until),
    h("button", { type: "submit" }, "Replay the window"));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    outcome.replaceChildren(h("p", {}, "Queuing the window's deliveries…"));
    // The inputs hold UTC wall times (the console shows UTC throughout): say so to the API.
    api.replayWebhookWindow(webhookId, `${since.value}:00Z`, `${until.value}:00Z`).then((answer) => {
      if (signal.aborted) return;
      const more = answer.truncated ? " There were more: replay again from the last one's time." : "";
      outcome.replaceChildren(h("p", { role: "status" },
        `Queued ${answer.replayed} deliver${answer.replayed === 1 ? "y" : "ies"} to be sent again, oldest first.${more}`));
    }).catch((error: unknown) => {
      if (!signal.aborted) outcome.replaceChildren(alertSentence(describe(error, "replay the window's deliveries")));
    });
  });
  return h("section", { "aria-labelledby": "replay-window-heading" },
    h("h3", { id: "replay-window-heading" }, "Replay a window"),
    h("p", {}, "Sends again every delivery of the events that happened between the two times (at most 14 days apart; 500 a time), oldest first, each with the webhook-id it had before, so your receiver can drop the ones it already has."),
    form, outcome);
}

/** The log's section; `reload()` reads the page shown again (after a test or a replay). */
export function deliveriesSection(session: Session, webhookId: string, signal: AbortSignal): {
  element: HTMLElement;
  reload: () => void;
} {
  const { api } = session;
  const results = h("div", { "aria-live": "polite" });
  const said = h("div", { "aria-live": "polite" });
  const statusSelect = h("select", { id: "delivery-status", name: "status" },
    h("option", { value: "" }, "Any status"),
    ...DELIVERY_STATUSES.map((value) => h("option", { value }, words(value))));
  const filters = h("form", { class: "filters", "aria-label": "Filter deliveries" },
    h("div", { class: "field" }, h("label", { for: statusSelect.id }, "Status"), statusSelect),
    h("button", { type: "submit" }, "Show deliveries"));
  let status = "";
  let pageToken: string | undefined;
  let pageNumber = 1;

  const replayButton = (delivery: WebhookDelivery): HTMLElement => {
    const button = h("button", { type: "button", "aria-label": `Replay ${delivery.deliveryId}` }, "Replay");
    button.addEventListener("click", () => {
      button.disabled = true;
      said.replaceChildren(h("p", {}, `Queuing ${delivery.deliveryId} again…`));
      api.replayWebhookDelivery(webhookId, delivery.deliveryId).then(() => {
        if (signal.aborted) return;
        said.replaceChildren(h("p", { role: "status" },
          `Replay of ${delivery.deliveryId} queued: it is sent again in a few seconds, with the same webhook-id, and its attempt is added to its rows here. Refresh the log to see it.`));
      }).catch((error: unknown) => {
        if (!signal.aborted) said.replaceChildren(alertSentence(describe(error, `replay ${delivery.deliveryId}`)));
      }).finally(() => { button.disabled = false; });
    });
    return button;
  };

  const load = async (): Promise<void> => {
    results.replaceChildren(h("p", {}, "Loading the deliveries…"));
    try {
      const answer = await api.webhookDeliveries(webhookId, { status, ...(pageToken ? { nextToken: pageToken } : {}) });
      if (signal.aborted) return;
      const next = answer.nextToken;
      const count = answer.deliveries.length;
      const summary = h("p", { role: "status" }, `Page ${pageNumber}: ${count} deliver${count === 1 ? "y" : "ies"}`
        + (count === 0 && next ? " match the filter here; there are more pages." : "."));
      const controls = h("div", { class: "actions" });
      const refresh = h("button", { type: "button" }, "Refresh the log");
      refresh.addEventListener("click", () => void load());
      controls.append(refresh, ...pagingButtons(pageNumber === 1, next,
        () => { pageNumber = 1; pageToken = undefined; void load(); },
        (token) => { pageNumber += 1; pageToken = token; void load(); }));
      const replay = may(session.role, "replayWebhookDelivery") ? replayButton : null;
      results.replaceChildren(summary,
        count ? scrollable(deliveriesTable(answer.deliveries, replay)) : "",
        count === 0 && !next && pageNumber === 1 ? h("p", {}, "Nothing was attempted yet (the log keeps 14 days).") : "",
        controls);
    } catch (error) {
      if (!signal.aborted) results.replaceChildren(alertSentence(describe(error, "see the endpoint's deliveries")));
    }
  };

  filters.addEventListener("submit", (event) => {
    event.preventDefault();
    status = statusSelect.value;
    pageNumber = 1;
    pageToken = undefined;
    void load();
  });
  void load();
  const element = h("section", { "aria-labelledby": "deliveries-heading" },
    h("h2", { id: "deliveries-heading" }, "Delivery log"),
    filters, said, results,
    may(session.role, "replayWebhookWindow") ? replayWindowForm(api, webhookId, signal) : null);
  return { element, reload: () => void load() };
}
