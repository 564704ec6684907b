// The one call the control plane makes when something worth telling happens: render, publish,
// record the outcome in the audit log. Never throws: a rollback must not fail because a
// notification did. In a Worker, hand the promise to ctx.waitUntil so the response never waits.
import type { NewAuditEntry } from "../../../shared/schemas/audit.ts";
import { errorFields, log } from "../log.ts";
import { notificationAuditEntry } from "./audit-entry.ts";
import type { NotifyEvent } from "./events.ts";
import { renderMessage } from "./messages.ts";
import type { PublishOutcome, Publisher } from "./publisher.ts";

export interface NotifierOptions {
  publisher: Publisher;
  /** The console's public URL for links; absent, messages carry none. */
  consoleUrl?: string;
  /** Appends to the audit log (control-plane/src/audit/append.ts appendAudit in the Worker). */
  record: (entry: NewAuditEntry) => Promise<unknown>;
}

export interface Notifier {
  notify(event: NotifyEvent): Promise<PublishOutcome>;
}

export function createNotifier(options: NotifierOptions): Notifier {
  return {
    notify: async (event) => {
      const message = renderMessage(event, options.consoleUrl);
      let outcome: PublishOutcome;
      try {
        outcome = await options.publisher.publish(message);
      } catch (error) {
        // Publishers report failures as outcomes; this only catches a bug, and still must not throw.
        log.error("notify.publisher-threw", { notification: event.type, host: message.host, ...errorFields(error) });
        outcome = { status: "failed", attempts: 0, code: "INTERNAL", message: error instanceof Error ? error.message : String(error) };
      }
      try {
        await options.record(notificationAuditEntry(event, message, outcome));
      } catch (error) {
        log.error("notify.audit-failed", { notification: event.type, host: message.host, outcome: outcome.status, ...errorFields(error) });
      }
      return outcome;
    },
  };
}
