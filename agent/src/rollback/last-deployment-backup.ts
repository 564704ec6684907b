// The seed runbook's `.last-deployment-backup`: shell-style KEY=VALUE lines, parsed (never sourced)
// and validated with the shared schema, so hosts that follow the runbook work unchanged.
import { readFile } from "node:fs/promises";
import path from "node:path";
import { RewindError } from "../../../shared/errors.ts";
import type { LastDeploymentBackup } from "../../../shared/schemas/manifest.ts";
import { lastDeploymentBackup } from "../../../shared/schemas/manifest.ts";
import { describeIssues } from "../../../shared/schemas/zod-error.ts";
import { isBackupDirName } from "../backup/layout.ts";
import { realPathInside } from "../backup/real-location.ts";

function unquote(value: string): string {
  const quoted = /^"(.*)"$/.exec(value) ?? /^'(.*)'$/.exec(value);
  return quoted?.[1] ?? value;
}

export function parseLastDeploymentBackup(text: string, source: string): LastDeploymentBackup {
  const values: Record<string, string> = {};
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    const match = /^(?:export\s+)?([A-Z_][A-Z0-9_]*)=(.*)$/.exec(line);
    if (!match?.[1] || match[2] === undefined) {
      throw new RewindError("BACKUP_INVALID", `${source}: cannot read line '${line}' (expected KEY=VALUE)`);
    }
    values[match[1]] = unquote(match[2].trim());
  }
  const known = Object.fromEntries(Object.entries(values).filter(([key]) => key in lastDeploymentBackup.shape));
  const result = lastDeploymentBackup.safeParse(known);
  if (!result.success) throw new RewindError("BACKUP_INVALID", `${source}: ${describeIssues(result.error)}`);
  return result.data;
}

export const lastDeploymentFile = (projectDir: string): string => path.join(projectDir, ".last-deployment-backup");

/** The project's `.last-deployment-backup`; undefined when there is none, BACKUP_INVALID when unreadable. */
export async function readLastDeploymentBackup(projectDir: string): Promise<LastDeploymentBackup | undefined> {
  const file = lastDeploymentFile(projectDir);
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw new RewindError("BACKUP_INVALID", `cannot read ${file}: ${(error as Error).message}`, { cause: error });
  }
  return parseLastDeploymentBackup(text, file);
}

export interface NamedBackupPaths {
  dir: string;
  database?: string;
  minio?: string;
}

/**
 * Where the file's paths lead, refused (BACKUP_INVALID) unless BACKUP_DIR is a `pre-deployment-<TS>`
 * directory right under the backups directory and each archive sits in it, both by name and once
 * every symlink is resolved: the file is plain text any deploy job can write, and these paths are
 * restored over live data.
 */
export async function namedBackupPaths(last: LastDeploymentBackup, projectDir: string, backupsDir: string, source: string): Promise<NamedBackupPaths> {
  const dir = path.resolve(projectDir, last.BACKUP_DIR);
  if (path.dirname(dir) !== path.resolve(backupsDir) || !isBackupDirName(path.basename(dir))) {
    throw new RewindError("BACKUP_INVALID", `${source}: BACKUP_DIR ${last.BACKUP_DIR} is not a pre-deployment-<timestamp> directory of ${backupsDir}`);
  }
  await realPathInside(backupsDir, dir, `${source}: BACKUP_DIR`, "the backups directory");
  const inDir = async (key: "DB_BACKUP_FILE" | "MINIO_BACKUP_FILE"): Promise<string | undefined> => {
    if (last[key] === "") return undefined;
    const file = path.resolve(projectDir, last[key]);
    if (path.dirname(file) !== dir) throw new RewindError("BACKUP_INVALID", `${source}: ${key} ${last[key]} is not inside the backup directory ${dir}`);
    await realPathInside(dir, file, `${source}: ${key}`, "the backup directory");
    return file;
  };
  const database = await inDir("DB_BACKUP_FILE");
  const minio = await inDir("MINIO_BACKUP_FILE");
  return { dir, ...(database === undefined ? {} : { database }), ...(minio === undefined ? {} : { minio }) };
}
