// Building the page from nodes and text only: nothing the API returns is ever parsed as HTML.

export type Child = Node | string | number | null | undefined | false;
type Attributes = Record<string, string | boolean | undefined>;

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attributes: Attributes = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === true) element.setAttribute(name, "");
    else if (typeof value === "string") element.setAttribute(name, value);
  }
  append(element, children);
  return element;
}

export function append(parent: Node, children: Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    parent.appendChild(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

export function main(): HTMLElement {
  const found = document.getElementById("main");
  if (!found) throw new Error("the page has no <main id=main>");
  return found;
}

/** Show a page: its title in the tab and its content in <main>. */
export function showPage(title: string, ...children: Child[]): void {
  document.title = `${title} · tenx-email console`;
  main().replaceChildren();
  append(main(), children);
}

/** A table with a caption and column headers; `rows` are its cells (a row header first). */
export function table(caption: string, columns: string[], rows: Child[][], foot?: Child[]): HTMLTableElement {
  const row = (cells: Child[]): HTMLTableRowElement =>
    h("tr", {}, ...cells.map((cell, index) =>
      index === 0 ? h("th", { scope: "row" }, cell) : h("td", {}, cell)));
  return h(
    "table",
    {},
    h("caption", {}, caption),
    h("thead", {}, h("tr", {}, ...columns.map((column) => h("th", { scope: "col" }, column)))),
    h("tbody", {}, ...rows.map((cells) => row(cells))),
    foot ? h("tfoot", {}, row(foot)) : null,
  );
}

/** A definition list of (term, description) pairs, labelled for assistive technology. */
export function fields(label: string, pairs: [string, Child][]): HTMLDListElement {
  return h("dl", { "aria-label": label },
    ...pairs.flatMap(([term, value]) => [h("dt", {}, term), h("dd", {}, value)]));
}

/** An alert that says, in a sentence, what went wrong. */
export function alertSentence(sentence: string): HTMLParagraphElement {
  return h("p", { role: "alert", class: "error" }, sentence);
}

/** A table that scrolls sideways on its own when too wide for the screen: a region that takes
 * keyboard focus, so it can be scrolled without a pointer, named by the table's caption. */
export function scrollable(content: HTMLTableElement): HTMLDivElement {
  const label = content.caption?.textContent ?? "Table";
  return h("div", { class: "table-scroll", tabindex: "0", role: "region", "aria-label": label }, content);
}

/** The paging buttons under one page of a list: **First page** when this is not the first,
 * **Next page** when the API answered a `nextToken`. */
export function pagingButtons(onFirstPage: boolean, nextToken: string | null, first: () => void,
  next: (nextToken: string) => void): HTMLButtonElement[] {
  const buttons: HTMLButtonElement[] = [];
  if (!onFirstPage) {
    const button = h("button", { type: "button" }, "First page");
    button.addEventListener("click", first);
    buttons.push(button);
  }
  if (nextToken) {
    const button = h("button", { type: "button" }, "Next page");
    button.addEventListener("click", () => next(nextToken));
    buttons.push(button);
  }
  return buttons;
}
