// The notifications of a full rollback, received from a real SNS-protocol server (fauxqs) through a
// subscribed SQS queue: an Alertmanager alert makes the control plane in workerd decide, the real
// agent rolls the demo stack back, and every step of that story reaches the topic with its SMS
// form, e-mail form and filter attributes.
import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import amHealth from "../fixtures/alerts/alertmanager-health-firing.json" with { type: "json" };
import { type SnsEnvelope, type SnsWorld, startSns } from "../world/sns.ts";
import { startTriggerWorld, type TriggerWorld } from "./alerts-fixture.ts";

const consoleUrl = "https://rewind.example.com";
let sns: SnsWorld;
let world: TriggerWorld;

beforeAll(async () => {
  sns = await startSns();
  world = await startTriggerWorld({
    sns: { endpoint: sns.endpoint, topicArn: sns.topicArn },
    env: {
      SNS_REGION: sns.region,
      SNS_ACCESS_KEY_ID: sns.credentials.accessKeyId,
      SNS_SECRET_ACCESS_KEY: sns.credentials.secretAccessKey,
      PUBLIC_URL: consoleUrl,
    },
  });
});

afterAll(async () => {
  await world?.stop();
  await sns?.stop();
});

interface Structured {
  default: string;
  sms: string;
  email: string;
}

function structured(envelope: SnsEnvelope): Structured {
  return JSON.parse(envelope.message) as Structured;
}

describe("notifications of a full rollback", () => {
  it("publishes the automatic decision, the request, the start and the success, each fit for SMS and e-mail", async () => {
    const alertToken = await world.token("alert-source");
    const payload = {
      ...amHealth,
      alerts: amHealth.alerts.map((alert) => ({ ...alert, labels: { ...alert.labels, host: world.host } })),
    };
    const response = await world.controlPlane.api("/v1/alerts/alertmanager", {
      method: "POST",
      headers: { authorization: `Bearer ${alertToken}` },
      body: JSON.stringify(payload),
    });
    expect(response.status).toBe(200);
    const { decisions } = (await response.json()) as { decisions: Array<{ rollbackId?: string; code: string }> };
    const rollbackId = decisions[0]?.rollbackId;
    expect(decisions[0]?.code).toBe("HEALTH_CHECK_FAILURES");
    if (rollbackId === undefined) throw new Error("the alert started no rollback");
    expect(await world.waitForFinal(rollbackId)).toMatchObject({ state: "succeeded" });

    const received = await sns.receive({ count: 4, timeoutMs: 30_000 });
    expect(received).toHaveLength(4);
    const byEvent = new Map(received.map((envelope) => [envelope.messageAttributes.event, envelope]));
    expect([...byEvent.keys()].sort()).toEqual(["decision.automatic", "rollback.requested", "rollback.started", "rollback.succeeded"]);
    for (const envelope of received) {
      expect(envelope.topicArn).toBe(sns.topicArn);
      expect(envelope.messageAttributes.host).toBe(world.host);
      const message = structured(envelope);
      expect(message.sms.length).toBeLessThanOrEqual(160);
      expect(message.sms).toContain(world.host);
      expect(message.default).toBe(message.email);
      expect(envelope.subject).toMatch(new RegExp(`^\\[Rewind\\] ${world.host}: `));
    }

    const decision = byEvent.get("decision.automatic");
    expect(decision?.messageAttributes.severity).toBe("critical");
    expect(structured(decision as SnsEnvelope).email).toContain("Code: HEALTH_CHECK_FAILURES");
    expect(structured(decision as SnsEnvelope).sms).toContain(`${consoleUrl}/#/rollbacks/${rollbackId}`);

    const requested = structured(byEvent.get("rollback.requested") as SnsEnvelope);
    expect(requested.email).toContain(`Rollback: ${rollbackId}`);
    expect(requested.email).toContain("automatic, alertmanager");
    expect(requested.email).toContain(`Backup: ${world.scenario.manifest.backupId}`);

    const succeeded = byEvent.get("rollback.succeeded") as SnsEnvelope;
    expect(succeeded.messageAttributes.severity).toBe("info");
    expect(structured(succeeded).sms).toMatch(new RegExp(`^Rewind ${world.host}: rollback SUCCEEDED: in \\d+`));
    expect(structured(succeeded).email).toContain(`Open in the console: ${consoleUrl}/#/rollbacks/${rollbackId}`);

    // Each publish is on the record too, with the message id SNS gave it.
    const auditor = await world.token("auditor");
    const audit = await world.controlPlane.api("/v1/audit?limit=10000", { headers: { authorization: `Bearer ${auditor}` } });
    const published = (await audit.text())
      .split("\n")
      .filter((line) => line.trim() !== "")
      .map((line) => JSON.parse(line) as { action: string; details: { event?: string; messageId?: string } })
      .filter((entry) => entry.action === "notification.published");
    expect(published.map((entry) => entry.details.messageId).sort()).toEqual(received.map((envelope) => envelope.messageId).sort());
  });

  it("publishes a failed rollback with the step that failed, in order after its start", async () => {
    // One flipped byte in the dump: the stage's piece check refuses it before using it, nothing on the host changes.
    const dump = path.join(world.scenario.backupDir, world.scenario.manifest.database?.file.path ?? "");
    const bytes = await readFile(dump);
    const middle = Math.floor(bytes.length / 2);
    bytes[middle] = (bytes[middle] ?? 0) ^ 0xff;
    await writeFile(dump, bytes);

    const operator = await world.token("operator");
    const response = await world.controlPlane.api("/v1/rollbacks", {
      method: "POST",
      headers: { authorization: `Bearer ${operator}` },
      body: JSON.stringify({ host: world.host, reason: "checking the pager", confirm: world.host }),
    });
    expect(response.status).toBe(202);
    const { rollbackId } = (await response.json()) as { rollbackId: string };
    expect(await world.waitForFinal(rollbackId)).toMatchObject({ state: "failed" });

    const received = await sns.receive({ count: 4, timeoutMs: 30_000 });
    expect(received.map((envelope) => envelope.messageAttributes.event)).toEqual([
      "rollback.requested",
      "rollback.started",
      "rollback.step-failed",
      "rollback.failed",
    ]);
    const [, , stepFailed, failed] = received.map(structured);
    expect(stepFailed?.sms).toMatch(new RegExp(`^Rewind ${world.host}: rollback step stage FAILED: `));
    expect(failed?.sms).toMatch(new RegExp(`^Rewind ${world.host}: rollback FAILED at stage: `));
    expect(failed?.email).toContain("Code: BACKUP_INVALID");
    expect(received[3]?.messageAttributes.severity).toBe("critical");
    await writeFile(
      dump,
      bytes.map((byte, index) => (index === middle ? byte ^ 0xff : byte)),
    );
  });

  it("pages once about an agent offline past the threshold and a backup past its age limit", async () => {
    await world.agent.stop();
    await expect
      .poll(async () => ((await world.json("/v1/hosts")).hosts as Array<{ name: string; status: string }>).find((h) => h.name === world.host)?.status, {
        timeout: 20_000,
      })
      .toBe("offline");
    // Twenty minutes offline and a three-day-old newest backup, as time would make them.
    const db = await world.controlPlane.d1();
    await db
      .prepare("UPDATE hosts SET last_seen_at = ? WHERE name = ?")
      .bind(Date.now() - 20 * 60_000, world.host)
      .run();
    await db.prepare("UPDATE backups SET created_at = created_at - 72 * 3600000 WHERE host = ?").bind(world.host).run();

    const first = await world.controlPlane.api("/v1/notifications/checks", { method: "POST" });
    expect(first.status).toBe(200);
    expect(((await first.json()) as { sent: string[] }).sent.map((key) => key.split(":")[0]).sort()).toEqual(["agent.offline", "backup.stale"]);
    const again = await world.controlPlane.api("/v1/notifications/checks", { method: "POST" });
    expect(await again.json()).toEqual({ sent: [] });

    const received = await sns.receive({ count: 2, timeoutMs: 30_000 });
    expect(received).toHaveLength(2);
    const byEvent = new Map(received.map((envelope) => [envelope.messageAttributes.event, envelope]));
    const offline = byEvent.get("agent.offline") as SnsEnvelope;
    expect(offline.messageAttributes).toMatchObject({ host: world.host, severity: "warning" });
    expect(structured(offline).sms).toMatch(new RegExp(`^Rewind ${world.host}: agent OFFLINE for 2\\d min: last seen `));
    const stale = structured(byEvent.get("backup.stale") as SnsEnvelope);
    expect(stale.sms).toContain("newest backup is 7");
    expect(stale.email).toContain(`Newest backup: ${world.scenario.manifest.backupId}`);
    expect(stale.email).toContain("threshold 48 h");
  });
});
