// The runtime configuration, ./config.json beside the app: which API, handle and sign-in.

export interface OidcConfig {
  authority: string;
  clientId: string;
  redirectUri: string;
  scope: string;
}

export interface ConsoleConfig {
  /** The API's origin; empty for the console's own origin. */
  apiBase: string;
  /** The handle the console opens; absent (a deployed console serves every tenant): it asks. */
  handle: string | null;
  /** The campaign whose email rules the Rules link opens; absent: the page asks for one. */
  campaignId: string | null;
  oidc: OidcConfig;
}

function text(value: unknown, name: string, allowEmpty = false): string {
  if (typeof value !== "string" || (!allowEmpty && value === "")) {
    throw new Error(`config.json: ${name} must be a${allowEmpty ? "" : " non-empty"} string`);
  }
  return value;
}

export async function loadConfig(): Promise<ConsoleConfig> {
  const response = await fetch("./config.json", { cache: "no-cache" });
  if (!response.ok) throw new Error(`config.json could not be read (HTTP ${response.status})`);
  const raw: unknown = await response.json();
  const document = (raw ?? {}) as Record<string, unknown>;
  const oidc = (document["oidc"] ?? {}) as Record<string, unknown>;
  return {
    apiBase: text(document["apiBase"], "apiBase", true).replace(/\/$/, ""),
    handle: document["handle"] === undefined ? null : text(document["handle"], "handle"),
    campaignId: document["campaignId"] === undefined ? null : text(document["campaignId"], "campaignId"),
    oidc: {
      authority: text(oidc["authority"], "oidc.authority"),
      clientId: text(oidc["clientId"], "oidc.clientId"),
      redirectUri: text(oidc["redirectUri"], "oidc.redirectUri"),
      scope: text(oidc["scope"], "oidc.scope"),
    },
  };
}
