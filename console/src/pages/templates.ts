// Templates: the handle's templates, 25 to a page (the API's nextToken); each links to its
// own page, with its versions and a preview.

import type { Api } from "../api";
import { alertSentence, h, pagingButtons, scrollable, showPage, table } from "../dom";
import { describe } from "../errors";
import { words } from "../format";
import { templateHref } from "../router";
import type { Template } from "../types";

function templatesTable(templates: Template[]): HTMLTableElement {
  return table("Templates", ["Template", "Name", "Active version", "Status"],
    templates.map((template) => [
      h("a", { href: templateHref(template.templateId) }, template.templateId),
      template.name,
      template.activeVersion,
      words(template.status),
    ]));
}

export function renderTemplates(api: Api, signal: AbortSignal): void {
  const results = h("div", { "aria-live": "polite" });
  const load = async (nextToken?: string): Promise<void> => {
    results.replaceChildren(h("p", {}, "Loading the templates…"));
    try {
      const answer = await api.templates(nextToken);
      if (signal.aborted) return;
      const count = answer.templates.length;
      const controls = h("div", { class: "paging" },
        ...pagingButtons(!nextToken, answer.nextToken, () => void load(), (token) => void load(token)));
      results.replaceChildren(
        h("p", { role: "status" }, count ? `${count} template${count === 1 ? "" : "s"} on this page.` : "The handle has no templates yet."),
        count ? scrollable(templatesTable(answer.templates)) : "",
        controls);
    } catch (error) {
      if (!signal.aborted) results.replaceChildren(alertSentence(describe(error, "list the templates")));
    }
  };
  showPage("Templates", h("h1", {}, "Templates"), results);
  void load();
}
