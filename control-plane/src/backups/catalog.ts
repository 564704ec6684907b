// The D1 index of a host's verified backup manifests: store one (JSON to object storage, facts to
// D1, idempotent for the same manifest), list them newest first, find one by id or the newest.
// Rewind's backups and the seed's (described by the agent) are listed together: the newest by
// creation time wins, whichever made it.
import { and, desc, eq } from "drizzle-orm";
import { canonicalJson } from "../../../shared/canonical-json.ts";
import { manifestSha256 } from "../../../shared/manifest-digest.ts";
import { type BackupManifest, originOf } from "../../../shared/schemas/manifest.ts";
import { database } from "../db/client.ts";
import { backups } from "../db/schema.ts";
import type { Env } from "../env.ts";
import { manifestKey, putObject } from "./object-store.ts";

export type BackupRow = typeof backups.$inferSelect;

export interface IndexedManifest {
  row: BackupRow;
  /** False when the same manifest was already stored (an agent announcing it again). */
  stored: boolean;
}

export async function findBackup(env: Env, host: string, backupId: string): Promise<BackupRow | undefined> {
  const [row] = await database(env)
    .select()
    .from(backups)
    .where(and(eq(backups.host, host), eq(backups.backupId, backupId)))
    .limit(1);
  return row;
}

export async function listBackups(env: Env, host: string, limit = 100): Promise<BackupRow[]> {
  return database(env)
    .select()
    .from(backups)
    .where(and(eq(backups.host, host), eq(backups.verified, true)))
    .orderBy(desc(backups.createdAt), desc(backups.backupId))
    .limit(limit);
}

export async function newestBackup(env: Env, host: string): Promise<BackupRow | undefined> {
  return (await listBackups(env, host, 1))[0];
}

export async function indexManifest(env: Env, manifest: BackupManifest, now: number): Promise<IndexedManifest> {
  // Canonical JSON, so the stored bytes hash to the value rollback commands carry (manifestSha256).
  const json = canonicalJson(manifest);
  const sha256 = manifestSha256(manifest);
  const existing = await findBackup(env, manifest.host, manifest.backupId);
  if (existing !== undefined && existing.sha256 === sha256) return { row: existing, stored: false };
  const key = manifestKey(manifest.host, manifest.backupId);
  const storage = await putObject(env, key, json);
  const row: BackupRow = {
    host: manifest.host,
    backupId: manifest.backupId,
    createdAt: Date.parse(manifest.createdAt),
    timestamp: manifest.timestamp,
    gitCommit: manifest.git.commit,
    gitBranch: manifest.git.branch,
    storage,
    objectKey: key,
    sha256,
    verified: true,
    origin: originOf(manifest),
    indexedAt: now,
  };
  const { host, backupId, ...changes } = row;
  await database(env)
    .insert(backups)
    .values({ host, backupId, ...changes })
    .onConflictDoUpdate({ target: [backups.host, backups.backupId], set: changes });
  return { row, stored: true };
}
