// Who holds a lock, in a form that survives pid reuse: the kernel's boot id plus the process's start
// time (field 22 of /proc/<pid>/stat, in clock ticks since boot). After a reboot the agent often gets
// its old pid back; a bare pid check would then take a dead holder for a live one, forever.
import { readFile } from "node:fs/promises";

export interface ProcessIdentity {
  pid: number;
  bootId: string;
  /** Clock ticks after boot at which the process started. */
  startTime: string;
}

/** Field 22 (starttime) of a /proc/<pid>/stat line; the command name (field 2) may hold spaces and parentheses. */
export function startTimeFromStat(stat: string): string | undefined {
  const afterName = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  // afterName[0] is field 3 (state), so field 22 is at index 19.
  const value = afterName[19];
  return value !== undefined && /^\d+$/.test(value) ? value : undefined;
}

/** Pure liveness: the holder is alive only if this boot started a process with its pid at its start time. */
export function identityAlive(holder: ProcessIdentity, now: { bootId: string; startTimeOfPid: string | undefined }): boolean {
  return holder.bootId === now.bootId && now.startTimeOfPid !== undefined && now.startTimeOfPid === holder.startTime;
}

export async function readBootId(): Promise<string> {
  return (await readFile("/proc/sys/kernel/random/boot_id", "utf8")).trim();
}

export async function startTimeOf(pid: number): Promise<string | undefined> {
  try {
    return startTimeFromStat(await readFile(`/proc/${pid}/stat`, "utf8"));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
}

let self: ProcessIdentity | undefined;

export async function currentProcess(): Promise<ProcessIdentity> {
  if (self === undefined) {
    const startTime = await startTimeOf(process.pid);
    if (startTime === undefined) throw new Error(`cannot read the start time of this process from /proc/${process.pid}/stat`);
    self = { pid: process.pid, bootId: await readBootId(), startTime };
  }
  return self;
}

export async function processAlive(holder: ProcessIdentity): Promise<boolean> {
  return identityAlive(holder, { bootId: await readBootId(), startTimeOfPid: await startTimeOf(holder.pid) });
}
