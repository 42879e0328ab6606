// Sign-in: OpenID Connect's authorization code flow with PKCE (oidc-client-ts). The tokens are
// kept in memory only, so a reload signs in again; only the redirect's transient state (the
// PKCE verifier, the nonce, where to come back to) is in sessionStorage, which must outlive
// the trip to the identity provider.

import { InMemoryWebStorage, User, UserManager, WebStorageStateStore } from "oidc-client-ts";
import type { OidcConfig } from "./config";

// A 401 this soon after signing in is not an expired token: redirecting again would loop.
const FRESH_SIGN_IN_MS = 10_000;

export class Auth {
  private readonly manager: UserManager;
  private user: User | null = null;
  private signedInAt = 0;

  constructor(config: OidcConfig) {
    this.manager = new UserManager({
      authority: config.authority,
      client_id: config.clientId,
      redirect_uri: config.redirectUri,
      scope: config.scope,
      response_type: "code",
      userStore: new WebStorageStateStore({ store: new InMemoryWebStorage() }),
      // oidc-client-ts's default state store is localStorage: the verifier needs only the tab.
      stateStore: new WebStorageStateStore({ store: window.sessionStorage, prefix: "tenx-console." }),
      // No refresh tokens and no silent iframe: an expired token means signing in again.
      automaticSilentRenew: false,
      monitorSession: false,
      loadUserInfo: false,
    });
    this.manager.events.addAccessTokenExpired(() => void this.signIn());
  }

  /** Whether this page load is the identity provider's redirect back with a code or error. */
  static isCallback(location: Location): boolean {
    const query = new URLSearchParams(location.search);
    return query.has("state") && (query.has("code") || query.has("error"));
  }

  /** Finish the redirect: trade the code for tokens; answers the hash to go back to. */
  async completeSignIn(): Promise<string> {
    try {
      this.user = await this.manager.signinRedirectCallback();
    } finally {
      // The code is single-use: keep it out of the address bar and history either way.
      window.history.replaceState(null, "", window.location.pathname);
    }
    this.signedInAt = Date.now();
    const back = this.user.state;
    return typeof back === "string" && back.startsWith("#/") ? back : "#/overview";
  }

  /** Off to the identity provider; the current page is where sign-in comes back to. */
  async signIn(): Promise<void> {
    this.user = null;
    await this.manager.signinRedirect({ state: window.location.hash, nonce: crypto.randomUUID() });
  }

  async signOut(): Promise<void> {
    this.user = null;
    await this.manager.removeUser();
  }

  get signedIn(): boolean {
    return this.user !== null && !this.user.expired;
  }

  get subject(): string {
    return this.user?.profile.sub ?? "";
  }

  /** The access token for the API; signs in again (and never answers) once it has expired. */
  async accessToken(): Promise<string> {
    if (!this.user || this.user.expired) {
      await this.signIn();
      return new Promise<string>(() => undefined);
    }
    return this.user.access_token;
  }

  /** The API refused the token: sign in again, unless sign-in itself just gave it. */
  async refused(): Promise<boolean> {
    if (Date.now() - this.signedInAt < FRESH_SIGN_IN_MS) return false;
    await this.signIn();
    return true;
  }
}
