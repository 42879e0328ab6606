// One email rule: for a role that may change it, the form loaded with its current version,
// saved only if the rule is still at that version (expectedVersion); a save that lost the
// race is shown with the version now stored and never overwrites it. Then the rule's runs.

import { ApiError } from "../api";
import { alertSentence, fields, h, scrollable, showPage, table } from "../dom";
import { describe, sentenceFor } from "../errors";
import { time, words } from "../format";
import { may } from "../roles";
import { messageHref, rulesHref } from "../router";
import type { Session } from "../session";
import type { EmailRule, RuleRun } from "../types";
import { loadChoices, ruleFields, ruleInWords, type Choices } from "./rule_form";

async function currentRule(session: Session, campaignId: string, ruleId: string): Promise<EmailRule> {
  const rule = (await session.api.rules(campaignId)).find((candidate) => candidate.ruleId === ruleId);
  if (!rule) throw new ApiError(404, "email_rule_not_found", `no rule ${ruleId}`);
  return rule;
}

function summary(campaignId: string, rule: EmailRule): HTMLElement {
  return fields("Rule", [
    ["Campaign", campaignId],
    ["Rule", ruleInWords(rule)],
    ["Version", String(rule.version)],
    ["Updated", time(rule.updatedAt)],
  ]);
}

/** The edit form; `shown` hears of each version it is loaded with (saved, or reloaded). */
function editForm(session: Session, campaignId: string, choices: Choices, loaded: EmailRule,
  shown: (rule: EmailRule) => void, signal: AbortSignal): HTMLElement {
  const section = h("section", { "aria-labelledby": "edit-heading" });
  const show = (rule: EmailRule): void => {
    shown(rule);
    const { element, draft } = ruleFields("rule", choices, rule);
    const outcome = h("div", { "aria-live": "polite" });
    const form = h("form", { "aria-labelledby": "edit-heading", class: "rule-form" }, element,
      h("button", { type: "submit" }, "Save changes"));
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      outcome.replaceChildren(h("p", {}, "Saving…"));
      session.api.updateRule(campaignId, rule.ruleId, draft(), rule.version).then((saved) => {
        if (signal.aborted) return;
        show(saved); // the form now holds the saved version, for the next save to expect
        section.append(h("p", { role: "status" }, `Saved: the rule is now version ${saved.version}.`));
      }).catch(async (error: unknown) => {
        if (signal.aborted) return;
        if (!(error instanceof ApiError && error.code === "version_conflict")) {
          outcome.replaceChildren(alertSentence(describe(error, "save the email rule")));
          return;
        }
        // Say what is stored now; the edits stay in the form until the user reloads.
        const stored = await currentRule(session, campaignId, rule.ruleId).catch(() => null);
        const reload = h("button", { type: "button" }, "Reload the rule");
        reload.addEventListener("click", () => { if (stored) show(stored); });
        outcome.replaceChildren(alertSentence(`${sentenceFor("version_conflict")} Your changes were not saved. ${stored
          ? `The stored rule is version ${stored.version}: ${ruleInWords(stored)}.`
          : "The stored rule could not be read."}`), stored ? reload : "");
      });
    });
    section.replaceChildren(h("h2", { id: "edit-heading" }, `Edit the rule (version ${rule.version})`), form, outcome);
  };
  show(loaded);
  return section;
}

function runsTable(runs: RuleRun[]): HTMLTableElement {
  return table("Runs, newest first", ["When", "Outcome", "Rule version", "Message", "Reason"],
    runs.map((run) => [
      time(run.at),
      words(run.outcome),
      run.ruleVersion,
      run.messageId ? h("a", { href: messageHref(run.messageId) }, run.messageId) : "",
      run.reason ?? "",
    ]));
}

function runsSection(session: Session, campaignId: string, ruleId: string, signal: AbortSignal): HTMLElement {
  const body = h("div", { "aria-live": "polite" });
  const load = async (nextToken?: string): Promise<void> => {
    body.replaceChildren(h("p", {}, "Loading the runs…"));
    try {
      const answer = await session.api.ruleRuns(campaignId, ruleId, nextToken);
      if (signal.aborted) return;
      const next = answer.nextToken;
      const more = next ? h("button", { type: "button" }, "Next page") : null;
      more?.addEventListener("click", () => void load(next ?? undefined));
      body.replaceChildren(answer.runs.length ? scrollable(runsTable(answer.runs)) : h("p", {}, "The rule has not run yet."),
        more ? h("div", { class: "paging" }, more) : "");
    } catch (error) {
      if (!signal.aborted) body.replaceChildren(alertSentence(describe(error, "see the rule's runs")));
    }
  };
  void load();
  return h("section", { "aria-labelledby": "runs-heading" }, h("h2", { id: "runs-heading" }, "Runs"), body);
}

export async function renderRule(session: Session, campaignId: string, ruleId: string, signal: AbortSignal): Promise<void> {
  const title = `Email rule ${ruleId}`;
  const back = h("p", {}, h("a", { href: rulesHref(campaignId) }, `Back to the rules of ${campaignId}`));
  showPage(title, h("h1", {}, title), h("p", { role: "status" }, "Loading the rule…"));
  try {
    const editable = may(session.role, "updateRule");
    const [rule, choices] = await Promise.all([
      currentRule(session, campaignId, ruleId), editable ? loadChoices(session.api) : null]);
    if (signal.aborted) return;
    const about = h("div", {}, summary(campaignId, rule));
    const shown = (current: EmailRule): void => about.replaceChildren(summary(campaignId, current));
    showPage(title, h("h1", {}, title), about,
      choices ? editForm(session, campaignId, choices, rule, shown, signal) : null,
      runsSection(session, campaignId, ruleId, signal),
      back);
  } catch (error) {
    if (!signal.aborted) showPage(title, h("h1", {}, title), alertSentence(describe(error, "see this email rule")), back);
  }
}
