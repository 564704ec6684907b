// The periodic checks that page someone about a host needing attention: an agent offline longer
// than a threshold, a newest backup older than a threshold (or none). Pure: the hosts' facts, the
// thresholds and the clock in; the events to publish, each with the key that sends it only once.
import type { NotifyEvent } from "./events.ts";

export interface HostFacts {
  name: string;
  online: boolean;
  /** Epoch ms; null when the agent never connected. */
  lastSeenAt: number | null;
  enrolledAt: number;
  newestBackup?: { backupId: string; createdAt: number };
}

export interface CheckThresholds {
  agentOfflineMinutes: number;
  backupStaleHours: number;
}

export interface DueNotification {
  /** Sent once per key: one offline spell, one stale newest backup. */
  key: string;
  event: NotifyEvent;
}

export function dueNotifications(hosts: readonly HostFacts[], thresholds: CheckThresholds, now: number): DueNotification[] {
  const due: DueNotification[] = [];
  for (const host of hosts) {
    const seen = host.lastSeenAt ?? host.enrolledAt;
    const offlineMinutes = Math.floor((now - seen) / 60_000);
    if (!host.online && offlineMinutes >= thresholds.agentOfflineMinutes) {
      due.push({
        key: `agent.offline:${host.name}:${seen}`,
        event: {
          type: "agent.offline",
          host: host.name,
          lastSeenAt: new Date(seen).toISOString(),
          offlineMinutes,
          thresholdMinutes: thresholds.agentOfflineMinutes,
        },
      });
    }
    const backup = host.newestBackup;
    const since = backup?.createdAt ?? host.enrolledAt;
    const ageHours = Math.floor((now - since) / 3_600_000);
    if (ageHours >= thresholds.backupStaleHours) {
      due.push({
        key: `backup.stale:${host.name}:${backup?.backupId ?? "none"}`,
        event: {
          type: "backup.stale",
          host: host.name,
          ...(backup === undefined ? {} : { backupId: backup.backupId, backupAt: new Date(backup.createdAt).toISOString() }),
          ageHours,
          thresholdHours: thresholds.backupStaleHours,
        },
      });
    }
  }
  return due;
}
