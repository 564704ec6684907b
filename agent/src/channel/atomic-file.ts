// Crash-safe file replacement: write a temporary file beside the target, fsync it, rename it over
// the target. A reader (or the agent after a power cut) sees the old content or the new, never half.
import { open, rename, rm } from "node:fs/promises";
import path from "node:path";
import { randomId } from "../../../shared/signing.ts";

export async function writeFileAtomic(file: string, data: string, mode = 0o600): Promise<void> {
  const temp = path.join(path.dirname(file), `.${path.basename(file)}.${randomId()}.tmp`);
  const handle = await open(temp, "wx", mode);
  try {
    await handle.writeFile(data, "utf8");
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await rename(temp, file);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}
