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
