// Templates: the handle's templates, 25 to a page (the API's nextToken); each links to its
// own page, with its versions and a preview.

import type { Api } from "../api";
import { alertSentence, h, scrollable, showPage, table } from "../dom";
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
      const controls = h("div", { class: "paging" });
      if (nextToken) {
        const first = h("button", { type: "button" }, "First page");
        first.addEventListener("click", () => void load());
        controls.append(first);
      }
      const next = answer.nextToken;
      if (next) {
        const more = h("button", { type: "button" }, "Next page");
        more.addEventListener("click", () => void load(next));
        controls.append(more);
      }
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
