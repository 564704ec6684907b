// `manifest.json` beside the archives: written durably, and read back only through the shared
// schema, so a hand-edited or truncated manifest is refused rather than trusted.
import { readFile } from "node:fs/promises";
import path from "node:path";
import { RewindError } from "../../../shared/errors.ts";
import { type BackupManifest, backupManifest } from "../../../shared/schemas/manifest.ts";
import { describeIssues } from "../../../shared/schemas/zod-error.ts";
import { writeFileDurably } from "../host/durable-file.ts";
import { manifestFileName } from "./layout.ts";

export const manifestPath = (dir: string): string => path.join(dir, manifestFileName);

export function parseManifest(text: string, source: string): BackupManifest {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new RewindError("BACKUP_INVALID", `${source} is not valid JSON: ${(error as Error).message}`, { cause: error });
  }
  const result = backupManifest.safeParse(raw);
  if (!result.success) throw new RewindError("BACKUP_INVALID", `${source}: ${describeIssues(result.error)}`);
  return result.data;
}

export async function readManifest(dir: string): Promise<BackupManifest> {
  const file = manifestPath(dir);
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    const missing = (error as NodeJS.ErrnoException).code === "ENOENT";
    throw new RewindError(missing ? "NOT_FOUND" : "BACKUP_INVALID", `cannot read ${file}: ${(error as Error).message}`, {
      cause: error,
    });
  }
  return parseManifest(text, file);
}

export async function writeManifest(dir: string, manifest: BackupManifest): Promise<void> {
  await writeFileDurably(manifestPath(dir), `${JSON.stringify(backupManifest.parse(manifest), null, 2)}\n`);
}
