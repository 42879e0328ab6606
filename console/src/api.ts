// The API client: each call carries the access token; a refused token means signing in again.

import type { Auth } from "./auth";
import type { ConsoleConfig } from "./config";
import type { MessageDetail, MessageSummary, Quota, Stats } from "./types";

/** An API answer other than success, with the error body's code and message. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

type Query = Record<string, string | undefined>;

export class Api {
  constructor(
    private readonly config: ConsoleConfig,
    private readonly auth: Auth,
  ) {}

  private handlePath(rest: string): string {
    return `/v2/handles/${encodeURIComponent(this.config.handle)}/email/${rest}`;
  }

  private async get<T>(path: string, query: Query = {}): Promise<T> {
    const search = new URLSearchParams();
    for (const [name, value] of Object.entries(query)) if (value) search.set(name, value);
    const url = `${this.config.apiBase}${path}${search.toString() ? `?${search}` : ""}`;
    const token = await this.auth.accessToken();
    let response: Response;
    try {
      response = await fetch(url, { headers: { Authorization: `Bearer ${token}` } });
    } catch {
      throw new ApiError(0, "network_error", "the API could not be reached");
    }
    const body: unknown = await response.json().catch(() => null);
    if (response.ok) return body as T;
    const error = (body ?? {}) as { error?: unknown; message?: unknown };
    const code = typeof error.error === "string" ? error.error : "unexpected_answer";
    const message = typeof error.message === "string" ? error.message : `HTTP ${response.status}`;
    if (response.status === 401 && (await this.auth.refused())) {
      return new Promise<T>(() => undefined); // off to sign in again
    }
    throw new ApiError(response.status, code, message);
  }

  async stats(range: { from?: string; to?: string }): Promise<Stats> {
    const answer = await this.get<{ stats: Stats }>(this.handlePath("stats"), { granularity: "day", ...range });
    return answer.stats;
  }

  async quota(): Promise<Quota> {
    return (await this.get<{ quota: Quota }>(this.handlePath("quota"))).quota;
  }

  async messages(filters: { status?: string; purpose?: string; nextToken?: string }): Promise<{
    messages: MessageSummary[];
    nextToken: string | null;
  }> {
    return this.get(this.handlePath("messages"), { limit: "25", ...filters });
  }

  async message(messageId: string): Promise<MessageDetail> {
    const path = this.handlePath(`messages/${encodeURIComponent(messageId)}`);
    return (await this.get<{ message: MessageDetail }>(path)).message;
  }
}
