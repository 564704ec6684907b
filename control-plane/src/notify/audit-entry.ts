// What the audit log records about one notification: which event, to whom it was about, and
// whether SNS took it (message id), refused it (code, attempts) or it was only logged. Pure.
import type { NewAuditEntry } from "../../../shared/schemas/audit.ts";
import type { NotifyEvent } from "./events.ts";
import type { RenderedMessage } from "./messages.ts";
import type { PublishOutcome } from "./publisher.ts";

export function notificationAuditEntry(event: NotifyEvent, message: RenderedMessage, outcome: PublishOutcome): NewAuditEntry {
  const common = { event: message.event, host: message.host, severity: message.severity, sms: message.sms };
  return {
    actor: { kind: "system" },
    action: `notification.${outcome.status}`,
    subject: subjectOf(event),
    details:
      outcome.status === "published"
        ? { ...common, messageId: outcome.messageId, attempts: outcome.attempts }
        : outcome.status === "failed"
          ? { ...common, attempts: outcome.attempts, code: outcome.code, error: outcome.message }
          : { ...common, reason: outcome.reason },
  };
}

function subjectOf(event: NotifyEvent): string {
  if ("rollbackId" in event && event.rollbackId !== undefined) return `rollback:${event.rollbackId}`;
  if (event.type === "decision.automatic") return `host:${event.decision.host ?? "unknown"}`;
  return `host:${event.host}`;
}
