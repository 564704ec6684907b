// Looks for a new backup of the seed's scripts while the agent runs: at start and then every
// `intervalMs` (deploy scripts take their backup right before deploying, and an alert may follow
// within minutes). Each `.last-deployment-backup` is examined once per content, so a refused backup
// is not re-read (gigabytes) every round; the seed writing a new one starts a new examination.
import { readFile, stat } from "node:fs/promises";
import path from "node:path";
import type { BackupManifest } from "../../../shared/schemas/manifest.ts";
import type { AgentConfig } from "../config.ts";
import type { Logger } from "../log.ts";
import { lastDeploymentFileName } from "./last-deployment-file.ts";
import { adoptSeedBackup } from "./seed-backup.ts";

export interface SeedWatch {
  stop(): Promise<void>;
}

/** What identifies one examination: the file's content and time, so a rewrite is seen even if identical. */
async function fingerprint(file: string): Promise<string | undefined> {
  try {
    const [text, info] = await Promise.all([readFile(file, "utf8"), stat(file)]);
    return `${info.mtimeMs}\n${text}`;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
}

export function watchSeedBackups(config: AgentConfig, log: Logger, onAdopted: (manifest: BackupManifest) => Promise<void>, intervalMs = 30_000): SeedWatch {
  const file = path.join(config.project.dir, lastDeploymentFileName);
  let examined: string | undefined;
  let stopped = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const stopping = new AbortController();

  const round = async (): Promise<void> => {
    const seen = await fingerprint(file);
    if (seen === undefined || seen === examined) return;
    const adoption = await adoptSeedBackup(config, stopping.signal);
    examined = seen;
    if (adoption.kind === "refused") log.warn({ dir: adoption.dir, reason: adoption.reason }, "seed backup not adopted: it is not whole");
    if (adoption.kind !== "adopted") return;
    log.info({ dir: adoption.dir, backupId: adoption.manifest.backupId }, "seed backup verified and described (origin seed)");
    await onAdopted(adoption.manifest);
  };

  let running: Promise<void> = Promise.resolve();
  const loop = (): void => {
    running = round()
      .catch((error: unknown) => {
        if (!stopping.signal.aborted) log.warn({ err: error }, "could not examine the seed's last backup");
      })
      .finally(() => {
        if (!stopped) timer = setTimeout(loop, intervalMs);
      });
  };
  loop();
  return {
    async stop() {
      stopped = true;
      clearTimeout(timer);
      stopping.abort();
      await running;
    },
  };
}
