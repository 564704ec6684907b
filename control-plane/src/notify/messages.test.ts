import { describe, expect, it } from "vitest";
import { consoleUrl, sampleEvents } from "../../../test/fixtures/notify/events.ts";
import type { NotifyEvent } from "./events.ts";
import { messageAttributes, messageStructure, renderMessage, smsLimit } from "./messages.ts";

const printableAscii = /^[\x20-\x7e]*$/;

describe("rendering notifications", () => {
  it.each([
    [
      "rollback.requested",
      "info",
      "Rewind app-1: rollback requested by alice: v2 deploy broke PDF export https://rewind.example.com/#/rollbacks/rb_7Hq2VnX0aa",
    ],
    ["rollback.started", "info", "Rewind app-1: rollback started. https://rewind.example.com/#/rollbacks/rb_7Hq2VnX0aa"],
    [
      "rollback.step-failed",
      "warning",
      "Rewind app-1: rollback step verify FAILED: backend health check failed 3 times: connection refused on :8080 https://rewind.example.com/#/rollbacks/rb_7Hq2VnX0aa",
    ],
    ["rollback.succeeded", "info", "Rewind app-1: rollback SUCCEEDED: in 2m 14s https://rewind.example.com/#/rollbacks/rb_7Hq2VnX0aa"],
    [
      "rollback.failed",
      "critical",
      "Rewind app-2: rollback FAILED at preflight: free disk 1.2 GB is below the 5 GB threshold https://rewind.example.com/#/rollbacks/rb_9KpL3mY1bb",
    ],
    [
      "rollback.undone",
      "critical",
      "Rewind app-3: rollback failed and was UNDONE: host is back on the state before the rollback https://rewind.example.com/#/rollbacks/rb_2WxR8tZ5cc",
    ],
    [
      "decision.automatic",
      "critical",
      "Rewind app-4: HighErrorRate -> automatic rollback: error rate 14.2 % above 10 % over 10 minutes https://rewind.example.com/#/rollbacks/rb_4DfG6hJ7dd",
    ],
    ["agent.offline", "warning", "Rewind app-5: agent OFFLINE for 17 min: last seen 2026-11-25T10:41:07Z https://rewind.example.com/#/hosts/app-5"],
    ["backup.stale", "warning", "Rewind app-6: newest backup is 30 h old: limit 24 h https://rewind.example.com/#/hosts/app-6"],
    [
      "rollback.lost",
      "critical",
      "Rewind app-7: rollback ABANDONED, host state unknown: abandoned by admin: host reinstalled https://rewind.example.com/#/rollbacks/rb_5LmN8pQ2ee",
    ],
  ])("%s: one %s SMS naming host, what, result and link", (type, severity, sms) => {
    const event = sampleEvents.find((candidate) => candidate.type === type);
    if (event === undefined) throw new TypeError(`no sample for ${type}`);
    const message = renderMessage(event, consoleUrl);
    expect(message.sms).toBe(sms);
    expect(message.sms.length).toBeLessThanOrEqual(smsLimit);
    expect(message.severity).toBe(severity);
    expect(message.subject.length).toBeLessThanOrEqual(100);
    expect(message.subject).toMatch(printableAscii);
    expect(message.email).toContain(`Severity: ${severity}`);
    expect(messageAttributes(message)).toEqual({
      event: { DataType: "String", StringValue: type },
      host: { DataType: "String", StringValue: message.host },
      severity: { DataType: "String", StringValue: severity },
    });
  });

  it("writes the full story in the e-mail form", () => {
    const failed = renderMessage(sampleEvents[4] as NotifyEvent, consoleUrl);
    expect(failed.subject).toBe("[Rewind] app-2: rollback FAILED at preflight");
    expect(failed.email).toBe(
      [
        "Rewind app-2: rollback FAILED at preflight",
        "",
        "Step: preflight",
        "Code: PREFLIGHT_FAILED",
        "Error: free disk 1.2 GB is below the 5 GB threshold",
        "Rollback: rb_9KpL3mY1bb",
        "Host: app-2",
        "Severity: critical",
        "",
        "Open in the console: https://rewind.example.com/#/rollbacks/rb_9KpL3mY1bb",
        "",
        'You receive this because your SNS subscription matches event "rollback.failed".',
      ].join("\n"),
    );
  });

  it("packs default, sms and email into one SNS JSON message structure", () => {
    const message = renderMessage(sampleEvents[3] as NotifyEvent, consoleUrl);
    expect(JSON.parse(messageStructure(message))).toEqual({ default: message.email, sms: message.sms, email: message.email });
  });

  it("keeps the SMS within 160 ASCII characters and the link whole, whatever the input", () => {
    const host = `h${"x".repeat(61)}z`;
    const message = renderMessage(
      {
        type: "rollback.requested",
        host,
        rollbackId: "rb_LongLongLong01",
        requestedBy: "Zoë Müller-Lüdenscheidt",
        reason: `“Checkout” is broken — ${"déjà vu … ".repeat(40)}`,
      },
      consoleUrl,
    );
    expect(message.sms.length).toBeLessThanOrEqual(smsLimit);
    expect(message.sms).toMatch(printableAscii);
    expect(message.sms).toContain(host);
    expect(message.sms.endsWith("... https://rewind.example.com/#/rollbacks/rb_LongLongLong01")).toBe(true);
    expect(message.subject.length).toBeLessThanOrEqual(100);
    expect(message.email).toContain("Zoë Müller-Lüdenscheidt");
  });

  it("transliterates to ASCII so one accent does not cut the SMS to 70 characters", () => {
    const message = renderMessage(
      { type: "rollback.requested", host: "app-1", rollbackId: "rb_Translit0001", requestedBy: "Zoë Müller", reason: "“Checkout” broke — again…" },
      consoleUrl,
    );
    expect(message.sms).toBe(
      'Rewind app-1: rollback requested by Zoe Muller: "Checkout" broke - again... https://rewind.example.com/#/rollbacks/rb_Translit0001',
    );
  });

  it("drops an over-long console link from the SMS but keeps it in the e-mail", () => {
    const longUrl = `https://rewind.example.com/${"deep/".repeat(20)}`;
    const message = renderMessage(sampleEvents[1] as NotifyEvent, longUrl);
    expect(message.sms).toBe("Rewind app-1: rollback started.");
    expect(message.email).toContain(`Open in the console: ${longUrl.replace(/\/+$/, "")}/#/rollbacks/rb_7Hq2VnX0aa`);
  });

  it("renders without a console link when no public URL is configured", () => {
    const message = renderMessage(sampleEvents[7] as NotifyEvent);
    expect(message.sms).toBe("Rewind app-5: agent OFFLINE for 17 min: last seen 2026-11-25T10:41:07Z");
    expect(message.email).not.toContain("Open in the console");
  });

  it("names a decision that does not roll back, and a host it could not identify", () => {
    const message = renderMessage({
      type: "decision.automatic",
      alertname: "HealthCheckFailures",
      decision: { decision: "none", code: "NO_HOST", reason: "no host label names a Rewind host", host: null, episodeKey: "fp@2026-11-25T10:00:00.000Z" },
    });
    expect(message.host).toBe("unknown");
    expect(message.severity).toBe("info");
    expect(message.sms).toBe("Rewind unknown: HealthCheckFailures -> no rollback (NO_HOST): no host label names a Rewind host");
  });

  it("links a decision that started no rollback to its host's page, which the console has", () => {
    const message = renderMessage(
      {
        type: "decision.automatic",
        alertname: "HighErrorRate",
        decision: { decision: "none", code: "COOLDOWN", reason: "a rollback ran 5 min ago", host: "app-8", episodeKey: "fp@2026-11-25T10:00:00.000Z" },
      },
      consoleUrl,
    );
    expect(message.sms).toMatch(/ https:\/\/rewind\.example\.com\/#\/hosts\/app-8$/);
  });

  it("says so when a host has no backup at all", () => {
    const message = renderMessage({ type: "backup.stale", host: "app-7", ageHours: 0, thresholdHours: 24 }, consoleUrl);
    expect(message.sms).toBe("Rewind app-7: NO backup: limit 24 h https://rewind.example.com/#/hosts/app-7");
    expect(message.email).toContain("Taken at: never");
  });
});
