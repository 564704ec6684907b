// Which hosts need a person: an agent offline longer than a threshold, a newest backup older than
// one. Pure: the caller (a cron trigger or alarm) passes the fleet snapshot and what was already
// told, and gets the events to notify plus the new memory, so each condition pages once, not every tick.
import * as z from "../../../shared/schemas/zod.ts";
import { parseOrThrow } from "../../../shared/schemas/zod-error.ts";
import type { NotifyEvent } from "./events.ts";

export const watchThresholds = z.strictObject({
  agentOfflineMinutes: z._default(z.number().check(z.positive()), 10),
  backupMaxAgeHours: z._default(z.number().check(z.positive()), 24),
});
export type WatchThresholds = Readonly<z.output<typeof watchThresholds>>;

export function parseWatchThresholds(raw: unknown = {}): WatchThresholds {
  return Object.freeze(parseOrThrow(watchThresholds, raw, "notification thresholds", "CONFIG_INVALID"));
}

export interface HostSnapshot {
  host: string;
  online: boolean;
  /** Absent for a host whose agent never connected: nothing went offline. */
  lastSeenAt?: string;
  newestBackupId?: string;
  newestBackupAt?: string;
}

export interface WatchMemory {
  /** host → the lastSeenAt of the offline spell already notified. */
  offline: Readonly<Record<string, string>>;
  /** host → the backup id (or "none") already reported stale. */
  staleBackup: Readonly<Record<string, string>>;
}

export function emptyWatchMemory(): WatchMemory {
  return { offline: {}, staleBackup: {} };
}

export function watchFleet(
  hosts: readonly HostSnapshot[],
  memory: WatchMemory,
  thresholds: WatchThresholds,
  now: Date,
): { events: NotifyEvent[]; memory: WatchMemory } {
  const events: NotifyEvent[] = [];
  const offline: Record<string, string> = {};
  const staleBackup: Record<string, string> = {};
  for (const snapshot of hosts) {
    const spell = offlineSpell(snapshot, thresholds, now);
    if (spell !== undefined) {
      offline[snapshot.host] = spell.lastSeenAt;
      if (memory.offline[snapshot.host] !== spell.lastSeenAt) {
        events.push({ type: "agent.offline", host: snapshot.host, ...spell, thresholdMinutes: thresholds.agentOfflineMinutes });
      }
    }
    const stale = staleness(snapshot, thresholds, now);
    if (stale !== undefined) {
      const key = snapshot.newestBackupId ?? "none";
      staleBackup[snapshot.host] = key;
      if (memory.staleBackup[snapshot.host] !== key) events.push(stale);
    }
  }
  return { events, memory: { offline, staleBackup } };
}

function offlineSpell(snapshot: HostSnapshot, thresholds: WatchThresholds, now: Date): { lastSeenAt: string; offlineMinutes: number } | undefined {
  if (snapshot.online || snapshot.lastSeenAt === undefined) return undefined;
  const offlineMinutes = Math.floor((now.getTime() - Date.parse(snapshot.lastSeenAt)) / 60_000);
  return offlineMinutes >= thresholds.agentOfflineMinutes ? { lastSeenAt: snapshot.lastSeenAt, offlineMinutes } : undefined;
}

function staleness(snapshot: HostSnapshot, thresholds: WatchThresholds, now: Date): NotifyEvent | undefined {
  const thresholdHours = thresholds.backupMaxAgeHours;
  if (snapshot.newestBackupAt === undefined) {
    return { type: "backup.stale", host: snapshot.host, ageHours: 0, thresholdHours };
  }
  const ageHours = Math.floor((now.getTime() - Date.parse(snapshot.newestBackupAt)) / 3_600_000);
  if (ageHours < thresholdHours) return undefined;
  return {
    type: "backup.stale",
    host: snapshot.host,
    ...(snapshot.newestBackupId === undefined ? {} : { backupId: snapshot.newestBackupId }),
    backupAt: snapshot.newestBackupAt,
    ageHours,
    thresholdHours,
  };
}
