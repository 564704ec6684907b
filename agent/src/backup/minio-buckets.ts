// The buckets in a MinIO data directory: its top-level directories, minus MinIO's own `.minio.sys`
// (and any other dot-directory), recorded in the manifest so a rollback can check they came back.
import { readdir } from "node:fs/promises";

export async function minioBuckets(dataDir: string): Promise<string[]> {
  const entries = await readdir(dataDir, { withFileTypes: true });
  return entries
    .filter((entry) => entry.isDirectory() && !entry.name.startsWith("."))
    .map((entry) => entry.name)
    .sort();
}
