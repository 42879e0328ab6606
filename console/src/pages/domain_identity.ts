// One sending domain's identity on the senders page: its status in words, the DNS records to
// create (each value selectable, with a Copy button), and for a role that may, Check again
// (reconcile: the API re-reads SES and moves the status).

import type { Api } from "../api";
import { alertSentence, fields, h, scrollable, table } from "../dom";
import { describe } from "../errors";
import { words } from "../format";
import { may, type Role } from "../roles";
import type { DnsRecord, DomainIdentity } from "../types";

/** "the DKIM CNAME records were not found" as a sentence of its own. */
function asSentence(text: string): string {
  const trimmed = text.trim().replace(/\.$/, "");
  return `${trimmed.charAt(0).toUpperCase()}${trimmed.slice(1)}.`;
}

/** The identity's status and its reason, in words. */
function identityInWords(identity: DomainIdentity): string {
  const reason = identity.statusReason ? asSentence(identity.statusReason) : null;
  if (identity.status === "READY") {
    return "Ready: SES has verified the domain, its DKIM records and its MAIL FROM domain, so its senders may send.";
  }
  if (identity.status === "FAILED") {
    return `Failed: ${reason ?? "SES could not verify the domain."} Check the DNS records below, then check again.`;
  }
  return `Pending: SES has not found all of the DNS records below yet.${reason ? ` ${reason}` : ""} `
    + "Create them at your DNS provider, then check again; new records can take a while to be seen.";
}

function recordsTable(domain: string, records: DnsRecord[], said: HTMLElement): HTMLTableElement {
  return table(`DNS records to create for ${domain}`, ["Type", "Name", "Value", "Copy"],
    records.map((record) => {
      const copy = h("button", { type: "button", "aria-label": `Copy the ${record.type} value for ${record.name}` }, "Copy");
      copy.addEventListener("click", () => {
        said.textContent = ""; // the same sentence twice is announced twice
        // Without a secure context there is no navigator.clipboard: the value stays selectable.
        Promise.resolve().then(() => navigator.clipboard.writeText(record.value)).then(() => {
          said.textContent = `Copied the ${record.type} value for ${record.name}.`;
        }).catch(() => {
          said.textContent = "Could not copy: select the value and copy it by hand.";
        });
      });
      return [record.type, h("code", {}, record.name), h("code", { class: "dns-value" }, record.value), copy];
    }));
}

function details(identity: DomainIdentity, said: HTMLElement): HTMLElement {
  const records = identity.requiredDnsRecords;
  return h("div", {},
    fields(`Identity of ${identity.domain}`, [
      ["Status", identityInWords(identity)],
      ["Region", identity.region],
      ["MAIL FROM domain", identity.mailFromDomain],
    ]),
    records.length
      ? scrollable(recordsTable(identity.domain, records, said))
      : h("p", {}, identity.status === "READY"
        ? "Nothing more to create in DNS: keep the records you published."
        : "SES has given no DNS records for this domain yet; check again."));
}

/** The domain's section; `identity` is what the API answered for it (or why it did not).
 * `checked` hears of each new identity Check again brings, for the senders to follow it. */
export function domainSection(api: Api, role: Role | null, domain: string, index: number,
  identity: DomainIdentity | { error: unknown }, checked: (identity: DomainIdentity) => void,
  signal: AbortSignal): HTMLElement {
  const heading = `domain-${index}-heading`;
  const said = h("p", { "aria-live": "polite", class: "copy-status" });
  const outcome = h("div", { "aria-live": "polite" });
  const body = h("div", {}, "error" in identity
    ? alertSentence(describe(identity.error, `see the identity of ${domain}`))
    : details(identity, said));
  let button: HTMLButtonElement | null = null;
  if (may(role, "reconcileDomain")) {
    const check = h("button", { type: "button" }, "Check again");
    let busy = false; // not disabled: a disabled button drops the keyboard's focus
    check.addEventListener("click", () => {
      if (busy) return;
      busy = true;
      outcome.replaceChildren(h("p", {}, `Checking ${domain} with SES…`));
      api.reconcileDomain(domain).then((fresh) => {
        if (signal.aborted) return;
        body.replaceChildren(details(fresh, said));
        outcome.replaceChildren(h("p", { role: "status" }, `Checked again: ${domain} is now ${words(fresh.status).toLowerCase()}.`));
        checked(fresh);
      }).catch((error: unknown) => {
        if (!signal.aborted) outcome.replaceChildren(alertSentence(describe(error, `check ${domain} again`)));
      }).finally(() => { busy = false; });
    });
    button = check;
  }
  return h("section", { "aria-labelledby": heading, class: "domain" },
    h("h2", { id: heading }, `Domain ${domain}`), body, button, outcome, said);
}
