// The sequence form, for creating a sequence and for editing one: its name, trigger, what the
// lead does that ends it (exitOn), its steps in order (emails and waits, each added, removed
// and moved with buttons, so the keyboard does it all) and whether it is enabled. Templates
// and senders are chosen from the handle's own, as in the rule form (rule_form's Choices).

import { h } from "../dom";
import { words } from "../format";
import {
  SEQUENCE_EXITS, SEQUENCE_TRIGGERS, type Sequence, type SequenceDraft, type SequenceExit, type SequenceStep,
  type SequenceTrigger,
} from "../types";
import { field, senderSelect, templateSelect, type Choices } from "./rule_form";

// The API's bounds (docs/openapi.json, SequenceIn and WaitStepIn).
const MAX_STEPS = 20;
const MIN_WAIT = 15;
const MAX_WAIT = 43_200;
const UNITS = [["days", 1440], ["hours", 60], ["minutes", 1]] as const;

function plural(amount: number, unit: string): string {
  return `${amount} ${amount === 1 ? unit.replace(/s$/, "") : unit}`;
}

/** A wait as people say it: 2880 is "2 days", 1500 is "1 day and 1 hour". */
export function duration(minutes: number): string {
  let left = minutes;
  const parts: string[] = [];
  for (const [unit, size] of UNITS) {
    const amount = Math.floor(left / size);
    left -= amount * size;
    if (amount) parts.push(plural(amount, unit));
  }
  if (!parts.length) return plural(minutes, "minutes");
  return parts.length === 1 ? parts[0] ?? "" : `${parts.slice(0, -1).join(", ")} and ${parts.at(-1) ?? ""}`;
}

export function stepInWords(step: SequenceStep): string {
  if (step.type === "wait") return `Wait ${duration(step.minutes)}`;
  const mappings = Object.entries(step.variableMappings);
  const mapped = mappings.length ? `, with ${mappings.map(([name, from]) => `${name} from ${from}`).join(", ")}` : "";
  return `Send ${step.templateId} from ${step.senderId}${mapped}`;
}

/** A sequence in one sentence, as the conflict message gives it. */
export function sequenceInWords(sequence: SequenceDraft | Sequence): string {
  const exits = sequence.exitOn.length ? `, exits on ${sequence.exitOn.map(words).join(", ").toLowerCase()}` : "";
  const steps = sequence.steps.map((step, index) => `${index + 1}. ${stepInWords(step)}`).join("; ");
  return `${words(sequence.trigger)}${exits}, ${sequence.enabled ? "enabled" : "disabled"}, ${words(sequence.status).toLowerCase()}: ${steps}`;
}

/** One step's controls; `read()` gives the step back (an email keeps the mappings it had). */
interface StepEditor {
  step: HTMLFieldSetElement;
  legend: HTMLLegendElement;
  buttons: { up: HTMLButtonElement; down: HTMLButtonElement; remove: HTMLButtonElement };
  kind: "email" | "wait";
  read: () => SequenceStep;
}

function emailEditor(id: string, choices: Choices, loaded: Extract<SequenceStep, { type: "email" }> | null): Pick<StepEditor, "read"> & { controls: HTMLElement[] } {
  const template = templateSelect({ id: `${id}-template` }, choices, loaded?.templateId ?? "");
  const sender = senderSelect({ id: `${id}-sender` }, choices, loaded?.senderId ?? "");
  return {
    controls: [field(`${id}-template`, "Template", template), field(`${id}-sender`, "Sender", sender)],
    read: () => ({ type: "email", templateId: template.value, senderId: sender.value, variableMappings: loaded?.variableMappings ?? {} }),
  };
}

function waitEditor(id: string, minutes: number): Pick<StepEditor, "read"> & { controls: HTMLElement[] } {
  // Shown in the largest unit that holds it whole: 2880 minutes is 2 days.
  const [unit, size] = UNITS.find(([, candidate]) => minutes % candidate === 0) ?? ["minutes", 1];
  const amount = h("input", { id: `${id}-amount`, type: "number", min: "1", step: "1", required: true, inputmode: "numeric" });
  amount.value = String(minutes / size);
  const units = h("select", { id: `${id}-unit` },
    ...UNITS.map(([value, each]) => h("option", { value: String(each), selected: value === unit }, value)));
  return {
    controls: [h("div", { class: "wait-fields" },
      field(`${id}-amount`, "Wait for", amount), field(`${id}-unit`, "Unit", units)),
    h("p", { class: "hint" }, `From ${duration(MIN_WAIT)} to ${duration(MAX_WAIT)}.`)],
    read: () => ({ type: "wait", minutes: Math.round(Number(amount.value) * Number(units.value)) }),
  };
}

/** The form's controls, filled from `sequence` (a new sequence's defaults when null);
 * `draft()` reads them back, keeping what the form does not show (status, test mode, and
 * each email step's variable mappings). */
export function sequenceFields(prefix: string, choices: Choices, sequence: Sequence | null): {
  element: HTMLElement;
  draft: () => SequenceDraft;
} {
  const name = h("input", { id: `${prefix}-name`, type: "text", maxlength: "120", autocomplete: "off" });
  name.value = sequence?.name ?? "";
  const trigger = h("select", { id: `${prefix}-trigger` },
    ...SEQUENCE_TRIGGERS.map((value) => h("option", { value, selected: value === (sequence?.trigger ?? "LEAD_CAPTURED") }, words(value))));
  const exits = SEQUENCE_EXITS.map((value) => {
    const box = h("input", { id: `${prefix}-exit-${value}`, type: "checkbox", value, checked: sequence?.exitOn.includes(value) ?? false });
    return { value, box, element: h("div", { class: "choice" }, box, h("label", { for: `${prefix}-exit-${value}` }, words(value))) };
  });
  const enabled = h("input", { id: `${prefix}-enabled`, type: "checkbox", checked: sequence?.enabled ?? true });

  const list = h("ol", { class: "steps" });
  const said = h("p", { class: "visually-hidden", "aria-live": "polite" });
  const editors: StepEditor[] = [];
  let made = 0;
  const addEmail = h("button", { type: "button" }, "Add email step");
  const addWait = h("button", { type: "button" }, "Add wait step");

  // Renumber and re-place the steps after a change, and keep the keyboard where it was.
  const layout = (focus?: HTMLElement): void => {
    editors.forEach((editor, index) => {
      editor.legend.textContent = `Step ${index + 1}: ${editor.kind === "email" ? "email" : "wait"}`;
      editor.buttons.up.disabled = index === 0;
      editor.buttons.down.disabled = index === editors.length - 1;
      editor.buttons.remove.disabled = editors.length === 1;
    });
    list.replaceChildren(...editors.map((editor) => h("li", {}, editor.step)));
    addEmail.disabled = addWait.disabled = editors.length >= MAX_STEPS;
    focus?.focus();
  };
  const move = (editor: StepEditor, by: number): void => {
    const from = editors.indexOf(editor);
    const to = from + by;
    if (to < 0 || to >= editors.length) return;
    editors.splice(from, 1);
    editors.splice(to, 0, editor);
    // At the top or bottom now, the button pressed is disabled: focus its neighbour.
    const pressed = by < 0 ? editor.buttons.up : editor.buttons.down;
    layout();
    (pressed.disabled ? (by < 0 ? editor.buttons.down : editor.buttons.up) : pressed).focus();
    said.textContent = `Moved to step ${to + 1}.`;
  };
  const add = (loaded: SequenceStep | null, kind: "email" | "wait"): StepEditor => {
    made += 1;
    const id = `${prefix}-step-${made}`;
    const body = kind === "email"
      ? emailEditor(id, choices, loaded?.type === "email" ? loaded : null)
      : waitEditor(id, loaded?.type === "wait" ? loaded.minutes : 60);
    const legend = h("legend", { id: `${id}-legend` });
    const button = (text: string): HTMLButtonElement => h("button", { type: "button", "aria-describedby": `${id}-legend` }, text);
    const buttons = { up: button("Move up"), down: button("Move down"), remove: button("Remove") };
    const step = h("fieldset", { class: "step" }, legend, ...body.controls,
      h("div", { class: "step-actions" }, buttons.up, buttons.down, buttons.remove));
    const editor: StepEditor = { step, legend, buttons, kind, read: body.read };
    buttons.up.addEventListener("click", () => move(editor, -1));
    buttons.down.addEventListener("click", () => move(editor, 1));
    buttons.remove.addEventListener("click", () => {
      const index = editors.indexOf(editor);
      editors.splice(index, 1);
      // The keyboard goes on to the step now in its place (or the one before it).
      layout((editors[index] ?? editors[index - 1])?.step.querySelector<HTMLElement>("select, input") ?? addEmail);
      said.textContent = `Removed step ${index + 1}.`;
    });
    editors.push(editor);
    return editor;
  };
  for (const step of sequence?.steps ?? [null]) add(step, step?.type ?? "email");
  layout();
  for (const [button, kind] of [[addEmail, "email"], [addWait, "wait"]] as const) {
    button.addEventListener("click", () => {
      const editor = add(null, kind);
      layout(editor.step.querySelector<HTMLElement>("select, input") ?? undefined);
      said.textContent = `Added step ${editors.length}: ${kind}.`;
    });
  }

  const element = h("div", { class: "rule-fields" },
    field(`${prefix}-name`, "Name", name),
    field(`${prefix}-trigger`, "Trigger", trigger),
    h("fieldset", { class: "exits" }, h("legend", {}, "End a lead's enrollment on"), ...exits.map((exit) => exit.element)),
    h("fieldset", { class: "step-list" }, h("legend", {}, `Steps, in order (at most ${MAX_STEPS})`), list,
      h("div", { class: "step-actions" }, addEmail, addWait), said),
    h("div", { class: "choice" }, enabled, h("label", { for: `${prefix}-enabled` }, "Enabled")));
  const draft = (): SequenceDraft => ({
    name: name.value.trim(),
    trigger: trigger.value as SequenceTrigger,
    steps: editors.map((editor) => editor.read()),
    exitOn: exits.filter((exit) => exit.box.checked).map((exit) => exit.value as SequenceExit),
    enabled: enabled.checked,
    status: sequence?.status ?? "ACTIVE",
    testMode: sequence?.testMode ?? false,
  });
  return { element, draft };
}

/** A stored sequence as a draft, to send back whole with one thing changed (its status). */
export function asDraft(sequence: Sequence): SequenceDraft {
  const { name, trigger, steps, exitOn, enabled, status } = sequence;
  return { name, trigger, steps, exitOn, enabled, status, testMode: sequence.testMode ?? false };
}
