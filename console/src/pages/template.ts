// One template: its name, status and versions (newest first), and, for a role that may
// preview, the live preview.

import { alertSentence, fields, h, scrollable, showPage, table } from "../dom";
import { describe } from "../errors";
import { time, words } from "../format";
import { may } from "../roles";
import type { Session } from "../session";
import type { TemplateDetail } from "../types";
import { previewForm } from "./preview";

const back = (): HTMLElement => h("p", {}, h("a", { href: "#/templates" }, "Back to templates"));

function versionsTable(detail: TemplateDetail): HTMLTableElement {
  const active = detail.template.activeVersion;
  return table("Versions, newest first", ["Version", "Subject", "Bodies", "Created"],
    detail.versions.map((version) => [
      `${version.version}${version.version === active ? " (active)" : ""}`,
      version.subject,
      [version.html !== null ? "HTML" : "", version.text !== null ? "text" : ""].filter(Boolean).join(" and "),
      time(version.createdAt),
    ]));
}

export async function renderTemplate(session: Session, templateId: string, signal: AbortSignal): Promise<void> {
  const title = `Template ${templateId}`;
  showPage(title, h("h1", {}, title), h("p", { role: "status" }, "Loading the template…"));
  try {
    const detail = await session.api.template(templateId);
    if (signal.aborted) return;
    const { template } = detail;
    showPage(title, h("h1", {}, title),
      fields("Template", [
        ["Name", template.name],
        ["Status", words(template.status)],
        ["Active version", String(template.activeVersion)],
      ]),
      h("h2", {}, "Versions"), scrollable(versionsTable(detail)),
      may(session.role, "previewTemplate")
        ? h("section", { "aria-labelledby": "preview-heading" },
          h("h2", { id: "preview-heading" }, "Preview"),
          previewForm(session.api, templateId, detail.versions, template.activeVersion, signal))
        : null,
      back());
  } catch (error) {
    if (!signal.aborted) showPage(title, h("h1", {}, title), alertSentence(describe(error, "see this template")), back());
  }
}
