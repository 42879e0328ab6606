// Domains and senders: the handle's senders, each one's readiness in words, and the identity
// of every domain they use (status, DNS records, Check again). Both reads are OPERATOR
// routes; a lower role sees the API's refusal. The domain route is an account route: the API
// picks the caller's account that owns the domain, so the page names no account.

import { alertSentence, h, scrollable, showPage, table } from "../dom";
import { describe } from "../errors";
import { words } from "../format";
import type { Session } from "../session";
import type { DomainIdentity, Sender } from "../types";
import { domainSection } from "./domain_identity";

/** What the page knows of a domain: its identity, or null when it could not be read. */
type Identities = Map<string, DomainIdentity | null>;

function from(sender: Sender): string {
  return sender.displayName ? `${sender.displayName} <${sender.fromEmail}>` : sender.fromEmail;
}

/** Why a sender is or is not ready, from its own status and its domain's identity. */
function readiness(sender: Sender, identity: DomainIdentity | null | undefined): string {
  const domain = identity ?? null; // null: not read (undefined) or unreadable (null)
  if (sender.status === "READY") {
    return domain && domain.status !== "READY"
      ? `Ready, though ${sender.domain} is ${words(domain.status).toLowerCase()} now: check the domain again for the sender to follow.`
      : "Ready";
  }
  const reasons: string[] = [];
  if (!sender.enabled) reasons.push("the sender is disabled");
  if (identity === null) reasons.push(`the identity of ${sender.domain} could not be read (see below)`);
  else if (domain?.status === "PENDING") {
    reasons.push(`its domain ${sender.domain} is not verified yet: SES has not found its DNS records (see below)`);
  } else if (domain?.status === "FAILED") {
    reasons.push(`its domain ${sender.domain} failed verification: ${domain.statusReason ?? "SES could not verify it"}`);
  } else if (sender.enabled) {
    reasons.push(`its domain ${sender.domain} was not verified when the sender last heard of it; check the domain again`);
  }
  return `Not ready because ${reasons.join(", and ")}.`;
}

function sendersTable(handle: string, senders: Sender[], identities: Identities): HTMLTableElement {
  return table(`Senders of ${handle}`, ["Sender", "From", "Reply to", "Purposes", "Enabled", "Status"],
    senders.map((sender) => [
      sender.senderId,
      from(sender),
      sender.replyTo ?? "",
      sender.purposes.map(words).join(", "),
      sender.enabled ? "Yes" : "No",
      readiness(sender, identities.get(sender.domain)),
    ]));
}

export function renderSenders(session: Session, signal: AbortSignal): void {
  const { api } = session;
  const title = "Domains and senders";
  const senders = h("div", { "aria-live": "polite", class: "setup" }, h("p", {}, "Loading the senders…"));
  const domains = h("div", { class: "setup" });
  showPage(title, h("h1", {}, title), senders, domains);
  const identities: Identities = new Map();
  let listed: Sender[] = [];
  const showSenders = (): void => {
    senders.replaceChildren(listed.length
      ? scrollable(sendersTable(api.handle, listed, identities))
      : h("p", {}, "This handle has no senders yet."));
  };
  // After Check again: the API copies the new status onto the domain's senders.
  const checked = (identity: DomainIdentity): void => {
    identities.set(identity.domain, identity);
    api.senders().then((fresh) => {
      if (signal.aborted) return;
      listed = fresh;
      showSenders();
    }).catch((error: unknown) => {
      if (!signal.aborted) senders.replaceChildren(alertSentence(describe(error, "list the senders")));
    });
  };
  const load = async (): Promise<void> => {
    try {
      listed = await api.senders();
    } catch (error) {
      if (!signal.aborted) senders.replaceChildren(alertSentence(describe(error, "list the senders")));
      return;
    }
    if (signal.aborted) return;
    const names = [...new Set(listed.map((sender) => sender.domain))].sort();
    domains.replaceChildren(names.length ? h("p", {}, `Loading the identities of ${names.join(", ")}…`) : "");
    const answers = await Promise.allSettled(names.map((name) => api.domainIdentity(name)));
    if (signal.aborted) return;
    const sections = names.map((name, index) => {
      const answer = answers[index];
      const identity = answer?.status === "fulfilled" ? answer.value : { error: answer?.reason };
      identities.set(name, "error" in identity ? null : identity);
      return domainSection(api, session.role, name, index, identity, checked, signal);
    });
    showSenders();
    domains.replaceChildren(...sections);
  };
  void load();
}
