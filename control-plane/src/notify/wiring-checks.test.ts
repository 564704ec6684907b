import { describe, expect, it } from "vitest";
import { dueNotifications, type HostFacts } from "./wiring-checks.ts";

const now = Date.parse("2026-11-25T12:00:00Z");
const minutesAgo = (m: number): number => now - m * 60_000;
const thresholds = { agentOfflineMinutes: 15, backupStaleHours: 48 };
const fresh = { backupId: "pre-deployment-20261125_100000", createdAt: minutesAgo(120) };

function host(overrides: Partial<HostFacts>): HostFacts {
  return { name: "app-1", online: true, lastSeenAt: minutesAgo(0), enrolledAt: minutesAgo(60 * 24 * 30), newestBackup: fresh, ...overrides };
}

describe("periodic host checks", () => {
  it("says nothing about an online host with a fresh backup", () => {
    expect(dueNotifications([host({})], thresholds, now)).toEqual([]);
  });

  it.each([
    ["offline 14 min", 14, []],
    ["offline 15 min", 15, ["agent.offline"]],
    ["offline 3 h", 180, ["agent.offline"]],
  ])("%s", (_name, minutes, events) => {
    const due = dueNotifications([host({ online: false, lastSeenAt: minutesAgo(minutes) })], thresholds, now);
    expect(due.map((d) => d.event.type)).toEqual(events);
  });

  it("keys an offline spell by when the host was last seen, so it is sent once per spell", () => {
    const [due] = dueNotifications([host({ online: false, lastSeenAt: minutesAgo(20) })], thresholds, now);
    expect(due?.key).toBe(`agent.offline:app-1:${minutesAgo(20)}`);
    expect(due?.event).toMatchObject({ offlineMinutes: 20, thresholdMinutes: 15, lastSeenAt: "2026-11-25T11:40:00.000Z" });
  });

  it("a host that never connected counts from its enrollment", () => {
    const due = dueNotifications([host({ online: false, lastSeenAt: null, enrolledAt: minutesAgo(30), newestBackup: { ...fresh } })], thresholds, now);
    expect(due.map((d) => d.event.type)).toEqual(["agent.offline"]);
  });

  it("flags a newest backup past the threshold, once per backup, and a host without any", () => {
    const old = { backupId: "pre-deployment-20261120_100000", createdAt: now - 49 * 3_600_000 };
    expect(dueNotifications([host({ newestBackup: old })], thresholds, now)).toEqual([
      {
        key: "backup.stale:app-1:pre-deployment-20261120_100000",
        event: {
          type: "backup.stale",
          host: "app-1",
          backupId: old.backupId,
          backupAt: new Date(old.createdAt).toISOString(),
          ageHours: 49,
          thresholdHours: 48,
        },
      },
    ]);
    const { newestBackup: _none, ...withoutBackup } = host({});
    expect(dueNotifications([withoutBackup], thresholds, now).map((d) => d.key)).toEqual(["backup.stale:app-1:none"]);
    expect(dueNotifications([{ ...withoutBackup, enrolledAt: minutesAgo(60) }], thresholds, now)).toEqual([]);
  });
});
