// Messages: the handle's messages, newest first, filtered by status and purpose, a page at a
// time (the API's nextToken); each links to its own page.

import type { Api } from "../api";
import { alertSentence, h, pagingButtons, scrollable, showPage, table } from "../dom";
import { describe } from "../errors";
import { time, words } from "../format";
import { messageHref } from "../router";
import { MESSAGE_STATUSES, PURPOSES, type MessageSummary } from "../types";

interface Filters {
  status?: string;
  purpose?: string;
}

function select(name: string, label: string, anyLabel: string, values: readonly string[]): HTMLElement {
  const id = `filter-${name}`;
  return h("div", { class: "field" },
    h("label", { for: id }, label),
    h("select", { id, name },
      h("option", { value: "" }, anyLabel),
      ...values.map((value) => h("option", { value }, words(value)))));
}

function messagesTable(messages: MessageSummary[]): HTMLTableElement {
  return table(
    "Messages, newest first",
    ["Message", "Created", "Status", "Purpose", "Recipients", "From"],
    messages.map((message) => [
      h("a", { href: messageHref(message.messageId) }, message.messageId),
      time(message.createdAt),
      words(message.status),
      words(message.purpose) + (message.testMode ? " (test send)" : ""),
      message.recipientCount,
      message.fromEmail,
    ]),
  );
}

export function renderMessages(api: Api, signal: AbortSignal): void {
  const results = h("div", { "aria-live": "polite" });
  const form = h("form", { class: "filters", "aria-label": "Filter messages" },
    select("status", "Status", "Any status", MESSAGE_STATUSES),
    select("purpose", "Purpose", "Any purpose", PURPOSES),
    h("button", { type: "submit" }, "Show messages"));
  let pageNumber = 1;

  const load = async (filters: Filters, nextToken?: string): Promise<void> => {
    results.replaceChildren(h("p", {}, "Loading messages…"));
    try {
      const answer = await api.messages({ ...filters, ...(nextToken ? { nextToken } : {}) });
      if (signal.aborted) return;
      const next = answer.nextToken;
      const status = h("p", { role: "status" },
        `Page ${pageNumber}: ${answer.messages.length} message${answer.messages.length === 1 ? "" : "s"}`
        + (answer.messages.length === 0 && next ? " match the filters here; there are more pages." : "."));
      const controls = h("div", { class: "paging" }, ...pagingButtons(pageNumber === 1, next,
        () => { pageNumber = 1; void load(filters); },
        (token) => { pageNumber += 1; void load(filters, token); }));
      results.replaceChildren(status,
        answer.messages.length ? scrollable(messagesTable(answer.messages)) : "",
        controls);
    } catch (error) {
      if (!signal.aborted) results.replaceChildren(alertSentence(describe(error, "list the messages")));
    }
  };

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const data = new FormData(form);
    pageNumber = 1;
    void load({ status: String(data.get("status") ?? ""), purpose: String(data.get("purpose") ?? "") });
  });
  showPage("Messages", h("h1", {}, "Messages"), form, results);
  void load({});
}
