// The API client: each call carries the access token; a refused token means signing in again.

import type { Auth } from "./auth";
import type { ConsoleConfig } from "./config";
import type { Role } from "./roles";
import type {
  EmailRule, MessageDetail, MessageSummary, Preview, Quota, RuleDraft, RuleRun, Sender, Stats,
  Template, TemplateDetail,
} from "./types";
import type {
  DomainIdentity, Enrollment, Purpose, Replayed, Sequence, SequenceDraft, SequenceStats,
  Suppression, Webhook, WebhookDelivery, WebhookDraft, WebhookWithSecret,
} from "./types";

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
    /** The handle every call is about. */
    readonly handle: string,
  ) {}

  private handleRoot(): string {
    return `/v2/handles/${encodeURIComponent(this.handle)}`;
  }

  private handlePath(rest: string): string {
    return `${this.handleRoot()}/email/${rest}`;
  }

  private rulesPath(campaignId: string, rest = ""): string {
    return `${this.handleRoot()}/campaigns/${encodeURIComponent(campaignId)}/email-rules${rest}`;
  }

  private get<T>(path: string, query: Query = {}): Promise<T> {
    return this.request<T>("GET", path, query);
  }

  private async request<T>(method: string, path: string, query: Query = {}, payload?: unknown): Promise<T> {
    const search = new URLSearchParams();
    for (const [name, value] of Object.entries(query)) if (value) search.set(name, value);
    const url = `${this.config.apiBase}${path}${search.toString() ? `?${search}` : ""}`;
    const token = await this.auth.accessToken();
    const headers: Record<string, string> = { Authorization: `Bearer ${token}` };
    if (payload !== undefined) headers["Content-Type"] = "application/json";
    let response: Response;
    try {
      response = await fetch(url, { method, headers, ...(payload === undefined ? {} : { body: JSON.stringify(payload) }) });
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

  /** The signed-in user's own role on the handle. */
  async role(): Promise<Role> {
    return (await this.get<{ access: { role: Role } }>(`${this.handleRoot()}/access`)).access.role;
  }

  async templates(nextToken?: string): Promise<{ templates: Template[]; nextToken: string | null }> {
    return this.get(this.handlePath("templates"), { limit: "25", nextToken });
  }

  async template(templateId: string): Promise<TemplateDetail> {
    return this.get(this.handlePath(`templates/${encodeURIComponent(templateId)}`));
  }

  async preview(templateId: string, version: number, variables: Record<string, string>): Promise<Preview> {
    const path = this.handlePath(`templates/${encodeURIComponent(templateId)}/preview`);
    return (await this.request<{ preview: Preview }>("POST", path, {}, { version, variables })).preview;
  }

  async senders(): Promise<Sender[]> {
    return (await this.get<{ senders: Sender[] }>(this.handlePath("senders"))).senders;
  }

  async rules(campaignId: string): Promise<EmailRule[]> {
    return (await this.get<{ rules: EmailRule[] }>(this.rulesPath(campaignId))).rules;
  }

  async createRule(campaignId: string, draft: RuleDraft): Promise<EmailRule> {
    return (await this.request<{ rule: EmailRule }>("POST", this.rulesPath(campaignId), {}, draft)).rule;
  }

  /** Replace a rule, only if it is still at `expectedVersion` (else 409 version_conflict). */
  async updateRule(campaignId: string, ruleId: string, draft: RuleDraft, expectedVersion: number): Promise<EmailRule> {
    const path = this.rulesPath(campaignId, `/${encodeURIComponent(ruleId)}`);
    return (await this.request<{ rule: EmailRule }>("PUT", path, {}, { ...draft, expectedVersion })).rule;
  }

  async ruleRuns(campaignId: string, ruleId: string, nextToken?: string): Promise<{ runs: RuleRun[]; nextToken: string | null }> {
    return this.get(this.rulesPath(campaignId, `/${encodeURIComponent(ruleId)}/runs`), { limit: "25", nextToken });
  }

  // Domains and suppressions (the setup pages).

  /** An account route: the API finds which of the caller's accounts owns the domain, so the
   * console names no account (accountId is asked for only when attaching a domain). */
  async domainIdentity(domain: string): Promise<DomainIdentity> {
    const path = `/v2/account/domains/${encodeURIComponent(domain)}/email-identity`;
    return (await this.get<{ identity: DomainIdentity }>(path)).identity;
  }

  async reconcileDomain(domain: string): Promise<DomainIdentity> {
    const path = `/v2/account/domains/${encodeURIComponent(domain)}/email-identity/reconcile`;
    return (await this.request<{ identity: DomainIdentity }>("POST", path)).identity;
  }

  async suppressions(nextToken?: string): Promise<{ suppressions: Suppression[]; nextToken: string | null }> {
    return this.get(this.handlePath("suppressions"), { limit: "25", nextToken });
  }

  /** The address goes in the path, encoded whole: "+" and "@" reach the API as written. */
  async suppress(email: string, reason: string | null, purposes: Purpose[] | null): Promise<Suppression> {
    const path = this.handlePath(`suppressions/${encodeURIComponent(email)}`);
    return (await this.request<{ suppression: Suppression }>("PUT", path, {}, { reason, purposes })).suppression;
  }

  async unsuppress(email: string): Promise<void> {
    await this.request<null>("DELETE", this.handlePath(`suppressions/${encodeURIComponent(email)}`));
  }

  // Sequences (the sequences pages)

  private sequencesPath(campaignId: string, rest = ""): string {
    return `${this.handleRoot()}/campaigns/${encodeURIComponent(campaignId)}/sequences${rest}`;
  }

  private sequencePath(campaignId: string, sequenceId: string, rest = ""): string {
    return this.sequencesPath(campaignId, `/${encodeURIComponent(sequenceId)}${rest}`);
  }

  async sequences(campaignId: string): Promise<Sequence[]> {
    return (await this.get<{ sequences: Sequence[] }>(this.sequencesPath(campaignId))).sequences;
  }

  async sequence(campaignId: string, sequenceId: string): Promise<Sequence> {
    return (await this.get<{ sequence: Sequence }>(this.sequencePath(campaignId, sequenceId))).sequence;
  }

  async createSequence(campaignId: string, draft: SequenceDraft): Promise<Sequence> {
    return (await this.request<{ sequence: Sequence }>("POST", this.sequencesPath(campaignId), {}, draft)).sequence;
  }

  /** Replace a sequence (its status too), only if it is still at `expectedVersion` (else 409
   * version_conflict). */
  async updateSequence(campaignId: string, sequenceId: string, draft: SequenceDraft, expectedVersion: number): Promise<Sequence> {
    const path = this.sequencePath(campaignId, sequenceId);
    return (await this.request<{ sequence: Sequence }>("PUT", path, {}, { ...draft, expectedVersion })).sequence;
  }

  async sequenceStats(campaignId: string, sequenceId: string): Promise<SequenceStats> {
    return (await this.get<{ stats: SequenceStats }>(this.sequencePath(campaignId, sequenceId, "/stats"))).stats;
  }

  async enrollments(campaignId: string, sequenceId: string, filters: { status?: string; nextToken?: string }): Promise<{
    enrollments: Enrollment[];
    nextToken: string | null;
  }> {
    return this.get(this.sequencePath(campaignId, sequenceId, "/enrollments"), { limit: "25", ...filters });
  }

  /** Enroll a captured lead; `enrolled: false` when it already had an ACTIVE enrollment (answered). */
  async enroll(campaignId: string, sequenceId: string, leadId: string): Promise<{ enrolled: boolean; enrollment: Enrollment }> {
    return this.request("POST", this.sequencePath(campaignId, sequenceId, "/enrollments"), {}, { leadId });
  }

  async stopEnrollment(campaignId: string, sequenceId: string, leadId: string): Promise<void> {
    await this.request<unknown>("DELETE", this.sequencePath(campaignId, sequenceId, `/enrollments/${encodeURIComponent(leadId)}`));
  }

  // Webhooks: a handle's endpoints, their secrets and their delivery log.
  private webhookPath(webhookId: string, rest = ""): string {
    return this.handlePath(`webhooks/${encodeURIComponent(webhookId)}${rest}`);
  }

  async webhooks(): Promise<Webhook[]> {
    return (await this.get<{ webhooks: Webhook[] }>(this.handlePath("webhooks"))).webhooks;
  }

  async webhook(webhookId: string): Promise<Webhook> {
    return (await this.get<{ webhook: Webhook }>(this.webhookPath(webhookId))).webhook;
  }

  /** The answer holds the signing secret: the only time the API shows it. */
  async createWebhook(draft: WebhookDraft): Promise<WebhookWithSecret> {
    return this.request<WebhookWithSecret>("POST", this.handlePath("webhooks"), {}, draft);
  }

  /** Replace an endpoint, only if it is still at `expectedVersion` (else 409 version_conflict). */
  async updateWebhook(webhookId: string, draft: WebhookDraft, expectedVersion: number): Promise<Webhook> {
    const body = { ...draft, expectedVersion };
    return (await this.request<{ webhook: Webhook }>("PUT", this.webhookPath(webhookId), {}, body)).webhook;
  }

  async deleteWebhook(webhookId: string): Promise<void> {
    await this.request<null>("DELETE", this.webhookPath(webhookId));
  }

  async rotateWebhookSecret(webhookId: string): Promise<WebhookWithSecret> {
    return this.request<WebhookWithSecret>("POST", this.webhookPath(webhookId, "/rotate-secret"));
  }

  async sendWebhookTest(webhookId: string): Promise<WebhookDelivery> {
    return (await this.request<{ delivery: WebhookDelivery }>("POST", this.webhookPath(webhookId, "/test"))).delivery;
  }

  async webhookDeliveries(webhookId: string, filters: { status?: string; nextToken?: string }): Promise<{
    deliveries: WebhookDelivery[];
    nextToken: string | null;
  }> {
    return this.get(this.webhookPath(webhookId, "/deliveries"), { limit: "25", ...filters });
  }

  async replayWebhookDelivery(webhookId: string, deliveryId: string): Promise<WebhookDelivery> {
    const path = this.webhookPath(webhookId, `/deliveries/${encodeURIComponent(deliveryId)}/replay`);
    return (await this.request<{ delivery: WebhookDelivery }>("POST", path)).delivery;
  }

  async replayWebhookWindow(webhookId: string, since: string, until: string): Promise<Replayed> {
    return this.request<Replayed>("POST", this.webhookPath(webhookId, "/replay"), {}, { since, until });
  }
}
