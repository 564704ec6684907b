import { describe, expect, it } from "vitest";
import { emptyWatchMemory, type HostSnapshot, parseWatchThresholds, watchFleet } from "./watch.ts";

const now = new Date("2026-11-25T12:00:00Z");
const thresholds = parseWatchThresholds();
const fresh = { newestBackupId: "pre-deployment-20261125-060000", newestBackupAt: "2026-11-25T06:00:00Z" };
const minutesAgo = (minutes: number): string => new Date(now.getTime() - minutes * 60_000).toISOString();

describe("watching the fleet", () => {
  it.each<[string, HostSnapshot, string[]]>([
    ["an online host with a fresh backup", { host: "app-1", online: true, lastSeenAt: minutesAgo(0), ...fresh }, []],
    ["offline 5 min (under 10)", { host: "app-1", online: false, lastSeenAt: minutesAgo(5), ...fresh }, []],
    ["offline 17 min", { host: "app-1", online: false, lastSeenAt: minutesAgo(17), ...fresh }, ["agent.offline"]],
    ["never connected", { host: "app-1", online: false, ...fresh }, []],
    ["newest backup 30 h old", { host: "app-1", online: true, newestBackupId: "b-old", newestBackupAt: "2026-11-24T06:00:00Z" }, ["backup.stale"]],
    ["no backup at all", { host: "app-1", online: true }, ["backup.stale"]],
    ["offline and stale", { host: "app-1", online: false, lastSeenAt: minutesAgo(60) }, ["agent.offline", "backup.stale"]],
  ])("%s → %j", (_name, snapshot, types) => {
    const { events } = watchFleet([snapshot], emptyWatchMemory(), thresholds, now);
    expect(events.map((event) => event.type)).toEqual(types);
  });

  it("describes what it found", () => {
    const { events } = watchFleet(
      [
        { host: "app-5", online: false, lastSeenAt: "2026-11-25T11:43:00Z", ...fresh },
        { host: "app-6", online: true, newestBackupId: "b-old", newestBackupAt: "2026-11-24T06:00:00Z" },
      ],
      emptyWatchMemory(),
      thresholds,
      now,
    );
    expect(events).toEqual([
      { type: "agent.offline", host: "app-5", lastSeenAt: "2026-11-25T11:43:00Z", offlineMinutes: 17, thresholdMinutes: 10 },
      { type: "backup.stale", host: "app-6", backupId: "b-old", backupAt: "2026-11-24T06:00:00Z", ageHours: 30, thresholdHours: 24 },
    ]);
  });

  it("pages once per offline spell and once per stale backup, and re-arms when things change", () => {
    const down: HostSnapshot = { host: "app-1", online: false, lastSeenAt: minutesAgo(20) };
    const first = watchFleet([down], emptyWatchMemory(), thresholds, now);
    expect(first.events.map((event) => event.type)).toEqual(["agent.offline", "backup.stale"]);

    const again = watchFleet([down], first.memory, thresholds, new Date(now.getTime() + 60_000));
    expect(again.events).toEqual([]);

    const back = watchFleet([{ host: "app-1", online: true, lastSeenAt: minutesAgo(0), ...fresh }], again.memory, thresholds, now);
    expect(back.events).toEqual([]);
    expect(back.memory).toEqual({ offline: {}, staleBackup: {} });

    const downAgain = watchFleet([{ host: "app-1", online: false, lastSeenAt: minutesAgo(15), ...fresh }], back.memory, thresholds, now);
    expect(downAgain.events.map((event) => event.type)).toEqual(["agent.offline"]);
  });

  it("rejects thresholds that cannot work", () => {
    expect(() => parseWatchThresholds({ agentOfflineMinutes: 0 })).toThrow(/notification thresholds is invalid: agentOfflineMinutes/);
  });
});
