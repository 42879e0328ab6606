// The signed-in user's role, and what it may do: the console shows a control only when the
// role reaches the minimum of the route it calls (layers/tenx_email/routes.py). The API
// still checks every request; this only keeps refusals off the page.

export type Role = "OWNER" | "OPERATOR" | "CREATOR";

const RANKS: Record<Role, number> = { CREATOR: 1, OPERATOR: 2, OWNER: 3 };

// The routes behind the console's controls, with their minimum roles.
const MINIMUMS = {
  previewTemplate: "OPERATOR", // POST .../templates/{templateId}/preview
  createRule: "OPERATOR", // POST .../email-rules
  updateRule: "OPERATOR", // PUT .../email-rules/{ruleId}
  reconcileDomain: "OPERATOR", // POST /v2/account/domains/{domain}/email-identity/reconcile
  addSuppression: "OPERATOR", // PUT .../email/suppressions/{email}
  removeSuppression: "OPERATOR", // DELETE .../email/suppressions/{email}
  createSequence: "OPERATOR", // POST .../sequences
  updateSequence: "OPERATOR", // PUT .../sequences/{sequenceId} (edit, pause, resume, archive)
  listEnrollments: "OPERATOR", // GET .../sequences/{sequenceId}/enrollments
  enrollLead: "OPERATOR", // POST .../sequences/{sequenceId}/enrollments
  stopEnrollment: "OPERATOR", // DELETE .../sequences/{sequenceId}/enrollments/{leadId}
  // Every webhook route is OPERATOR's: a URL may carry the receiver's own credentials.
  createWebhook: "OPERATOR", // POST .../email/webhooks
  updateWebhook: "OPERATOR", // PUT .../webhooks/{webhookId} (the edit form, enable and disable)
  deleteWebhook: "OPERATOR", // DELETE .../webhooks/{webhookId}
  rotateWebhookSecret: "OPERATOR", // POST .../webhooks/{webhookId}/rotate-secret
  sendWebhookTest: "OPERATOR", // POST .../webhooks/{webhookId}/test
  replayWebhookDelivery: "OPERATOR", // POST .../webhooks/{webhookId}/deliveries/{deliveryId}/replay
  replayWebhookWindow: "OPERATOR", // POST .../webhooks/{webhookId}/replay
} as const satisfies Record<string, Role>;

export type Action = keyof typeof MINIMUMS;

/** Whether `role` may do `action`; no role (it could not be read) may do nothing. */
export function may(role: Role | null, action: Action): boolean {
  return role !== null && RANKS[role] >= RANKS[MINIMUMS[action]];
}
