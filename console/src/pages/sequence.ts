// One sequence: what it does, in words (its steps in order), its stats and its enrollments;
// for a role that may change it, pause or resume, archive (asked first: it is final) and the
// form loaded with its current version. Every change is a PUT of the whole sequence at the
// version shown (expectedVersion): one that lost the race is shown with the version now
// stored and never overwrites it.

import { ApiError } from "../api";
import { alertSentence, fields, h, scrollable, showPage, table } from "../dom";
import { describe, sentenceFor } from "../errors";
import { count, time, words } from "../format";
import { may } from "../roles";
import { sequencesHref } from "../router";
import type { Session } from "../session";
import type { Sequence, SequenceDraft, SequenceStatus } from "../types";
import { loadChoices, type Choices } from "./rule_form";
import { enrollmentsSection } from "./sequence_enrollments";
import { asDraft, sequenceFields, sequenceInWords, stepInWords } from "./sequence_form";

function summary(sequence: Sequence): HTMLElement {
  return h("div", {},
    fields("Sequence", [
      ["Campaign", sequence.campaignId],
      ["Name", sequence.name || "(no name)"],
      ["Trigger", words(sequence.trigger)],
      ["Exits on", sequence.exitOn.length ? sequence.exitOn.map(words).join(", ") : "Nothing: a lead goes on to the last step"],
      ["Enabled", sequence.enabled ? "Yes" : "No"],
      ["Status", words(sequence.status) + (sequence.testMode ? " (test sends)" : "")],
      ["Version", String(sequence.version)],
      ["Updated", time(sequence.updatedAt)],
    ]),
    h("h2", { id: "steps-heading" }, "Steps"),
    h("ol", { class: "steps-in-words", "aria-labelledby": "steps-heading" },
      ...sequence.steps.map((step) => h("li", {}, stepInWords(step)))));
}

function statsSection(session: Session, sequence: Sequence, signal: AbortSignal): HTMLElement {
  const body = h("div", { "aria-live": "polite" }, h("p", {}, "Loading the stats…"));
  session.api.sequenceStats(sequence.campaignId, sequence.sequenceId).then((stats) => {
    if (signal.aborted) return;
    const exits = Object.entries(stats.exited);
    const sent = stats.sentByStep.map(({ step, sent: made }) => {
      const shown = sequence.steps[step];
      return [`Step ${step + 1}`, shown ? stepInWords(shown) : "", count(made)];
    });
    body.replaceChildren(
      fields("Sequence stats", [
        ["Enrolled", count(stats.enrolled)],
        ["Active", count(stats.active)],
        ["Completed", count(stats.completed)],
        ["Stopped", count(stats.stopped)],
        ["Exited", exits.length ? exits.map(([reason, n]) => `${words(reason)}: ${count(n)}`).join(", ") : "None"],
      ]),
      sent.length ? scrollable(table("Sent per step", ["Step", "What it does now", "Messages made"], sent))
        : h("p", {}, "No step has sent a message yet."),
      h("p", { class: "hint" }, "Counted from the event stream: a few seconds behind."));
  }).catch((error: unknown) => {
    if (!signal.aborted) body.replaceChildren(alertSentence(describe(error, "see the sequence's stats")));
  });
  return h("section", { "aria-labelledby": "stats-heading" }, h("h2", { id: "stats-heading" }, "Stats"), body);
}

/** Say a change was refused because someone else saved first, with what is stored now. */
async function conflict(session: Session, sequence: Sequence, what: string, reload: (stored: Sequence) => void): Promise<HTMLElement[]> {
  const stored = await session.api.sequence(sequence.campaignId, sequence.sequenceId).catch(() => null);
  const button = h("button", { type: "button" }, "Reload the sequence");
  button.addEventListener("click", () => { if (stored) reload(stored); });
  return [alertSentence(`${sentenceFor("version_conflict")} ${what} ${stored
    ? `The stored sequence is version ${stored.version}: ${sequenceInWords(stored)}.`
    : "The stored sequence could not be read."}`), ...(stored ? [button] : [])];
}

/** Pause or resume, and archive: each a PUT of the sequence as shown with only its status changed. */
function statusSection(session: Session, sequence: Sequence, show: (saved: Sequence, said?: string) => void,
  signal: AbortSignal): HTMLElement {
  const outcome = h("div", { "aria-live": "polite" });
  const change = (status: SequenceStatus, done: string): void => {
    outcome.replaceChildren(h("p", {}, "Saving…"));
    const draft: SequenceDraft = { ...asDraft(sequence), status };
    session.api.updateSequence(sequence.campaignId, sequence.sequenceId, draft, sequence.version).then((saved) => {
      if (!signal.aborted) show(saved, `${done} It is now version ${saved.version}.`);
    }).catch(async (error: unknown) => {
      if (signal.aborted) return;
      outcome.replaceChildren(...(error instanceof ApiError && error.code === "version_conflict"
        ? await conflict(session, sequence, "Its status was not changed.", (stored) => show(stored, `Reloaded: the page shows version ${stored.version}.`))
        : [alertSentence(describe(error, "change the sequence's status"))]));
    });
  };
  const paused = sequence.status === "PAUSED";
  const toggle = h("button", { type: "button" }, paused ? "Resume" : "Pause");
  toggle.addEventListener("click", () => paused
    ? change("ACTIVE", "Resumed: held enrollments send their due step now.")
    : change("PAUSED", "Paused: nothing is sent until it is resumed."));
  const archive = h("button", { type: "button" }, "Archive");
  const controls = h("div", { class: "inline-confirm" }, toggle, archive);
  archive.addEventListener("click", () => {
    const yes = h("button", { type: "button" }, "Archive it");
    const no = h("button", { type: "button" }, "Keep it");
    no.addEventListener("click", () => { controls.replaceChildren(toggle, archive); archive.focus(); });
    yes.addEventListener("click", () => change("ARCHIVED", "Archived: its active enrollments are being stopped."));
    controls.replaceChildren(h("span", {}, "Archive this sequence? It is final: every active enrollment is stopped, and the sequence can no longer change or enroll anyone."), yes, no);
    no.focus(); // the safe choice first
  });
  return h("section", { "aria-labelledby": "status-heading" }, h("h2", { id: "status-heading" }, "Status"),
    h("p", {}, paused ? "The sequence is paused: each enrollment is held when its next step comes due."
      : sequence.enabled ? "The sequence is active."
        : "The sequence is active but disabled: campaign events enroll no one in it, and a lead enrolled by hand goes through its steps."),
    controls, outcome);
}

function editForm(session: Session, choices: Choices, sequence: Sequence, show: (saved: Sequence, said?: string) => void,
  signal: AbortSignal): HTMLElement {
  const { element, draft } = sequenceFields("sequence", choices, sequence);
  const outcome = h("div", { "aria-live": "polite" });
  const form = h("form", { "aria-labelledby": "edit-heading", class: "rule-form" }, element,
    h("button", { type: "submit" }, "Save changes"));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    outcome.replaceChildren(h("p", {}, "Saving…"));
    session.api.updateSequence(sequence.campaignId, sequence.sequenceId, draft(), sequence.version).then((saved) => {
      // The page now holds the saved version, for the next change to expect.
      if (!signal.aborted) show(saved, `Saved: the sequence is now version ${saved.version}.`);
    }).catch(async (error: unknown) => {
      if (signal.aborted) return;
      // On a conflict the edits stay in the form until the user reloads.
      outcome.replaceChildren(...(error instanceof ApiError && error.code === "version_conflict"
        ? await conflict(session, sequence, "Your changes were not saved.", (stored) => show(stored, `Reloaded: the form holds version ${stored.version}.`))
        : [alertSentence(describe(error, "save the sequence"))]));
    });
  });
  return h("section", { "aria-labelledby": "edit-heading" },
    h("h2", { id: "edit-heading" }, `Edit the sequence (version ${sequence.version})`), form, outcome);
}

export async function renderSequence(session: Session, campaignId: string, sequenceId: string, signal: AbortSignal): Promise<void> {
  const title = `Sequence ${sequenceId}`;
  const back = h("p", {}, h("a", { href: sequencesHref(campaignId) }, `Back to the sequences of ${campaignId}`));
  showPage(title, h("h1", {}, title), h("p", { role: "status" }, "Loading the sequence…"));
  try {
    const editable = may(session.role, "updateSequence");
    const [loaded, choices] = await Promise.all([
      session.api.sequence(campaignId, sequenceId), editable ? loadChoices(session.api) : null]);
    if (signal.aborted) return;
    // Each version the page learns of (saved here, or reloaded after a conflict) is shown
    // whole again, so every control expects that version.
    const show = (sequence: Sequence, said?: string): void => {
      const archived = sequence.status === "ARCHIVED";
      const news = said ? h("p", { role: "status", tabindex: "-1" }, said) : null;
      showPage(title, h("h1", {}, title), news, summary(sequence),
        archived ? h("p", {}, "This sequence is archived: it can no longer change or enroll anyone. Create a new one instead.") : null,
        choices && !archived ? statusSection(session, sequence, show, signal) : null,
        choices && !archived ? editForm(session, choices, sequence, show, signal) : null,
        statsSection(session, sequence, signal),
        enrollmentsSection(session, sequence, signal),
        back);
      news?.focus(); // the control pressed is gone: the keyboard starts at what happened
    };
    show(loaded);
  } catch (error) {
    if (!signal.aborted) showPage(title, h("h1", {}, title), alertSentence(describe(error, "see this sequence")), back);
  }
}
