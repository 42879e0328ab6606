// Suppressions: the addresses this handle never sends to, by address, 25 to a page (the API's
// nextToken). For a role that may: a form to add one (for every purpose or only some), and
// Remove, which asks in the page first. Listing is an OPERATOR route too: a lower role sees
// the API's refusal.

import { alertSentence, h, pagingButtons, scrollable, showPage, table } from "../dom";
import { describe } from "../errors";
import { time, words } from "../format";
import { may } from "../roles";
import type { Session } from "../session";
import { PURPOSES, type Purpose, type Suppression } from "../types";

function purposesInWords(purposes: Purpose[] | null): string {
  return purposes ? purposes.map(words).join(", ") : "Every purpose";
}

function addForm(session: Session, added: (suppression: Suppression) => void, signal: AbortSignal): HTMLElement {
  const email = h("input", {
    id: "suppress-email", name: "email", type: "text", inputmode: "email", required: true,
    autocomplete: "off", spellcheck: "false",
  });
  const reason = h("input", {
    id: "suppress-reason", name: "reason", type: "text", maxlength: "200", autocomplete: "off",
    "aria-describedby": "suppress-reason-hint",
  });
  const boxes = PURPOSES.map((purpose) => h("input", { type: "checkbox", name: "purposes", value: purpose, id: `suppress-${purpose}` }));
  const outcome = h("div", { "aria-live": "polite" });
  const form = h("form", { "aria-labelledby": "add-heading", class: "rule-form" },
    h("div", { class: "rule-fields" },
      h("div", { class: "field" }, h("label", { for: "suppress-email" }, "Email address"), email),
      h("div", { class: "field" }, h("label", { for: "suppress-reason" }, "Reason (optional)"), reason,
        h("p", { id: "suppress-reason-hint", class: "hint" },
          "One line, up to 200 characters. Left empty, the API records “suppressed by an operator”.")),
      h("fieldset", { class: "purposes", "aria-describedby": "suppress-purposes-hint" },
        h("legend", {}, "Purposes it stops"),
        h("p", { id: "suppress-purposes-hint", class: "hint" }, "None chosen: every purpose."),
        ...boxes.map((box) => h("label", { class: "choice", for: box.id }, box, words(box.value))))),
    h("button", { type: "submit" }, "Suppress address"));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const address = email.value.trim();
    const chosen = boxes.filter((box) => box.checked).map((box) => box.value as Purpose);
    outcome.replaceChildren(h("p", {}, `Suppressing ${address}…`));
    session.api.suppress(address, reason.value.trim() || null, chosen.length ? chosen : null).then((suppression) => {
      if (signal.aborted) return;
      outcome.replaceChildren(h("p", { role: "status" },
        `Suppressed ${suppression.email} (${purposesInWords(suppression.purposes).toLowerCase()}): this handle will not send to it.`));
      form.reset();
      added(suppression);
    }).catch((error: unknown) => {
      if (!signal.aborted) outcome.replaceChildren(alertSentence(describe(error, "suppress this address")));
    });
  });
  return h("section", { "aria-labelledby": "add-heading" },
    h("h2", { id: "add-heading" }, "Add a suppression"), form, outcome);
}

function suppressionsTable(suppressions: Suppression[], remove: ((email: string, button: HTMLButtonElement) => void) | null): HTMLTableElement {
  return table("Suppressed addresses, by address", ["Email", "Purposes", "Reason", "Source", "Created", ...(remove ? ["Remove"] : [])],
    suppressions.map((suppression) => {
      const cells = [suppression.email, purposesInWords(suppression.purposes), suppression.reason, words(suppression.source), time(suppression.createdAt)];
      if (!remove) return cells;
      const button = h("button", { type: "button", "aria-label": `Remove ${suppression.email}` }, "Remove");
      button.addEventListener("click", () => remove(suppression.email, button));
      return [...cells, button];
    }));
}

export function renderSuppressions(session: Session, signal: AbortSignal): void {
  const { api } = session;
  // Said after a removal; focused then, since the button that asked is gone.
  const outcome = h("div", { "aria-live": "polite", tabindex: "-1", class: "outcome" });
  const confirm = h("div", {});
  const results = h("div", { "aria-live": "polite", class: "setup" });
  let pageNumber = 1;
  let current: string | undefined;

  const ask = (email: string, button: HTMLButtonElement): void => {
    const yes = h("button", { type: "button" }, `Yes, remove ${email}`);
    const no = h("button", { type: "button" }, "Cancel");
    no.addEventListener("click", () => {
      confirm.replaceChildren();
      outcome.replaceChildren(h("p", { role: "status" }, `Kept ${email} on the suppression list.`));
      button.focus();
    });
    yes.addEventListener("click", () => {
      outcome.replaceChildren(h("p", {}, `Removing ${email}…`));
      api.unsuppress(email).then(async () => {
        if (signal.aborted) return;
        confirm.replaceChildren();
        await load(current);
        outcome.replaceChildren(h("p", { role: "status" }, `Removed ${email}: this handle may send to it again.`));
        outcome.focus();
      }).catch((error: unknown) => {
        if (!signal.aborted) outcome.replaceChildren(alertSentence(describe(error, "remove this suppression")));
      });
    });
    confirm.replaceChildren(h("div", { class: "confirm", role: "group", "aria-labelledby": "confirm-question" },
      h("p", { id: "confirm-question" }, `Remove ${email} from the suppression list? This handle may then send to it again.`),
      h("div", { class: "paging" }, yes, no)));
    yes.focus();
  };

  const load = async (nextToken?: string): Promise<void> => {
    current = nextToken;
    results.replaceChildren(h("p", {}, "Loading the suppressions…"));
    try {
      const answer = await api.suppressions(nextToken);
      if (signal.aborted) return;
      const count = answer.suppressions.length;
      const next = answer.nextToken;
      const controls = h("div", { class: "paging" }, ...pagingButtons(pageNumber === 1, next,
        () => { pageNumber = 1; void load(); },
        (token) => { pageNumber += 1; void load(token); }));
      results.replaceChildren(
        h("p", { role: "status" }, `Page ${pageNumber}: ${count} suppressed address${count === 1 ? "" : "es"}.`),
        count ? scrollable(suppressionsTable(answer.suppressions, may(session.role, "removeSuppression") ? ask : null))
          : h("p", {}, pageNumber === 1 ? "No address is suppressed." : "No more addresses."),
        controls);
    } catch (error) {
      if (!signal.aborted) results.replaceChildren(alertSentence(describe(error, "list the suppressions")));
    }
  };

  const added = (): void => {
    confirm.replaceChildren();
    pageNumber = 1;
    void load();
  };
  showPage("Suppressions", h("h1", {}, "Suppressions"),
    h("p", {}, "Addresses this handle never sends to: added by hand, after a hard bounce or a complaint, or from an unsubscribe link."),
    may(session.role, "addSuppression") ? addForm(session, added, signal) : null,
    h("section", { "aria-labelledby": "list-heading" },
      h("h2", { id: "list-heading" }, "Suppressed addresses"), outcome, confirm, results));
  void load();
}
