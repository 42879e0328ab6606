// One webhook endpoint: its fields; for a role that may, enable or disable it, send a test
// event (and say what became of it), rotate its secret (the new one shown once), delete it,
// and the edit form, saved only if the endpoint is still at the version it was loaded with
// (expectedVersion), as the rule page does. Then its delivery log.

import { ApiError } from "../api";
import { alertSentence, fields, h, showPage } from "../dom";
import { describe, sentenceFor } from "../errors";
import { time } from "../format";
import { may } from "../roles";
import type { Session } from "../session";
import type { Webhook, WebhookDelivery } from "../types";
import { attemptInWords, deliveriesSection } from "./webhook_deliveries";
import { eventsInWords, secretPanel, statusInWords, webhookFields, webhookInWords } from "./webhook_form";
import { noteForTheList } from "./webhooks";

// The delivery pipeline is asynchronous: after a test, the page reads the log this often,
// for at most this long, for the test's first attempt (a busy sender has a backlog).
const POLL_MS = 2_000;
const TEST_WAIT_MS = 120_000;

function summary(webhook: Webhook): HTMLElement {
  return fields("Endpoint", [
    ["URL", webhook.url],
    ["Events", eventsInWords(webhook.events)],
    ["Status", statusInWords(webhook)],
    ["Description", webhook.description ?? "None"],
    ["Version", String(webhook.version)],
    ["Created", time(webhook.createdAt)],
    ["Updated", time(webhook.updatedAt)],
  ]);
}

function button(label: string, act: () => void): HTMLButtonElement {
  const made = h("button", { type: "button" }, label);
  made.addEventListener("click", act);
  return made;
}

/** A question asked in the page before a destructive action: `yes` acts, Cancel goes back. */
function confirmation(id: string, question: string, yes: string, act: () => void, cancel: () => void): HTMLElement {
  return h("div", { class: "confirm", role: "group", "aria-labelledby": id, tabindex: "-1" },
    h("p", { id }, question),
    h("div", { class: "actions" }, button(yes, act), button("Cancel", cancel)));
}

/** The edit form; `rebase` takes a version this page itself saved (enabled, disabled,
 * rotated) as the one to expect, keeping the edits in the form. */
function editForm(session: Session, loaded: Webhook, shown: (webhook: Webhook) => void, signal: AbortSignal): {
  element: HTMLElement;
  rebase: (webhook: Webhook) => void;
} {
  const section = h("section", { "aria-labelledby": "edit-heading" });
  let base = loaded;
  const heading = h("h2", { id: "edit-heading" });
  const show = (webhook: Webhook): void => {
    base = webhook;
    const { element, draft, problem } = webhookFields("webhook", webhook);
    const outcome = h("div", { "aria-live": "polite" });
    const form = h("form", { "aria-labelledby": "edit-heading", class: "rule-form" }, element,
      h("button", { type: "submit" }, "Save changes"));
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const refused = problem();
      if (refused) {
        outcome.replaceChildren(alertSentence(refused));
        return;
      }
      outcome.replaceChildren(h("p", {}, "Saving…"));
      // enabled as the page now has it (Enable and Disable change it, not this form).
      session.api.updateWebhook(base.webhookId, { ...draft(), enabled: base.enabled }, base.version).then((saved) => {
        if (signal.aborted) return;
        shown(saved);
        show(saved); // the form now holds the saved version, for the next save to expect
        section.append(h("p", { role: "status" }, `Saved: the endpoint is now version ${saved.version}.`));
      }).catch(async (error: unknown) => {
        if (signal.aborted) return;
        if (!(error instanceof ApiError && error.code === "version_conflict")) {
          outcome.replaceChildren(alertSentence(describe(error, "save the webhook endpoint")));
          return;
        }
        // Say what is stored now; the edits stay in the form until the user reloads.
        const stored = await session.api.webhook(base.webhookId).catch(() => null);
        const reload = button("Reload the endpoint", () => { if (stored) { shown(stored); show(stored); } });
        outcome.replaceChildren(alertSentence(`${sentenceFor("version_conflict")} Your changes were not saved. ${stored
          ? `The stored endpoint is version ${stored.version}: ${webhookInWords(stored)}.`
          : "The stored endpoint could not be read."}`), stored ? reload : "");
      });
    });
    heading.textContent = `Edit the endpoint (version ${webhook.version})`;
    section.replaceChildren(heading, form, outcome);
  };
  show(loaded);
  const rebase = (webhook: Webhook): void => {
    base = webhook;
    heading.textContent = `Edit the endpoint (version ${webhook.version})`;
  };
  return { element: section, rebase };
}

async function firstAttempt(session: Session, webhookId: string, deliveryId: string, signal: AbortSignal): Promise<WebhookDelivery | null> {
  const deadline = Date.now() + TEST_WAIT_MS;
  while (!signal.aborted && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    const answer = await session.api.webhookDeliveries(webhookId, {}).catch(() => null);
    const found = answer?.deliveries.find((delivery) => delivery.deliveryId === deliveryId);
    if (found?.attempts.length) return found;
  }
  return null;
}

/** What became of a test event, in a sentence, once its first attempt is logged. */
function testOutcome(delivery: WebhookDelivery | null): string {
  const attempt = delivery?.attempts[0];
  if (!delivery || !attempt) return "The test event was queued, but it has not been attempted yet: refresh the delivery log later.";
  const answer = attemptInWords(attempt);
  if (delivery.status === "SUCCEEDED") return `The test event (${delivery.deliveryId}) was delivered: your endpoint answered ${answer}.`;
  const next = delivery.nextAttemptAt ? ` It is tried again at ${time(delivery.nextAttemptAt)}.` : "";
  return `The test event (${delivery.deliveryId}) was not accepted: ${answer}.${next}`;
}

export async function renderWebhook(session: Session, webhookId: string, signal: AbortSignal): Promise<void> {
  const title = `Webhook endpoint ${webhookId}`;
  const back = h("p", {}, h("a", { href: "#/webhooks" }, "Back to the webhook endpoints"));
  showPage(title, h("h1", {}, title), h("p", { role: "status" }, "Loading the endpoint…"));
  let webhook: Webhook;
  try {
    webhook = await session.api.webhook(webhookId);
  } catch (error) {
    if (!signal.aborted) showPage(title, h("h1", {}, title), alertSentence(describe(error, "see this webhook endpoint")), back);
    return;
  }
  if (signal.aborted) return;
  const { api, role } = session;
  const about = h("div", {});
  const secret = h("div", {}); // a rotated secret, shown once
  const controls = h("div", { class: "actions" });
  const hint = h("p", {});
  const asking = h("div", {});
  const outcome = h("div", { "aria-live": "polite" });
  const log = deliveriesSection(session, webhookId, signal);
  let editor: ReturnType<typeof editForm> | null = null;

  const say = (sentence: string): void => outcome.replaceChildren(h("p", { role: "status" }, sentence));
  const failed = (action: string) => (error: unknown): void => {
    if (!signal.aborted) outcome.replaceChildren(alertSentence(describe(error, action)));
  };
  const ask = (id: string, question: string, yes: string, act: () => void): void => {
    const box = confirmation(id, question, yes, () => { asking.replaceChildren(); act(); }, () => {
      asking.replaceChildren();
      say("Nothing was changed.");
    });
    asking.replaceChildren(box);
    box.focus();
  };
  // A change this page made: shown, and the version the edit form expects from now on.
  const changed = (saved: Webhook): void => {
    shown(saved);
    editor?.rebase(saved);
  };

  const setEnabled = (enabled: boolean): void => {
    say(enabled ? "Enabling the endpoint…" : "Disabling the endpoint…");
    const draft = { url: webhook.url, events: webhook.events, description: webhook.description, enabled };
    api.updateWebhook(webhookId, draft, webhook.version).then((saved) => {
      if (signal.aborted) return;
      changed(saved);
      say(enabled ? "Enabled: the endpoint receives its events again." : "Disabled: the endpoint receives no events; deliveries not yet sent were cancelled.");
    }).catch(async (error: unknown) => {
      if (signal.aborted) return;
      if (!(error instanceof ApiError && error.code === "version_conflict")) return failed(enabled ? "enable the endpoint" : "disable the endpoint")(error);
      const stored = await api.webhook(webhookId).catch(() => null);
      if (stored) shown(stored);
      outcome.replaceChildren(alertSentence(`${sentenceFor("version_conflict")} Nothing was changed. ${stored
        ? `The stored endpoint is version ${stored.version}: ${webhookInWords(stored)}.` : ""}`));
    });
  };

  const sendTest = (): void => {
    say("Queuing a test event…");
    api.sendWebhookTest(webhookId).then(async (delivery) => {
      if (signal.aborted) return;
      say(`Test event queued as ${delivery.deliveryId}; waiting for its first attempt…`);
      const attempted = await firstAttempt(session, webhookId, delivery.deliveryId, signal);
      if (signal.aborted) return;
      say(testOutcome(attempted));
      log.reload();
    }).catch(failed("send a test event"));
  };

  const rotate = (): void => {
    say("Rotating the signing secret…");
    api.rotateWebhookSecret(webhookId).then((rotated) => {
      if (signal.aborted) return;
      changed(rotated.webhook);
      const overlap = rotated.previousSecretExpiresAt
        ? ` The previous secret also signs every delivery until ${time(rotated.previousSecretExpiresAt)} (24 hours), so switch your receiver to the new one before then.`
        : " No previous secret signs beside it.";
      const panel = secretPanel("rotated-secret", "New signing secret", rotated.secret,
        `This is the new signing secret of ${rotated.webhook.url}.${overlap}`);
      secret.replaceChildren(panel);
      say("Rotated: the new secret is shown above.");
      panel.focus();
    }).catch(failed("rotate the signing secret"));
  };

  const remove = (): void => {
    say("Deleting the endpoint…");
    api.deleteWebhook(webhookId).then(() => {
      if (signal.aborted) return;
      noteForTheList(`Deleted endpoint ${webhookId} (${webhook.url}): it receives nothing more, and its secrets are forgotten.`);
      window.location.hash = "#/webhooks";
    }).catch(failed("delete the endpoint"));
  };

  const showControls = (): void => {
    const made: HTMLElement[] = [];
    if (may(role, "updateWebhook")) {
      made.push(webhook.enabled
        ? button("Disable endpoint", () => ask("disable-question",
          `Disable ${webhook.url}? It receives no events while disabled, and deliveries not yet sent are cancelled (enable it again and replay them).`,
          "Disable the endpoint", () => setEnabled(false)))
        : button("Enable endpoint", () => setEnabled(true)));
    }
    if (may(role, "sendWebhookTest") && webhook.enabled) made.push(button("Send a test event", sendTest));
    if (may(role, "rotateWebhookSecret")) {
      made.push(button("Rotate the secret", () => ask("rotate-question",
        "Rotate the signing secret? A new secret is made and shown once; the current one keeps signing beside it for 24 hours, so your receiver can switch without missing a delivery. Rotating again within those 24 hours stops the older secret at once.",
        "Rotate the secret now", rotate)));
    }
    if (may(role, "deleteWebhook")) {
      made.push(button("Delete endpoint", () => ask("delete-question",
        `Delete ${webhook.url}? Its deliveries stop at once and its secrets are forgotten; this cannot be undone (its delivery log stays readable for 14 days).`,
        "Delete the endpoint", remove)));
    }
    controls.replaceChildren(...made);
    hint.textContent = webhook.enabled ? "" : "A disabled endpoint takes no test events or replays: enable it first.";
    hint.hidden = webhook.enabled;
  };
  const shown = (current: Webhook): void => {
    webhook = current;
    about.replaceChildren(summary(current));
    showControls();
  };
  shown(webhook);

  const acting = controls.childElementCount > 0;
  editor = may(role, "updateWebhook") ? editForm(session, webhook, shown, signal) : null;
  showPage(title, h("h1", {}, title), about, secret,
    acting ? h("section", { "aria-labelledby": "actions-heading" },
      h("h2", { id: "actions-heading" }, "Actions"),
      hint, controls, asking, outcome) : null,
    editor?.element, log.element, back);
}
