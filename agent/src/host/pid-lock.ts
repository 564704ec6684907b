// Lock files held by a live process, across processes and reboots. A lock is created whole and
// exclusively (written to a private temp file, then link()ed into place: link fails if the name
// exists), names its holder by boot id + process start time, and is taken over from a dead holder
// exclusively too: the taker first claims `<lock>.takeover-<dead holder's token>` the same way, then
// replaces the lock only if it still names that dead holder. Two racing takers cannot both win,
// and a taker that dies half-way leaves a guard that is itself taken over like any stale lock.
import { link, readdir, readFile, unlink } from "node:fs/promises";
import path from "node:path";
import * as z from "zod";
import { RewindError } from "../../../shared/errors.ts";
import { randomId } from "../../../shared/signing.ts";
import { fsyncDir, mkdirPrivate, writeFileDurably, writeNewFileSynced } from "./durable-file.ts";
import { currentProcess, processAlive } from "./process-identity.ts";

export const lockRecord = z.strictObject({
  token: z.string().min(1),
  pid: z.number().int(),
  bootId: z.string().min(1),
  startTime: z.string().min(1),
  acquiredAt: z.string(),
  /** What the holder is doing, for the operator: "rollback rb-…", "backup", "deploy". */
  operation: z.string().min(1),
});
export type LockRecord = z.output<typeof lockRecord>;

export type ClaimResult = { acquired: true; record: LockRecord } | { acquired: false; holder: LockRecord };

/** Each level is a takeover interrupted by another death; more than this wants a human. */
const maxTakeoverDepth = 3;
const maxAttempts = 5;

async function removeFile(file: string): Promise<void> {
  await unlink(file).catch((error: NodeJS.ErrnoException) => {
    if (error.code !== "ENOENT") throw error;
  });
}

/** Puts `record` at `file` if nothing is there; false when something is. */
async function linkExclusive(file: string, record: LockRecord): Promise<boolean> {
  const temp = path.join(path.dirname(file), `.${path.basename(file)}.${randomId()}.new`);
  await writeNewFileSynced(temp, JSON.stringify(record));
  try {
    await link(temp, file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw error;
  } finally {
    await removeFile(temp);
  }
  await fsyncDir(path.dirname(file));
  return true;
}

/** The lock's holder, undefined when there is no lock; LOCKED when it cannot be read or parsed. */
export async function readLock(file: string): Promise<LockRecord | undefined> {
  return readLockFile(file, lockRecord);
}

/** A JSON lock file's content, undefined when absent; LOCKED when unreadable or not `schema`. */
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

async function claim(file: string, record: LockRecord, depth: number): Promise<ClaimResult> {
  for (let attempt = 0; attempt < maxAttempts; attempt++) {
    if (await linkExclusive(file, record)) return { acquired: true, record };
    const holder = await readLock(file);
    // Released between our attempt and the read: try again.
    if (holder === undefined) continue;
    if (await processAlive(holder)) return { acquired: false, holder };
    if (depth >= maxTakeoverDepth) {
      throw new RewindError("LOCKED", `taking over ${file} was interrupted ${depth} times; inspect ${file}* and remove the stale files by hand`);
    }
    const guard = `${file}.takeover-${holder.token}`;
    const guarded = await claim(guard, record, depth + 1);
    // Another live process is taking over the same dead holder's lock.
    if (!guarded.acquired) return guarded;
    try {
      if ((await readLock(file))?.token === holder.token) {
        await writeFileDurably(file, JSON.stringify(record));
        return { acquired: true, record };
      }
    } finally {
      await removeFile(guard);
    }
  }
  throw new RewindError("LOCKED", `the lock ${file} kept changing hands while this process tried to take it; try again`, { retryable: true });
}

/** Guards left by takers that died: they name holders that are gone, so the new holder removes them. */
async function removeLeftoverGuards(file: string): Promise<void> {
  const prefix = `${path.basename(file)}.takeover-`;
  const entries = await readdir(path.dirname(file));
  for (const name of entries.filter((entry) => entry.startsWith(prefix))) await removeFile(path.join(path.dirname(file), name));
}

/** Takes `file` for this process, or says which live process holds it. */
export async function claimLock(file: string, operation: string): Promise<ClaimResult> {
  await mkdirPrivate(path.dirname(file));
  const record: LockRecord = { token: randomId(), ...(await currentProcess()), acquiredAt: new Date().toISOString(), operation };
  const result = await claim(file, record, 0);
  if (result.acquired) await removeLeftoverGuards(file);
  return result;
}

/** Removes the lock if `token` still holds it. */
export async function releaseLockFile(file: string, token: string): Promise<void> {
  if ((await readLock(file).catch(() => undefined))?.token === token) await removeFile(file);
}
