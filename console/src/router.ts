// The hash router: #/overview, #/messages, #/messages/<id>, #/templates, #/templates/<id>,
// #/rules, #/campaigns/<id>/rules, #/campaigns/<id>/rules/<ruleId>, #/sequences,
// #/campaigns/<id>/sequences, #/campaigns/<id>/sequences/<sequenceId>, #/senders,
// #/suppressions, #/webhooks, #/webhooks/<webhookId>. Other hashes (the skip link's #main)
// are left to the browser.

export type Route =
  | { page: "overview" }
  | { page: "messages" }
  | { page: "message"; messageId: string }
  | { page: "templates" }
  | { page: "template"; templateId: string }
  | { page: "rules"; campaignId: string | null }
  | { page: "rule"; campaignId: string; ruleId: string }
  | { page: "sequences"; campaignId: string | null }
  | { page: "sequence"; campaignId: string; sequenceId: string }
  | { page: "senders" }
  | { page: "suppressions" }
  | { page: "webhooks" }
  | { page: "webhook"; webhookId: string };

/** The nav link a route belongs under. */
export function section(route: Route): string {
  if (route.page === "message") return "messages";
  if (route.page === "template") return "templates";
  if (route.page === "rule") return "rules";
  if (route.page === "sequence") return "sequences";
  if (route.page === "webhook") return "webhooks";
  return route.page;
}

export function parse(hash: string): Route | null {
  if (!hash.startsWith("#/")) return null;
  const parts = hash.slice(2).split("/").map(decodeURIComponent);
  const [first, second, third, fourth] = parts;
  if ((first === "messages" || first === "templates") && parts.length === 2 && second) {
    return first === "messages" ? { page: "message", messageId: second } : { page: "template", templateId: second };
  }
  if (first === "messages" && parts.length === 1) return { page: "messages" };
  if (first === "templates" && parts.length === 1) return { page: "templates" };
  if (first === "rules" && parts.length === 1) return { page: "rules", campaignId: null };
  if (first === "senders" && parts.length === 1) return { page: "senders" };
  if (first === "suppressions" && parts.length === 1) return { page: "suppressions" };
  if (first === "campaigns" && second && third === "rules") {
    if (parts.length === 3) return { page: "rules", campaignId: second };
    if (parts.length === 4 && fourth) return { page: "rule", campaignId: second, ruleId: fourth };
  }
  if (first === "sequences" && parts.length === 1) return { page: "sequences", campaignId: null };
  if (first === "campaigns" && second && third === "sequences") {
    if (parts.length === 3) return { page: "sequences", campaignId: second };
    if (parts.length === 4 && fourth) return { page: "sequence", campaignId: second, sequenceId: fourth };
  }
  if (first === "webhooks" && parts.length === 1) return { page: "webhooks" };
  if (first === "webhooks" && parts.length === 2 && second) return { page: "webhook", webhookId: second };
  return { page: "overview" };
}

export function messageHref(messageId: string): string {
  return `#/messages/${encodeURIComponent(messageId)}`;
}

export function templateHref(templateId: string): string {
  return `#/templates/${encodeURIComponent(templateId)}`;
}

export function rulesHref(campaignId: string): string {
  return `#/campaigns/${encodeURIComponent(campaignId)}/rules`;
}

export function ruleHref(campaignId: string, ruleId: string): string {
  return `${rulesHref(campaignId)}/${encodeURIComponent(ruleId)}`;
}

export function sequencesHref(campaignId: string): string {
  return `#/campaigns/${encodeURIComponent(campaignId)}/sequences`;
}

export function sequenceHref(campaignId: string, sequenceId: string): string {
  return `${sequencesHref(campaignId)}/${encodeURIComponent(sequenceId)}`;
}

export function webhookHref(webhookId: string): string {
  return `#/webhooks/${encodeURIComponent(webhookId)}`;
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
