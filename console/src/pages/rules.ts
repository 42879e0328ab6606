// A campaign's email rules: the list (every member may read it), and for a role that may
// create one, the form to add a rule. Each rule links to its own page (edit, runs).

import { alertSentence, h, scrollable, showPage, table } from "../dom";
import { describe } from "../errors";
import { time, words } from "../format";
import { may } from "../roles";
import { ruleHref, rulesHref } from "../router";
import type { Session } from "../session";
import type { EmailRule } from "../types";
import { loadChoices, ruleFields } from "./rule_form";

function rulesTable(campaignId: string, rules: EmailRule[]): HTMLTableElement {
  return table(`Email rules of ${campaignId}`, ["Rule", "Trigger", "Template", "Sender", "Enabled", "Version", "Updated"],
    rules.map((rule) => [
      h("a", { href: ruleHref(campaignId, rule.ruleId) }, rule.ruleId),
      words(rule.trigger) + (rule.delayMinutes !== null ? `, ${rule.delayMinutes} minutes after` : ""),
      rule.templateId,
      rule.senderId,
      rule.enabled ? "Yes" : "No",
      rule.version,
      time(rule.updatedAt),
    ]));
}

/** Without a campaign in config.json, ask which one. */
function chooseCampaign(): void {
  const input = h("input", { id: "campaign-id", name: "campaignId", type: "text", required: true, autocomplete: "off" });
  const form = h("form", { class: "filters", "aria-label": "Choose a campaign" },
    h("div", { class: "field" }, h("label", { for: "campaign-id" }, "Campaign id"), input),
    h("button", { type: "submit" }, "Show its rules"));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    window.location.hash = rulesHref(input.value.trim());
  });
  showPage("Email rules", h("h1", {}, "Email rules"), form);
}

function createForm(session: Session, campaignId: string, created: (rule: EmailRule) => void, signal: AbortSignal): HTMLElement {
  const body = h("div", {}, h("p", {}, "Loading the templates and senders…"));
  const outcome = h("div", { "aria-live": "polite" });
  loadChoices(session.api).then((choices) => {
    if (signal.aborted) return;
    const { element, draft } = ruleFields("new-rule", choices, null);
    const form = h("form", { "aria-labelledby": "new-rule-heading", class: "rule-form" }, element,
      h("button", { type: "submit" }, "Create rule"));
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      outcome.replaceChildren(h("p", {}, "Creating the rule…"));
      session.api.createRule(campaignId, draft()).then((rule) => {
        if (signal.aborted) return;
        outcome.replaceChildren(h("p", { role: "status" }, `Created rule ${rule.ruleId}.`));
        created(rule);
      }).catch((error: unknown) => {
        if (!signal.aborted) outcome.replaceChildren(alertSentence(describe(error, "create an email rule")));
      });
    });
    body.replaceChildren(form);
  }).catch((error: unknown) => {
    if (!signal.aborted) body.replaceChildren(alertSentence(describe(error, "list the templates and senders for a new rule")));
  });
  return h("section", { "aria-labelledby": "new-rule-heading" },
    h("h2", { id: "new-rule-heading" }, "New rule"), body, outcome);
}

export function renderRules(session: Session, campaignId: string | null, signal: AbortSignal): void {
  if (!campaignId) {
    chooseCampaign();
    return;
  }
  const title = `Email rules of ${campaignId}`;
  const list = h("div", { "aria-live": "polite" });
  const load = async (): Promise<void> => {
    list.replaceChildren(h("p", {}, "Loading the email rules…"));
    try {
      const rules = await session.api.rules(campaignId);
      if (signal.aborted) return;
      list.replaceChildren(rules.length ? scrollable(rulesTable(campaignId, rules)) : h("p", {}, "This campaign has no email rules yet."));
    } catch (error) {
      if (!signal.aborted) list.replaceChildren(alertSentence(describe(error, "list the email rules")));
    }
  };
  showPage(title, h("h1", {}, title), list,
    may(session.role, "createRule") ? createForm(session, campaignId, () => void load(), signal) : null);
  void load();
}
