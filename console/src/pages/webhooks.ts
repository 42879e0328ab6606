// Webhooks: the handle's endpoints (every webhook route is OPERATOR's, so a CREATOR sees the
// API's refusal), and for a role that may create one, the form to add an endpoint. The new
// endpoint's signing secret is shown here once; each endpoint links to its own page.

import { alertSentence, h, scrollable, showPage, table } from "../dom";
import { describe } from "../errors";
import { time } from "../format";
import { may } from "../roles";
import { webhookHref } from "../router";
import type { Session } from "../session";
import type { Webhook, WebhookWithSecret } from "../types";
import { eventsInWords, secretPanel, statusInWords, webhookFields } from "./webhook_form";

// A sentence for the list's next showing: the endpoint page says there what it deleted.
let note: string | null = null;

export function noteForTheList(sentence: string): void {
  note = sentence;
}

function webhooksTable(webhooks: Webhook[]): HTMLTableElement {
  const made = table("Webhook endpoints", ["Endpoint", "URL", "Events", "Status", "Description", "Updated"],
    webhooks.map((webhook) => [
      h("a", { href: webhookHref(webhook.webhookId) }, webhook.webhookId),
      h("span", { class: "url" }, webhook.url),
      eventsInWords(webhook.events),
      statusInWords(webhook),
      webhook.description ?? "",
      time(webhook.updatedAt),
    ]));
  made.classList.add("webhook-list");
  return made;
}

function createForm(session: Session, created: (made: WebhookWithSecret) => void, signal: AbortSignal): HTMLElement {
  const outcome = h("div", { "aria-live": "polite" });
  const build = (): HTMLFormElement => {
    const { element, draft, problem } = webhookFields("new-webhook", null);
    const form = h("form", { "aria-labelledby": "new-webhook-heading", class: "rule-form" }, element,
      h("button", { type: "submit" }, "Create endpoint"));
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const refused = problem();
      if (refused) {
        outcome.replaceChildren(alertSentence(refused));
        return;
      }
      outcome.replaceChildren(h("p", {}, "Creating the endpoint…"));
      session.api.createWebhook(draft()).then((made) => {
        if (signal.aborted) return;
        form.replaceWith(build()); // an empty form for the next one
        outcome.replaceChildren(h("p", { role: "status" }, `Created endpoint ${made.webhook.webhookId}.`));
        created(made);
      }).catch((error: unknown) => {
        if (!signal.aborted) outcome.replaceChildren(alertSentence(describe(error, "create a webhook endpoint")));
      });
    });
    return form;
  };
  return h("section", { "aria-labelledby": "new-webhook-heading" },
    h("h2", { id: "new-webhook-heading" }, "New endpoint"),
    h("p", {}, "The endpoint receives each event as a signed POST. Its signing secret is shown once, when it is created."),
    build(), outcome);
}

export function renderWebhooks(session: Session, signal: AbortSignal): void {
  const list = h("div", { "aria-live": "polite" });
  // Where a new endpoint's secret is shown: above the list, once, until the page changes.
  const secret = h("div", {});
  const load = async (): Promise<void> => {
    list.replaceChildren(h("p", {}, "Loading the webhook endpoints…"));
    try {
      const webhooks = await session.api.webhooks();
      if (signal.aborted) return;
      list.replaceChildren(webhooks.length ? scrollable(webhooksTable(webhooks)) : h("p", {}, "This handle has no webhook endpoints yet."));
    } catch (error) {
      if (!signal.aborted) list.replaceChildren(alertSentence(describe(error, "list the webhook endpoints")));
    }
  };
  const created = (made: WebhookWithSecret): void => {
    const id = made.webhook.webhookId;
    const panel = secretPanel("new-secret", `Signing secret of ${id}`, made.secret,
      `This is the signing secret of ${made.webhook.url}: your receiver verifies each request with it.`);
    panel.append(h("p", {}, h("a", { href: webhookHref(id) }, `Open endpoint ${id}`)));
    secret.replaceChildren(panel);
    panel.focus();
    void load();
  };
  const told = note;
  note = null;
  showPage("Webhooks", h("h1", {}, "Webhooks"), told ? h("p", { role: "status" }, told) : null, secret, list,
    may(session.role, "createWebhook") ? createForm(session, created, signal) : null);
  void load();
}
