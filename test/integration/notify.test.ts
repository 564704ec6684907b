// Notifications through the real @aws-sdk/client-sns against an SNS-protocol server on loopback,
// read back from an SQS queue subscribed to the topic.
import { createServer } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { NotifyEvent, NotifyEventType } from "../../control-plane/src/notify/events.ts";
import { renderMessage, smsLimit } from "../../control-plane/src/notify/messages.ts";
import { createNotifier } from "../../control-plane/src/notify/notifier.ts";
import { createPublisher, type SnsTarget } from "../../control-plane/src/notify/publisher.ts";
import type { NewAuditEntry } from "../../shared/schemas/audit.ts";
import { consoleUrl, sampleEvents } from "../fixtures/notify/events.ts";
import { type SnsWorld, startSns } from "../world/sns.ts";

let sns: SnsWorld;

beforeAll(async () => {
  sns = await startSns();
});

afterAll(async () => {
  await sns?.stop();
});

function targetFor(world: SnsWorld, overrides: Partial<SnsTarget> = {}): SnsTarget {
  return { topicArn: world.topicArn, region: world.region, endpoint: world.endpoint, credentials: world.credentials, ...overrides };
}

function sample(type: NotifyEventType): NotifyEvent {
  const event = sampleEvents.find((candidate) => candidate.type === type);
  if (event === undefined) throw new TypeError(`no sample event of type ${type}`);
  return event;
}

/** A loopback port nothing listens on: bound by the OS, then released. */
function closedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => (typeof address === "object" && address !== null ? resolve(address.port) : reject(new TypeError("no port"))));
    });
  });
}

interface LogLine {
  event: string;
  fields: Record<string, unknown>;
}

function recorder(): { lines: LogLine[]; log: (event: string, fields: Record<string, unknown>) => void } {
  const lines: LogLine[] = [];
  return { lines, log: (event, fields) => lines.push({ event, fields }) };
}

describe("SNS notifications", () => {
  it("delivers every event kind with its SMS form, e-mail form and filterable attributes", async () => {
    const infos = recorder();
    const publisher = createPublisher({ target: targetFor(sns), info: infos.log });
    for (const event of sampleEvents) {
      const outcome = await publisher.publish(renderMessage(event, consoleUrl));
      expect(outcome).toMatchObject({ status: "published", attempts: 1 });
    }

    expect(infos.lines.map((line) => line.fields.notification)).toEqual(sampleEvents.map((event) => event.type));

    const received = await sns.receive({ count: sampleEvents.length });
    expect(received).toHaveLength(sampleEvents.length);
    const byEvent = new Map(received.map((envelope) => [envelope.messageAttributes.event, envelope]));
    expect([...byEvent.keys()].sort()).toEqual(sampleEvents.map((event) => event.type).sort());

    for (const event of sampleEvents) {
      const expected = renderMessage(event, consoleUrl);
      const envelope = byEvent.get(event.type as NotifyEventType);
      expect(envelope?.topicArn).toBe(sns.topicArn);
      expect(envelope?.subject).toBe(expected.subject);
      expect(envelope?.messageAttributes).toEqual({ event: event.type, host: expected.host, severity: expected.severity });
      // fauxqs forwards a MessageStructure=json message whole; real SNS hands each protocol its own key.
      const forms = JSON.parse(envelope?.message ?? "{}") as Record<string, string>;
      expect(forms).toEqual({ default: expected.email, sms: expected.sms, email: expected.email });
      expect(forms.sms?.length).toBeLessThanOrEqual(smsLimit);
      expect(forms.sms).toContain(expected.host);
      expect(forms.email).toContain(`Host: ${expected.host}`);
    }
    const succeeded = byEvent.get("rollback.succeeded");
    expect(JSON.parse(succeeded?.message ?? "{}")).toMatchObject({
      sms: "Rewind app-1: rollback SUCCEEDED: in 2m 14s https://rewind.example.com/#/rollbacks/rb_7Hq2VnX0aa",
    });
  });

  it("fails softly after its retries when the endpoint is unreachable", async () => {
    const port = await closedPort();
    const warnings = recorder();
    const waits: number[] = [];
    const publisher = createPublisher({
      target: targetFor(sns, { endpoint: `http://127.0.0.1:${port}` }),
      sleep: async (ms) => {
        waits.push(ms);
      },
      warn: warnings.log,
    });

    const outcome = await publisher.publish(renderMessage(sample("rollback.failed"), consoleUrl));

    expect(outcome).toMatchObject({ status: "failed", attempts: 4, code: "ECONNREFUSED" });
    expect(waits).toEqual([250, 500, 1000]);
    expect(warnings.lines.map((line) => line.event)).toEqual(["notify.retrying", "notify.retrying", "notify.retrying", "notify.failed"]);
    expect(warnings.lines[3]?.fields).toMatchObject({ notification: "rollback.failed", host: "app-2", attempts: 4 });
  });

  it("does not retry what the service refuses, such as an unknown topic", async () => {
    const waits: number[] = [];
    const publisher = createPublisher({
      target: targetFor(sns, { topicArn: `${sns.topicArn}-missing` }),
      sleep: async (ms) => {
        waits.push(ms);
      },
      warn: recorder().log,
    });

    const outcome = await publisher.publish(renderMessage(sample("rollback.requested"), consoleUrl));

    expect(outcome).toMatchObject({ status: "failed", attempts: 1 });
    expect(outcome.status === "failed" ? outcome.code : "").toMatch(/NotFound/);
    expect(waits).toEqual([]);
  });

  it("only logs when no topic is configured", async () => {
    const infos = recorder();
    const publisher = createPublisher({ info: infos.log });

    const outcome = await publisher.publish(renderMessage(sample("rollback.started"), consoleUrl));

    expect(outcome).toEqual({ status: "logged", reason: "sns-not-configured" });
    expect(infos.lines).toEqual([
      {
        event: "notify.logged",
        fields: {
          notification: "rollback.started",
          host: "app-1",
          severity: "info",
          sms: "Rewind app-1: rollback started. https://rewind.example.com/#/rollbacks/rb_7Hq2VnX0aa",
        },
      },
    ]);
  });

  it("tells the story of a rollback in order and records each notification in the audit log", async () => {
    const entries: NewAuditEntry[] = [];
    const notifier = createNotifier({
      publisher: createPublisher({ target: targetFor(sns), info: recorder().log }),
      consoleUrl,
      record: async (entry) => {
        entries.push(entry);
      },
    });
    const rollback = { host: "web-1", rollbackId: "rb_FullStory01" };
    await notifier.notify({ type: "rollback.requested", ...rollback, requestedBy: "bob", reason: "checkout 500s after v2" });
    await notifier.notify({ type: "rollback.started", ...rollback });
    await notifier.notify({ type: "rollback.succeeded", ...rollback, durationMs: 48_000 });

    const received = await sns.receive({ count: 3 });
    expect(received.map((envelope) => JSON.parse(envelope.message).sms)).toEqual([
      "Rewind web-1: rollback requested by bob: checkout 500s after v2 https://rewind.example.com/#/rollbacks/rb_FullStory01",
      "Rewind web-1: rollback started. https://rewind.example.com/#/rollbacks/rb_FullStory01",
      "Rewind web-1: rollback SUCCEEDED: in 48s https://rewind.example.com/#/rollbacks/rb_FullStory01",
    ]);
    expect(entries.map((entry) => [entry.action, entry.subject, entry.details.messageId])).toEqual(
      received.map((envelope) => ["notification.published", "rollback:rb_FullStory01", envelope.messageId]),
    );
  });

  it("records a notification SNS never got, without failing the caller", async () => {
    const entries: NewAuditEntry[] = [];
    const notifier = createNotifier({
      publisher: createPublisher({
        target: targetFor(sns, { endpoint: `http://127.0.0.1:${await closedPort()}` }),
        retry: { attempts: 2, initialDelayMs: 0, maxDelayMs: 0 },
        warn: recorder().log,
      }),
      record: async (entry) => {
        entries.push(entry);
      },
    });

    const outcome = await notifier.notify(sample("rollback.undone"));

    expect(outcome).toMatchObject({ status: "failed", attempts: 2, code: "ECONNREFUSED" });
    expect(entries).toEqual([
      expect.objectContaining({
        action: "notification.failed",
        subject: "rollback:rb_2WxR8tZ5cc",
        details: expect.objectContaining({ event: "rollback.undone", attempts: 2, code: "ECONNREFUSED" }),
      }),
    ]);
  });
});
