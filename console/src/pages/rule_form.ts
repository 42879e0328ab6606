// The email rule form, for creating a rule and for editing one: the fields the API requires
// (trigger, template, sender; a delay for a delayed trigger) and whether it is enabled, with
// the template and the sender chosen from the handle's own.

import type { Api } from "../api";
import { h } from "../dom";
import { words } from "../format";
import { TRIGGERS, type EmailRule, type RuleDraft, type Sender, type Template, type Trigger } from "../types";

// The API's bounds for delayMinutes (docs/openapi.json, EmailRuleIn).
const MIN_DELAY = 15;
const MAX_DELAY = 43_200;
const TEMPLATE_PAGES = 10;

/** What the selects offer: every template (a page at a time) and every sender. */
export interface Choices {
  templates: Template[];
  senders: Sender[];
}

export async function loadChoices(api: Api): Promise<Choices> {
  const templates: Template[] = [];
  let nextToken: string | undefined;
  for (let page = 0; page < TEMPLATE_PAGES; page += 1) {
    const answer = await api.templates(nextToken);
    templates.push(...answer.templates);
    if (!answer.nextToken) break;
    nextToken = answer.nextToken;
  }
  return { templates, senders: await api.senders() };
}

/** A rule in one sentence, as the conflict message and the read-only view give it. */
export function ruleInWords(rule: RuleDraft): string {
  const delay = rule.delayMinutes !== null ? `, ${rule.delayMinutes} minutes after` : "";
  return `${words(rule.trigger)}${delay}: template ${rule.templateId}, sender ${rule.senderId}, ${rule.enabled ? "enabled" : "disabled"}`;
}

/** A labelled control. */
export function field(id: string, label: string, control: HTMLElement): HTMLDivElement {
  return h("div", { class: "field" }, h("label", { for: id }, label), control);
}

function options(values: [string, string][], chosen: string): HTMLOptionElement[] {
  // A value the choices lack (a template since paused or removed) is kept, not changed.
  const all = values.some(([value]) => value === chosen) || !chosen ? values : [[chosen, chosen] as [string, string], ...values];
  return all.map(([value, label]) => h("option", { value, selected: value === chosen }, label));
}

type SelectAttributes = { id: string; name?: string };

/** A required choice of the handle's templates, `chosen` selected (kept if no longer offered). */
export function templateSelect(attributes: SelectAttributes, choices: Choices, chosen: string): HTMLSelectElement {
  return h("select", { ...attributes, required: true },
    ...options(choices.templates.map((t) => [t.templateId, `${t.name} (${t.templateId})`]), chosen));
}

/** A required choice of the handle's senders, each as its From line, marked when not ready. */
export function senderSelect(attributes: SelectAttributes, choices: Choices, chosen: string): HTMLSelectElement {
  return h("select", { ...attributes, required: true },
    ...options(choices.senders.map((s) => [s.senderId, `${s.displayName} <${s.fromEmail}>${s.status === "READY" && s.enabled ? "" : " (not ready)"}`]), chosen));
}

/** The form's controls, filled from `rule` (a new rule's defaults when null); `draft()`
 * reads them back, keeping what the form does not show (variable mappings, test mode). */
export function ruleFields(prefix: string, choices: Choices, rule: EmailRule | null): {
  element: HTMLElement;
  draft: () => RuleDraft;
} {
  const trigger = h("select", { id: `${prefix}-trigger`, name: "trigger" },
    ...TRIGGERS.map((value) => h("option", { value, selected: value === (rule?.trigger ?? "LEAD_CAPTURED") }, words(value))));
  const delay = h("input", { id: `${prefix}-delay`, name: "delayMinutes", type: "number", min: String(MIN_DELAY), max: String(MAX_DELAY), step: "1", inputmode: "numeric" });
  delay.value = rule?.delayMinutes != null ? String(rule.delayMinutes) : "";
  const delayField = field(`${prefix}-delay`, `Delay in minutes (${MIN_DELAY} to ${MAX_DELAY})`, delay);
  const template = templateSelect({ id: `${prefix}-template`, name: "templateId" }, choices, rule?.templateId ?? "");
  const sender = senderSelect({ id: `${prefix}-sender`, name: "senderId" }, choices, rule?.senderId ?? "");
  const enabled = h("input", { id: `${prefix}-enabled`, name: "enabled", type: "checkbox", checked: rule?.enabled ?? true });

  // Only a delayed rule takes a delay: the field is there, and required, only then.
  const showDelay = (): void => {
    const delayed = trigger.value === "LEAD_CAPTURED_DELAYED";
    delayField.hidden = !delayed;
    delay.disabled = !delayed;
    delay.required = delayed;
  };
  trigger.addEventListener("change", showDelay);
  showDelay();

  const element = h("div", { class: "rule-fields" },
    field(`${prefix}-trigger`, "Trigger", trigger), delayField,
    field(`${prefix}-template`, "Template", template),
    field(`${prefix}-sender`, "Sender", sender),
    h("div", { class: "choice" }, enabled, h("label", { for: `${prefix}-enabled` }, "Enabled")));
  const draft = (): RuleDraft => ({
    trigger: trigger.value as Trigger,
    delayMinutes: delay.disabled || delay.value === "" ? null : Number(delay.value),
    templateId: template.value,
    senderId: sender.value,
    enabled: enabled.checked,
    testMode: rule?.testMode ?? false,
    variableMappings: rule?.variableMappings ?? {},
  });
  return { element, draft };
}
