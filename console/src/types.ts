// The API's response shapes this console reads (docs/openapi.json).

export type Purpose = "TRANSACTIONAL_API" | "PRODUCT_NOTIFICATION" | "LEAD_VERIFICATION";
export const PURPOSES: Purpose[] = ["TRANSACTIONAL_API", "PRODUCT_NOTIFICATION", "LEAD_VERIFICATION"];
export const MESSAGE_STATUSES = [
  "QUEUED", "SENDING", "SENT", "DENIED", "FAILED", "UNKNOWN",
  "DELIVERY_DELAYED", "DELIVERED", "BOUNCED", "COMPLAINED",
] as const;
export type MessageStatus = (typeof MESSAGE_STATUSES)[number];

export interface StatsBucket {
  start: string;
  accepted: number;
  sent: number;
  delivered: number;
  bounced: number;
  complained: number;
  denied: number;
  failed: number;
  unsubscribed: number;
  bounceRate: number;
  complaintRate: number;
}

export interface Stats {
  granularity: "hour" | "day";
  from: string;
  to: string;
  buckets: StatsBucket[];
  totals: StatsBucket;
}

export interface Reputation {
  windowHours: number;
  sent: number;
  bounced: number;
  complained: number;
  bounceRate: number;
  complaintRate: number;
  status: "HEALTHY" | "WARNING" | "PAUSE";
  reason?: string | null;
}

export interface Quota {
  dailyLimit: number;
  usedToday: number;
  remainingToday: number;
  resetsAt: string;
  sandbox?: boolean | null;
  sendingPaused?: { reason: string; since: string } | null;
  sesTenant?: { name: string; sendingStatus: string } | null;
  reputation?: Reputation | null;
}

export interface MessageSummary {
  messageId: string;
  status: MessageStatus;
  purpose: Purpose;
  senderId: string;
  recipientCount: number;
  fromEmail: string;
  createdAt: string;
  testMode?: boolean | null;
}

export interface Recipient {
  email: string;
  status: MessageStatus;
  reason: string | null;
}

export interface TimelineEvent {
  eventId: string;
  type: string;
  recipient: string | null;
  detail: string | null;
  occurredAt: string;
}

export interface MessageDetail extends MessageSummary {
  subject: string;
  templateId: string;
  templateVersion: number;
  statusReason: string | null;
  updatedAt: string;
  held?: { reason: string; since: string } | null;
  recipients: Recipient[];
  timeline: TimelineEvent[];
}

// Templates, senders and campaign email rules (the authoring pages).

export interface Template {
  templateId: string;
  name: string;
  activeVersion: number;
  status: "ACTIVE" | "PAUSED";
}

export interface TemplateVersion {
  version: number;
  subject: string;
  html: string | null;
  text: string | null;
  createdAt: string;
}

export interface TemplateDetail {
  template: Template;
  versions: TemplateVersion[];
}

export interface Preview {
  templateId: string;
  version: number;
  subject: string;
  html: string | null;
  text: string | null;
  missingVariables: string[];
}

export interface Sender {
  senderId: string;
  fromEmail: string;
  displayName: string;
  status: "READY" | "NOT_READY";
  enabled: boolean;
  domain: string;
  localPart: string;
  replyTo: string | null;
  purposes: Purpose[];
  identityKey: string;
}

export const TRIGGERS = ["LEAD_CAPTURED", "LEAD_CAPTURED_DELAYED", "CONVERSION"] as const;
export type Trigger = (typeof TRIGGERS)[number];

/** What a rule's create or update sends (the API replaces the whole rule on update). */
export interface RuleDraft {
  trigger: Trigger;
  delayMinutes: number | null;
  templateId: string;
  senderId: string;
  enabled: boolean;
  testMode: boolean;
  variableMappings: Record<string, string>;
}

export interface EmailRule extends RuleDraft {
  ruleId: string;
  campaignId: string;
  version: number;
  createdAt: string;
  updatedAt: string;
}

export interface RuleRun {
  eventId: string;
  outcome: "SCHEDULED" | "MESSAGE_CREATED" | "SKIPPED";
  ruleVersion: number;
  messageId: string | null;
  reason: string | null;
  at: string;
}

// Domains and suppressions (the setup pages).

export interface DnsRecord {
  type: string;
  name: string;
  value: string;
}

export interface DomainIdentity {
  identityKey: string;
  region: string;
  domain: string;
  status: "PENDING" | "READY" | "FAILED";
  statusReason: string | null;
  /** What to create in DNS; empty once READY. */
  requiredDnsRecords: DnsRecord[];
  mailFromDomain: string;
}

export interface Suppression {
  email: string;
  reason: string;
  source: "manual" | "bounce" | "complaint" | "unsubscribe";
  /** null: every purpose. */
  purposes: Purpose[] | null;
  createdAt: string;
}

// Campaign sequences and their enrollments (the sequences pages).

export const SEQUENCE_TRIGGERS = ["LEAD_CAPTURED", "CONVERSION"] as const;
export type SequenceTrigger = (typeof SEQUENCE_TRIGGERS)[number];
export const SEQUENCE_EXITS = ["CONVERSION", "UNSUBSCRIBED", "BOUNCED", "COMPLAINED"] as const;
export type SequenceExit = (typeof SEQUENCE_EXITS)[number];
export type SequenceStatus = "ACTIVE" | "PAUSED" | "ARCHIVED";

export interface EmailStep {
  type: "email";
  templateId: string;
  senderId: string;
  variableMappings: Record<string, string>;
}

export interface WaitStep {
  type: "wait";
  minutes: number;
}

export type SequenceStep = EmailStep | WaitStep;

/** What a sequence's create or update sends (the API replaces the whole sequence on update). */
export interface SequenceDraft {
  name: string;
  trigger: SequenceTrigger;
  steps: SequenceStep[];
  exitOn: SequenceExit[];
  enabled: boolean;
  status: SequenceStatus;
  testMode: boolean;
}

export interface Sequence extends Omit<SequenceDraft, "testMode"> {
  sequenceId: string;
  campaignId: string;
  version: number;
  testMode?: boolean | null;
  createdAt: string;
  updatedAt: string;
}

export interface SequenceStats {
  sequenceId: string;
  enrolled: number;
  active: number;
  completed: number;
  stopped: number;
  exited: Record<string, number>;
  sentByStep: { step: number; sent: number }[];
}

export const ENROLLMENT_STATUSES = ["ACTIVE", "COMPLETED", "EXITED", "STOPPED"] as const;
export type EnrollmentStatus = (typeof ENROLLMENT_STATUSES)[number];

export interface Enrollment {
  leadId: string;
  enrollmentId: string;
  sequenceId: string;
  version: number;
  status: EnrollmentStatus;
  step: number;
  nextStepAt: string | null;
  held: boolean;
  exitReason: string | null;
  note: string | null;
  enrolledAt: string;
  updatedAt: string;
}

// Webhook endpoints and their delivery log (the webhooks pages).

/** The event types an endpoint may subscribe to (docs/openapi.json, WebhookIn.events). */
export const WEBHOOK_EVENTS = [
  "QUEUED", "SENT", "DENIED", "FAILED", "UNKNOWN", "DELIVERED", "DELIVERY_DELAYED", "BOUNCED",
  "COMPLAINED", "REJECTED", "RENDERING_FAILED", "UNSUBSCRIBED", "SCHEDULED", "MESSAGE_CREATED", "SKIPPED",
] as const;
export type WebhookEvent = (typeof WEBHOOK_EVENTS)[number];

/** What a create or update sends (an update replaces the whole endpoint). `events` empty:
 * every type, including types added later. */
export interface WebhookDraft {
  url: string;
  events: string[];
  enabled: boolean;
  description: string | null;
}

export interface Webhook extends WebhookDraft {
  webhookId: string;
  status: "ENABLED" | "DISABLED" | "FAILING";
  disabledReason?: string | null;
  version: number;
  createdAt: string;
  updatedAt: string;
}

/** The only answers that carry a signing secret: a create and a rotation. */
export interface WebhookWithSecret {
  webhook: Webhook;
  secret: string;
  previousSecretExpiresAt?: string | null;
}

export const DELIVERY_STATUSES = ["PENDING", "SUCCEEDED", "FAILED", "CANCELLED"] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

export interface DeliveryAttempt {
  at: string;
  httpStatus: number | null;
  latencyMs: number | null;
  error: string | null;
}

export interface WebhookDelivery {
  deliveryId: string;
  eventType: string;
  status: DeliveryStatus;
  createdAt: string;
  nextAttemptAt?: string | null;
  attempts: DeliveryAttempt[];
  payload: Record<string, unknown>;
}

export interface Replayed {
  replayed: number;
  truncated: boolean;
}
