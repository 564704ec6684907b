// Small helpers of the backup test: a promise's rejection, file existence, a fresh database on the
// test cluster, an image's id and the run's keep tags, flipping one byte of a file to fake
// corruption, and a backup's files checked whole.
import { open, stat } from "node:fs/promises";
import type Docker from "dockerode";
import pg from "pg";
import { manifestFiles, verifyFiles } from "../../agent/src/backup/integrity.ts";
import type { BackupManifest } from "../../shared/schemas/manifest.ts";
import type { PgCluster } from "../world/postgres.ts";

export async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error("expected a rejection");
}

export async function exists(file: string): Promise<boolean> {
  return stat(file).then(
    () => true,
    () => false,
  );
}

export async function createDatabase(cluster: PgCluster, name: string): Promise<string> {
  const admin = new pg.Client({ connectionString: cluster.adminUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${pg.escapeIdentifier(name)}`);
  } finally {
    await admin.end();
  }
  return cluster.urlFor(name);
}

export async function imageIdOf(docker: Docker, reference: string): Promise<string | undefined> {
  try {
    return (await docker.getImage(reference).inspect()).Id;
  } catch (error) {
    if ((error as { statusCode?: number }).statusCode === 404) return undefined;
    throw error;
  }
}

export async function flipByte(file: string, position: number): Promise<void> {
  const handle = await open(file, "r+");
  try {
    const byte = Buffer.alloc(1);
    await handle.read(byte, 0, 1, position);
    byte[0] = (byte[0] ?? 0) ^ 0xff;
    await handle.write(byte, 0, 1, position);
  } finally {
    await handle.close();
  }
}

/** Only this run's keep tags: the project name carries the run id. */
export async function removeKeepTags(docker: Docker, project: string): Promise<void> {
  for (const image of await docker.listImages()) {
    for (const tag of image.RepoTags ?? []) {
      if (tag.startsWith(`rewind-keep/${project}/`)) await docker.getImage(tag).remove();
    }
  }
}

/** Every file the manifest lists, read whole with the checks the rollback's preflight runs. */
export function verifyAllFiles(dir: string, manifest: BackupManifest) {
  return verifyFiles(dir, manifestFiles(manifest), `backup ${manifest.backupId}`);
}
