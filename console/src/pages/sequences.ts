// A campaign's sequences: the list (every member may read it), and for a role that may create
// one, the form to add a sequence. Each sequence links to its own page (edit, stats, enrollments).

import { alertSentence, h, scrollable, showPage, table } from "../dom";
import { describe } from "../errors";
import { words } from "../format";
import { may } from "../roles";
import { sequenceHref, sequencesHref } from "../router";
import type { Session } from "../session";
import type { Sequence } from "../types";
import { loadChoices } from "./rule_form";
import { sequenceFields } from "./sequence_form";

function sequencesTable(campaignId: string, sequences: Sequence[]): HTMLTableElement {
  return table(`Sequences of ${campaignId}`, ["Sequence", "Name", "Trigger", "Steps", "Status", "Enabled", "Version"],
    sequences.map((sequence) => [
      h("a", { href: sequenceHref(campaignId, sequence.sequenceId) }, sequence.sequenceId),
      sequence.name,
      words(sequence.trigger),
      sequence.steps.length,
      words(sequence.status),
      sequence.enabled ? "Yes" : "No",
      sequence.version,
    ]));
}

/** Without a campaign in config.json, ask which one. */
function chooseCampaign(): void {
  const input = h("input", { id: "campaign-id", name: "campaignId", type: "text", required: true, autocomplete: "off" });
  const form = h("form", { class: "filters", "aria-label": "Choose a campaign" },
    h("div", { class: "field" }, h("label", { for: "campaign-id" }, "Campaign id"), input),
    h("button", { type: "submit" }, "Show its sequences"));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    window.location.hash = sequencesHref(input.value.trim());
  });
  showPage("Sequences", h("h1", {}, "Sequences"), form);
}

function createForm(session: Session, campaignId: string, created: (sequence: Sequence) => void, signal: AbortSignal): HTMLElement {
  const body = h("div", {}, h("p", {}, "Loading the templates and senders…"));
  const outcome = h("div", { "aria-live": "polite" });
  loadChoices(session.api).then((choices) => {
    if (signal.aborted) return;
    const { element, draft } = sequenceFields("new-sequence", choices, null);
    const form = h("form", { "aria-labelledby": "new-sequence-heading", class: "rule-form" }, element,
      h("button", { type: "submit" }, "Create sequence"));
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      outcome.replaceChildren(h("p", {}, "Creating the sequence…"));
      session.api.createSequence(campaignId, draft()).then((sequence) => {
        if (signal.aborted) return;
        outcome.replaceChildren(h("p", { role: "status" }, `Created sequence ${sequence.sequenceId}.`),
          h("p", {}, h("a", { href: sequenceHref(campaignId, sequence.sequenceId) }, `Open ${sequence.name || sequence.sequenceId}`)));
        created(sequence);
      }).catch((error: unknown) => {
        if (!signal.aborted) outcome.replaceChildren(alertSentence(describe(error, "create a sequence")));
      });
    });
    body.replaceChildren(form);
  }).catch((error: unknown) => {
    if (!signal.aborted) body.replaceChildren(alertSentence(describe(error, "list the templates and senders for a new sequence")));
  });
  return h("section", { "aria-labelledby": "new-sequence-heading" },
    h("h2", { id: "new-sequence-heading" }, "New sequence"), body, outcome);
}

export function renderSequences(session: Session, campaignId: string | null, signal: AbortSignal): void {
  if (!campaignId) {
    chooseCampaign();
    return;
  }
  const title = `Sequences of ${campaignId}`;
  const list = h("div", { "aria-live": "polite" });
  const load = async (): Promise<void> => {
    list.replaceChildren(h("p", {}, "Loading the sequences…"));
    try {
      const sequences = await session.api.sequences(campaignId);
      if (signal.aborted) return;
      list.replaceChildren(sequences.length ? scrollable(sequencesTable(campaignId, sequences)) : h("p", {}, "This campaign has no sequences yet."));
    } catch (error) {
      if (!signal.aborted) list.replaceChildren(alertSentence(describe(error, "list the sequences")));
    }
  };
  showPage(title, h("h1", {}, title), list,
    may(session.role, "createSequence") ? createForm(session, campaignId, () => void load(), signal) : null);
  void load();
}
