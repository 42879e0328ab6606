// The hash router: #/overview, #/messages, #/messages/<id>. Other hashes (the skip link's
// #main) are left to the browser.

export type Route =
  | { page: "overview" }
  | { page: "messages" }
  | { page: "message"; messageId: string };

export function parse(hash: string): Route | null {
  if (!hash.startsWith("#/")) return null;
  const parts = hash.slice(2).split("/").map(decodeURIComponent);
  if (parts[0] === "messages" && parts.length === 2 && parts[1]) {
    return { page: "message", messageId: parts[1] };
  }
  if (parts[0] === "messages" && parts.length === 1) return { page: "messages" };
  return { page: "overview" };
}

export function messageHref(messageId: string): string {
  return `#/messages/${encodeURIComponent(messageId)}`;
}

/** Render the route now and on every navigation; each render gets a signal that aborts when
 * the next navigation starts, so a slow page never overwrites a newer one. */
export function startRouter(render: (route: Route, signal: AbortSignal) => void): void {
  let current: AbortController | null = null;
  const go = (initial: boolean): void => {
    const route = parse(window.location.hash);
    if (!route && !initial) return;
    current?.abort();
    current = new AbortController();
    render(route ?? { page: "overview" }, current.signal);
  };
  window.addEventListener("hashchange", () => go(false));
  go(true);
}
