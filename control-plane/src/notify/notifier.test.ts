import { describe, expect, it } from "vitest";
import type { NewAuditEntry } from "../../../shared/schemas/audit.ts";
import { consoleUrl, sampleEvents } from "../../../test/fixtures/notify/events.ts";
import { notificationAuditEntry } from "./audit-entry.ts";
import type { NotifyEvent } from "./events.ts";
import { renderMessage } from "./messages.ts";
import { createNotifier } from "./notifier.ts";
import { createPublisher, type Publisher } from "./publisher.ts";

const quiet = (): void => {};

describe("audit entries for notifications", () => {
  const requested = sampleEvents[0] as NotifyEvent;
  const message = renderMessage(requested, consoleUrl);

  it.each([
    [{ status: "published", messageId: "m-1", attempts: 2 } as const, "notification.published", { messageId: "m-1", attempts: 2 }],
    [
      { status: "failed", attempts: 4, code: "ECONNREFUSED", message: "fetch failed" } as const,
      "notification.failed",
      { attempts: 4, code: "ECONNREFUSED", error: "fetch failed" },
    ],
    [{ status: "logged", reason: "sns-not-configured" } as const, "notification.logged", { reason: "sns-not-configured" }],
  ])("%j is recorded as %s", (outcome, action, details) => {
    expect(notificationAuditEntry(requested, message, outcome)).toEqual({
      actor: { kind: "system" },
      action,
      subject: "rollback:rb_7Hq2VnX0aa",
      details: { event: "rollback.requested", host: "app-1", severity: "info", sms: message.sms, ...details },
    });
  });

  it("files host events under the host", () => {
    const offline = sampleEvents.find((event) => event.type === "agent.offline") as NotifyEvent;
    const entry = notificationAuditEntry(offline, renderMessage(offline), { status: "logged", reason: "sns-not-configured" });
    expect(entry.subject).toBe("host:app-5");
  });
});

describe("notifier", () => {
  it("records every notification in the audit log and returns the outcome", async () => {
    const entries: NewAuditEntry[] = [];
    const notifier = createNotifier({
      publisher: createPublisher({ info: quiet }),
      consoleUrl,
      record: async (entry) => {
        entries.push(entry);
      },
    });
    const outcome = await notifier.notify(sampleEvents[3] as NotifyEvent);
    expect(outcome).toEqual({ status: "logged", reason: "sns-not-configured" });
    expect(entries.map((entry) => [entry.action, entry.subject])).toEqual([["notification.logged", "rollback:rb_7Hq2VnX0aa"]]);
  });

  it("neither throws when the audit log is down nor when a publisher misbehaves", async () => {
    const broken: Publisher = {
      publish: () => Promise.reject(new Error("publisher bug")),
    };
    const notifier = createNotifier({
      publisher: broken,
      record: () => Promise.reject(new Error("audit log unavailable")),
    });
    await expect(notifier.notify(sampleEvents[4] as NotifyEvent)).resolves.toEqual({
      status: "failed",
      attempts: 0,
      code: "INTERNAL",
      message: "publisher bug",
    });
  });
});
