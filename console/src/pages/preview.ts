// A template's live preview: one labelled input per variable the chosen version uses (the
// API does not list them, so they are read from its {{name}} placeholders, as the renderer
// finds them), rendered by the API's preview route. The HTML is shown in a sandboxed frame.

import type { Api } from "../api";
import { alertSentence, h } from "../dom";
import { describe, sentenceFor } from "../errors";
import type { Preview, TemplateVersion } from "../types";

// layers/tenx_email/rendering.py's PLACEHOLDER; unsubscribeUrl is the service's own.
const PLACEHOLDER = /\{\{\s*([A-Za-z_][A-Za-z0-9_]{0,63})\s*\}\}/g;
const PROVIDED = new Set(["unsubscribeUrl"]);

export function variablesOf(version: TemplateVersion): string[] {
  const names = [version.subject, version.html ?? "", version.text ?? ""]
    .flatMap((part) => [...part.matchAll(PLACEHOLDER)].map((match) => match[1] ?? ""));
  return [...new Set(names)].filter((name) => name && !PROVIDED.has(name));
}

function rendered(preview: Preview): HTMLElement {
  // sandbox="" gives the frame an opaque origin and no scripts, forms or navigation; as a
  // srcdoc document it also inherits the console's CSP, so nothing outside is fetched.
  const frame = h("iframe", { sandbox: "", title: `The HTML of version ${preview.version}, rendered`, class: "preview-frame" });
  frame.srcdoc = preview.html ?? "";
  const missing = preview.missingVariables;
  return h("section", { "aria-labelledby": "rendered-heading" },
    h("h3", { id: "rendered-heading" }, `Rendered, version ${preview.version}`),
    missing.length ? alertSentence(`${sentenceFor("missing_template_variables")} Not given: ${missing.join(", ")}.`) : null,
    h("h4", {}, "Subject"), h("p", { class: "rendered-subject" }, preview.subject),
    h("h4", {}, "Text"), preview.text === null ? h("p", {}, "This version has no text body.") : h("pre", { class: "rendered-text" }, preview.text),
    h("h4", {}, "HTML"), preview.html === null ? h("p", {}, "This version has no HTML body.") : frame);
}

export function previewForm(api: Api, templateId: string, versions: TemplateVersion[], active: number, signal: AbortSignal): HTMLElement {
  const result = h("div", { "aria-live": "polite" });
  const inputs = h("fieldset", { class: "variables" });
  const versionSelect = h("select", { id: "preview-version", name: "version" },
    ...versions.map((version) => h("option", { value: String(version.version), selected: version.version === active },
      `Version ${version.version}${version.version === active ? " (active)" : ""}`)));
  const chosen = (): TemplateVersion | undefined =>
    versions.find((version) => String(version.version) === versionSelect.value);

  const showInputs = (): void => {
    const version = chosen();
    const names = version ? variablesOf(version) : [];
    inputs.replaceChildren(h("legend", {}, "Variables"),
      names.length ? "" : h("p", {}, "This version uses no variables."),
      ...names.map((name) => h("div", { class: "field" },
        h("label", { for: `variable-${name}` }, name),
        h("input", { id: `variable-${name}`, name, type: "text", "data-variable": name }))));
  };
  versionSelect.addEventListener("change", showInputs);
  showInputs();

  const form = h("form", { class: "preview-form", "aria-label": "Preview the template" },
    h("div", { class: "field" }, h("label", { for: "preview-version" }, "Version"), versionSelect),
    inputs,
    h("button", { type: "submit" }, "Preview"));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const variables: Record<string, string> = {};
    // Only what was filled in: a blank input is a variable not given, which the answer names.
    for (const input of inputs.querySelectorAll<HTMLInputElement>("input[data-variable]")) {
      if (input.value) variables[input.dataset["variable"] ?? input.name] = input.value;
    }
    result.replaceChildren(h("p", {}, "Rendering…"));
    api.preview(templateId, Number(versionSelect.value), variables)
      .then((preview) => { if (!signal.aborted) result.replaceChildren(rendered(preview)); })
      .catch((error: unknown) => {
        if (!signal.aborted) result.replaceChildren(alertSentence(describe(error, "preview the template")));
      });
  });
  return h("div", {}, form, result);
}
