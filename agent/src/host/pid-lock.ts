// Lock files that survive restarts (`<stateDir>/rollback.lock`, `backup.lock`): created exclusively
// (O_EXCL, so two racing processes cannot both win), holding the owner's pid so a lock left by a
// killed process is recognised. What a stale lock means is the caller's decision.
import { mkdir, open, readFile, unlink } from "node:fs/promises";
import path from "node:path";
import type * as z from "zod";
import { RewindError } from "../../../shared/errors.ts";
import { writeFileDurably } from "./durable-file.ts";

export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to another user.
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Creates the lock holding `holder`; false when it already exists. */
export async function createLockFile(file: string, holder: object): Promise<boolean> {
  await mkdir(path.dirname(file), { recursive: true });
  try {
    const handle = await open(file, "wx");
    try {
      await handle.writeFile(JSON.stringify(holder));
      await handle.sync();
    } finally {
      await handle.close();
    }
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw error;
  }
}

/** The lock's holder, undefined when there is no lock; LOCKED when it cannot be read or parsed. */
export async function readLockFile<S extends z.ZodType>(file: string, schema: S): Promise<z.output<S> | undefined> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw new RewindError("LOCKED", `the lock ${file} is unreadable (${(error as Error).message}); inspect it and remove it by hand`, { cause: error });
  }
  const parsed = (() => {
    try {
      return schema.safeParse(JSON.parse(text));
    } catch {
      return undefined;
    }
  })();
  if (!parsed?.success) throw new RewindError("LOCKED", `the lock ${file} is not in the expected form; inspect it and remove it by hand`);
  return parsed.data;
}

/** Rewrites a lock this process holds (taking over a dead holder's, or adding what it learned). */
export async function replaceLockFile(file: string, holder: object): Promise<void> {
  await writeFileDurably(file, JSON.stringify(holder));
}

export async function removeLockFile(file: string): Promise<void> {
  await unlink(file).catch((error: NodeJS.ErrnoException) => {
    if (error.code !== "ENOENT") throw error;
  });
}
