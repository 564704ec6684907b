// Writes the seed runbook's `.last-deployment-backup` (KEY=VALUE lines) in the project directory,
// so the seed's own scripts (`source .last-deployment-backup`) keep working beside Rewind.
import path from "node:path";
import { RewindError } from "../../../shared/errors.ts";
import { type BackupManifest, type LastDeploymentBackup, lastDeploymentBackup } from "../../../shared/schemas/manifest.ts";
import { writeFileDurably } from "../host/durable-file.ts";

export const lastDeploymentFileName = ".last-deployment-backup";

/** Paths as the seed writes them: `./backups/…` relative to the project, absolute if outside it. */
function projectPath(projectDir: string, file: string): string {
  const relative = path.relative(projectDir, file);
  return relative.startsWith("..") || path.isAbsolute(relative) ? file : `./${relative}`;
}

/**
 * The seed's values for a finished backup (undefined when it holds no archive at all). A project without MinIO (or without a database) gets the
 * missing archive's key written empty, so `rewind rollback --last` and the seed's scripts find it too.
 * Undefined too for a pg_dump custom-format dump: the seed's manual restore pipes DB_BACKUP_FILE
 * through `gunzip | psql`, and naming MinIO alone would have its rollback revert code and files but
 * not the data; the file keeps naming the last plain backup (Rewind's `--last` still takes the newest).
 */
export function lastDeploymentValues(projectDir: string, backupDir: string, manifest: BackupManifest): LastDeploymentBackup | undefined {
  if (manifest.database === undefined && manifest.minio === undefined) return undefined;
  if (manifest.database !== undefined && manifest.database.format !== "plain-gzip") return undefined;
  const dir = projectPath(projectDir, backupDir);
  return lastDeploymentBackup.parse({
    DEPLOYMENT_TIMESTAMP: manifest.timestamp,
    BACKUP_DIR: dir,
    DB_BACKUP_FILE: manifest.database ? `${dir}/${manifest.database.file.path}` : "",
    MINIO_BACKUP_FILE: manifest.minio ? `${dir}/${manifest.minio.file.path}` : "",
    GIT_COMMIT: manifest.git.commit,
    GIT_BRANCH: manifest.git.branch,
  });
}

/** Plain words stay bare as in the seed; anything a shell would split or expand is single-quoted. */
function shellValue(key: string, value: string): string {
  if (/^[A-Za-z0-9_./:@+-]*$/.test(value)) return value;
  if (value.includes("'") || value.includes("\n")) {
    throw new RewindError("PRECONDITION_FAILED", `${key} '${value}' cannot be written to ${lastDeploymentFileName}: rename it`);
  }
  return `'${value}'`;
}

export function formatLastDeploymentBackup(values: LastDeploymentBackup): string {
  const keys = Object.keys(lastDeploymentBackup.shape) as (keyof LastDeploymentBackup)[];
  return `${keys.map((key) => `${key}=${shellValue(key, values[key])}`).join("\n")}\n`;
}

export async function writeLastDeploymentBackup(projectDir: string, values: LastDeploymentBackup): Promise<string> {
  const file = path.join(projectDir, lastDeploymentFileName);
  await writeFileDurably(file, formatLastDeploymentBackup(values));
  return file;
}
