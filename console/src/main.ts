// Start-up: read the config, finish or start signing in, then route.

import "./styles.css";
import { Api } from "./api";
import { Auth } from "./auth";
import { loadConfig } from "./config";
import { alertSentence, h, main, showPage } from "./dom";
import { renderMessage } from "./pages/message";
import { renderMessages } from "./pages/messages";
import { renderOverview } from "./pages/overview";
import { renderRule } from "./pages/rule";
import { renderRules } from "./pages/rules";
import { renderSequence } from "./pages/sequence";
import { renderSequences } from "./pages/sequences";
import { renderSenders } from "./pages/senders";
import { renderSuppressions } from "./pages/suppressions";
import { renderTemplate } from "./pages/template";
import { renderTemplates } from "./pages/templates";
import { renderWebhook } from "./pages/webhook";
import { renderWebhooks } from "./pages/webhooks";
import { section, startRouter, type Route } from "./router";
import type { Session } from "./session";

function signInAgain(auth: Auth, sentence: string): void {
  const button = h("button", { type: "button" }, "Sign in");
  button.addEventListener("click", () => void auth.signIn());
  showPage("Signed out", h("h1", {}, "Signed out"), h("p", { role: "status" }, sentence), button);
}

function showAccount(auth: Auth): void {
  const account = document.getElementById("account");
  const who = document.getElementById("signed-in-as");
  const signOut = document.getElementById("sign-out");
  if (!account || !who || !signOut) return;
  who.textContent = `Signed in as ${auth.subject}`;
  account.hidden = false;
  signOut.addEventListener("click", () => {
    void auth.signOut().then(() => {
      account.hidden = true;
      window.history.replaceState(null, "", window.location.pathname);
      signInAgain(auth, "You are signed out. Your tokens were kept in this tab's memory only and are gone.");
    });
  });
}

function route(session: Session, page: Route, signal: AbortSignal, focus: boolean): void {
  const { api } = session;
  if (page.page === "message") void renderMessage(api, page.messageId, signal);
  else if (page.page === "messages") renderMessages(api, signal);
  else if (page.page === "templates") renderTemplates(api, signal);
  else if (page.page === "template") void renderTemplate(session, page.templateId, signal);
  else if (page.page === "rules") renderRules(session, page.campaignId ?? session.campaignId, signal);
  else if (page.page === "rule") void renderRule(session, page.campaignId, page.ruleId, signal);
  else if (page.page === "senders") renderSenders(session, signal);
  else if (page.page === "suppressions") renderSuppressions(session, signal);
  else if (page.page === "sequences") renderSequences(session, page.campaignId ?? session.campaignId, signal);
  else if (page.page === "sequence") void renderSequence(session, page.campaignId, page.sequenceId, signal);
  else if (page.page === "webhooks") renderWebhooks(session, signal);
  else if (page.page === "webhook") void renderWebhook(session, page.webhookId, signal);
  else renderOverview(api, signal);
  for (const link of document.querySelectorAll<HTMLAnchorElement>("nav a")) {
    const current = link.hash === `#/${section(page)}`;
    if (current) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
  // After a navigation, start reading at the new page, as a full page load would.
  if (focus) main().focus();
}

// A deployed console serves every tenant: without a handle in its config, the user names
// theirs (kept for the tab, like the sign-in state; the API decides what they may see of it).
const HANDLE_KEY = "tenx-console.handle";

function askForHandle(): Promise<string> {
  const kept = window.sessionStorage.getItem(HANDLE_KEY);
  if (kept) return Promise.resolve(kept);
  return new Promise((resolve) => {
    const input = h("input", { id: "handle", name: "handle", required: true, autocomplete: "off", spellcheck: "false" });
    const form = h("form", { class: "filters" },
      h("div", { class: "field" }, h("label", { for: "handle" }, "Handle"), input),
      h("button", { type: "submit" }, "Open"));
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const handle = input.value.trim();
      if (!handle) return;
      window.sessionStorage.setItem(HANDLE_KEY, handle);
      resolve(handle);
    });
    showPage("Choose a handle", h("h1", {}, "Which handle?"),
      h("p", {}, "Name the handle whose email you want to see. What you may see of it is up to your role there."),
      form);
    input.focus();
  });
}

async function start(): Promise<void> {
  const config = await loadConfig();
  const auth = new Auth(config.oidc);
  if (Auth.isCallback(window.location)) {
    try {
      // replaceState, not location.hash: no hashchange to render the page a second time.
      window.history.replaceState(null, "", window.location.pathname + (await auth.completeSignIn()));
    } catch (error) {
      signInAgain(auth, `Sign-in did not complete: ${error instanceof Error ? error.message : String(error)}.`);
      return;
    }
  }
  if (!auth.signedIn) {
    await auth.signIn();
    return;
  }
  showAccount(auth);
  const api = new Api(config, auth, config.handle ?? (await askForHandle()));
  // Once per sign-in: which controls to show. The API still checks every request; a role
  // that cannot be read (the handle refused us) shows none, and each page says why.
  const role = await api.role().catch(() => null);
  const session: Session = { api, role, campaignId: config.campaignId };
  let first = true;
  startRouter((page, signal) => {
    route(session, page, signal, !first);
    first = false;
  });
}

start().catch((error: unknown) => {
  showPage("Console unavailable", h("h1", {}, "The console could not start"),
    alertSentence(error instanceof Error ? error.message : String(error)));
});
