// A sequence's enrollments, for its page: the leads in it (an OPERATOR route, since it names
// leads: a lower role sees the API's refusal here and nowhere else), filtered by status, a
// page at a time; for a role that may, "Stop" on each active one (confirmed in the row) and
// a form to enroll a captured lead by hand.

import { alertSentence, h, pagingButtons, scrollable, table } from "../dom";
import { describe } from "../errors";
import { time, words } from "../format";
import { may } from "../roles";
import type { Session } from "../session";
import { ENROLLMENT_STATUSES, type Enrollment, type Sequence } from "../types";
import { stepInWords } from "./sequence_form";

/** Where the enrollment is: the step it runs next, in words when it runs the version shown. */
function currentStep(sequence: Sequence, enrollment: Enrollment): string {
  if (enrollment.status !== "ACTIVE") return "Ended";
  const step = enrollment.version === sequence.version ? sequence.steps[enrollment.step] : undefined;
  return `Step ${enrollment.step + 1}${step ? `: ${stepInWords(step)}` : ` of version ${enrollment.version}`}`;
}

function nextSend(enrollment: Enrollment): string {
  if (enrollment.status !== "ACTIVE") return "";
  if (enrollment.held) return "Held until the sequence is resumed";
  return enrollment.nextStepAt ? time(enrollment.nextStepAt) : "Within a minute";
}

function exitReason(enrollment: Enrollment): string {
  const reason = enrollment.exitReason ?? "";
  return /^[A-Z_]+$/.test(reason) ? words(reason) : reason; // CONVERSION, BOUNCED…, or a sentence
}

export function enrollmentsSection(session: Session, sequence: Sequence, signal: AbortSignal): HTMLElement {
  const { api } = session;
  const { campaignId, sequenceId } = sequence;
  const results = h("div", { "aria-live": "polite" });
  const said = h("div", { "aria-live": "polite" });
  const stoppable = may(session.role, "stopEnrollment");
  let filter = "";
  let pageNumber = 1;
  let pageToken: string | undefined;

  // The Stop button asks first, in its own cell: "Stop enrollment" or "Keep it".
  const stopControl = (enrollment: Enrollment): HTMLElement => {
    const cell = h("div", { class: "inline-confirm" });
    const ask = h("button", { type: "button", "aria-label": `Stop ${enrollment.leadId}` }, "Stop");
    ask.addEventListener("click", () => {
      const yes = h("button", { type: "button" }, "Stop enrollment");
      const no = h("button", { type: "button" }, "Keep it");
      no.addEventListener("click", () => { cell.replaceChildren(ask); ask.focus(); });
      yes.addEventListener("click", () => {
        yes.disabled = true;
        api.stopEnrollment(campaignId, sequenceId, enrollment.leadId).then(() => {
          if (signal.aborted) return;
          said.replaceChildren(h("p", { role: "status" }, `Stopped the enrollment of ${enrollment.leadId}: nothing more is sent to it.`));
          void load();
        }).catch((error: unknown) => {
          if (!signal.aborted) said.replaceChildren(alertSentence(describe(error, `stop the enrollment of ${enrollment.leadId}`)));
        });
      });
      cell.replaceChildren(h("span", {}, `Stop ${enrollment.leadId}? Nothing more will be sent to it.`), yes, no);
      yes.focus();
    });
    cell.append(ask);
    return cell;
  };

  const enrollmentsTable = (enrollments: Enrollment[]): HTMLTableElement =>
    table("Enrollments, in lead order",
      ["Lead", "Status", "Current step", "Next send", "Note", "Exit reason", "Enrolled", ...(stoppable ? ["Stop"] : [])],
      enrollments.map((enrollment) => [
        enrollment.leadId,
        words(enrollment.status),
        currentStep(sequence, enrollment),
        nextSend(enrollment),
        enrollment.note ?? "",
        exitReason(enrollment),
        time(enrollment.enrolledAt),
        ...(stoppable ? [enrollment.status === "ACTIVE" ? stopControl(enrollment) : ""] : []),
      ]));

  const load = async (nextToken: string | undefined = pageToken): Promise<void> => {
    pageToken = nextToken;
    results.replaceChildren(h("p", {}, "Loading the enrollments…"));
    try {
      const answer = await api.enrollments(campaignId, sequenceId, { status: filter, ...(nextToken ? { nextToken } : {}) });
      if (signal.aborted) return;
      const next = answer.nextToken;
      const count = answer.enrollments.length;
      const controls = h("div", { class: "paging" }, ...pagingButtons(pageNumber === 1, next,
        () => { pageNumber = 1; void load(undefined); },
        (token) => { pageNumber += 1; void load(token); }));
      results.replaceChildren(
        h("p", {}, `Page ${pageNumber}: ${count} enrollment${count === 1 ? "" : "s"}${filter ? ` ${words(filter).toLowerCase()}` : ""}.`),
        count ? scrollable(enrollmentsTable(answer.enrollments)) : "", controls);
    } catch (error) {
      if (!signal.aborted) results.replaceChildren(alertSentence(describe(error, "see the sequence's enrollments")));
    }
  };

  // Filtering and enrolling call OPERATOR routes: a lower role gets neither form.
  const filters = h("form", { class: "filters", "aria-label": "Filter enrollments" },
    h("div", { class: "field" }, h("label", { for: "enrollment-status" }, "Status"),
      h("select", { id: "enrollment-status", name: "status" }, h("option", { value: "" }, "Any status"),
        ...ENROLLMENT_STATUSES.map((value) => h("option", { value }, words(value))))),
    h("button", { type: "submit" }, "Show enrollments"));
  filters.addEventListener("submit", (event) => {
    event.preventDefault();
    filter = String(new FormData(filters).get("status") ?? "");
    pageNumber = 1;
    void load(undefined);
  });
  void load();
  return h("section", { "aria-labelledby": "enrollments-heading" },
    h("h2", { id: "enrollments-heading" }, "Enrollments"),
    may(session.role, "listEnrollments") ? filters : null,
    may(session.role, "enrollLead") && sequence.status !== "ARCHIVED" ? enrollForm(session, sequence, said, () => void load(), signal) : null,
    said, results);
}

function enrollForm(session: Session, sequence: Sequence, said: HTMLElement, enrolled: () => void, signal: AbortSignal): HTMLElement {
  const lead = h("input", { id: "enroll-lead", name: "leadId", type: "text", required: true, autocomplete: "off", pattern: "[A-Za-z0-9_\\-]{1,64}" });
  const form = h("form", { class: "filters", "aria-labelledby": "enroll-heading" },
    h("div", { class: "field" }, h("label", { for: "enroll-lead" }, "Lead id"), lead),
    h("button", { type: "submit" }, "Enroll"));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const leadId = lead.value.trim();
    said.replaceChildren(h("p", {}, `Enrolling ${leadId}…`));
    session.api.enroll(sequence.campaignId, sequence.sequenceId, leadId).then((answer) => {
      if (signal.aborted) return;
      const since = time(answer.enrollment.enrolledAt);
      said.replaceChildren(h("p", { role: "status" }, answer.enrolled
        ? `Enrolled ${leadId}. ${sequence.status === "PAUSED"
          ? "It is held at its first step until the sequence is resumed."
          : "Its first step runs within a minute."}`
        : `${leadId} is already enrolled in this sequence (since ${since}); nothing changed.`));
      enrolled();
    }).catch((error: unknown) => {
      if (!signal.aborted) said.replaceChildren(alertSentence(describe(error, `enroll ${leadId}`)));
    });
  });
  return h("div", {}, h("h3", { id: "enroll-heading" }, "Enroll a lead"),
    h("p", {}, "A lead captured on this campaign, by its id."), form);
}
