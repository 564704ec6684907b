// The host lock across real processes: racing processes (on a free host and on a dead holder's
// lock) never both win, a live holder is named in the refusal, and a lock from another boot is
// taken over even when its pid now belongs to a live process.
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { acquireHostLock, hostLockPath } from "../../agent/src/host/host-lock.ts";
import { currentProcess } from "../../agent/src/host/process-identity.ts";
import { type Holder, startHostLockHolder } from "../world/host-lock-process.ts";

const started: Holder[] = [];
const dirs: string[] = [];

afterEach(async () => {
  for (const holder of started.splice(0)) await holder.finish();
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

function startHolder(stateDir: string, operation: string): Holder {
  const holder = startHostLockHolder(stateDir, operation);
  started.push(holder);
  return holder;
}

/** Starts the holders, and once all are loaded, lets them go at the same moment. */
async function race(dir: string, operations: string[]): Promise<Holder[]> {
  const holders = operations.map((operation) => startHolder(dir, operation));
  await Promise.all(holders.map((h) => h.ready));
  for (const h of holders) h.go();
  return holders;
}

async function single(dir: string, operation: string): Promise<Holder> {
  const [holder] = await race(dir, [operation]);
  if (holder === undefined) throw new Error("no holder");
  return holder;
}

async function stateDir(): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), "rewind-host-lock-"));
  dirs.push(dir);
  return dir;
}

describe("the host lock across processes", () => {
  it("refuses while a live process holds it, naming the holder", async () => {
    const dir = await stateDir();
    const backup = await single(dir, "backup");
    expect(await backup.line).toBe(`acquired ${backup.child.pid}`);
    const rollback = await single(dir, "rollback rb-second");
    const refused = await rollback.line;
    expect(refused).toMatch(/^refused LOCKED /);
    expect(refused).toContain(`backup (pid ${backup.child.pid}`);

    await backup.finish();
    const again = await single(dir, "rollback rb-third");
    expect(await again.line).toBe(`acquired ${again.child.pid}`);
  });

  it("lets exactly one of several racing processes take a free host", async () => {
    const dir = await stateDir();
    const racers = await race(
      dir,
      Array.from({ length: 6 }, (_, i) => `racer ${i}`),
    );
    const lines = await Promise.all(racers.map((r) => r.line));
    expect(lines.filter((l) => l.startsWith("acquired"))).toHaveLength(1);
    expect(lines.filter((l) => l.startsWith("refused LOCKED"))).toHaveLength(5);
  });

  it("lets exactly one of several racing processes take over a dead holder's lock", async () => {
    for (let round = 0; round < 3; round++) {
      const dir = await stateDir();
      // The holder ran before a reboot; its pid now belongs to a live process (this one).
      const me = await currentProcess();
      const stale = {
        token: `stale-${round}`,
        pid: me.pid,
        bootId: "0000-from-before-the-reboot",
        startTime: me.startTime,
        acquiredAt: "2026-01-01T00:00:00.000Z",
        operation: "rollback rb-old",
      };
      await writeFile(hostLockPath(dir), JSON.stringify(stale));
      const racers = await race(
        dir,
        Array.from({ length: 6 }, (_, i) => `resume ${i}`),
      );
      const lines = await Promise.all(racers.map((r) => r.line));
      const winners = lines.filter((l) => l.startsWith("acquired"));
      expect(winners).toHaveLength(1);
      const winnerPid = Number(winners[0]?.split(" ")[1]);
      for (const refused of lines.filter((l) => !l.startsWith("acquired"))) {
        expect(refused).toMatch(/^refused LOCKED /);
        // Refused by the winner, not by the dead holder.
        expect(refused).not.toContain("rb-old");
      }
      const onDisk = JSON.parse(await readFile(hostLockPath(dir), "utf8")) as { pid: number };
      expect(onDisk.pid).toBe(winnerPid);
      // No takeover guard or temp file left behind.
      expect(await readdir(dir)).toEqual(["host.lock"]);
      for (const racer of racers) await racer.finish();
      expect(await readdir(dir)).toEqual([]);
    }
  });

  it("takes over in-process a lock from another boot, and a refusal names a live holder's operation", async () => {
    const dir = await stateDir();
    const me = await currentProcess();
    await writeFile(
      hostLockPath(dir),
      JSON.stringify({ token: "t-old", ...me, bootId: "another-boot", acquiredAt: "2026-01-01T00:00:00.000Z", operation: "backup" }),
    );
    const lock = await acquireHostLock(dir, "deploy");
    await expect(acquireHostLock(dir, "backup")).rejects.toMatchObject({ code: "LOCKED", message: expect.stringContaining("deploy (pid") });
    await lock.release();
    expect(await readdir(dir)).toEqual([]);
  });
});
