// A throwaway PostgreSQL cluster per caller: Debian's initdb/pg_ctl in a temp dir, on a free
// loopback port, trust auth, its unix socket inside the temp dir so it never meets a system cluster.
import { execFile } from "node:child_process";
import { access, chown, mkdtemp, readdir, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { RewindError } from "../../shared/errors.ts";
import { freePort } from "./ports.ts";

const run = promisify(execFile);

export const PG_BIN = process.env.REWIND_PG_BIN ?? "/usr/lib/postgresql/15/bin";
export const PG_TEMP_PREFIX = "rewind-pg-";
const SUPERUSER = "postgres";

export interface PgCluster {
  host: string;
  port: number;
  user: string;
  dataDir: string;
  /** Connection URL of the maintenance database (…/postgres). */
  adminUrl: string;
  urlFor(db: string): string;
  /** Directory holding the cluster's binaries (pg_dump, psql, pg_restore of the same major). */
  bin: string;
  stop(): Promise<void>;
}

export async function requirePostgresBinaries(bin = PG_BIN): Promise<void> {
  try {
    await Promise.all(["initdb", "pg_ctl", "postgres", "pg_dump", "psql"].map((b) => access(path.join(bin, b))));
  } catch (error) {
    throw new RewindError("UNAVAILABLE", `PostgreSQL binaries not found in ${bin}: apt-get install -y postgresql (or set REWIND_PG_BIN)`, { cause: error });
  }
}

/** PostgreSQL refuses to run as root, so as root the cluster is owned and run by the `postgres` OS user. */
async function owner(): Promise<{ uid: number; gid: number } | undefined> {
  if (process.getuid?.() !== 0) return undefined;
  try {
    const { stdout } = await run("id", ["-u", SUPERUSER]);
    const { stdout: gid } = await run("id", ["-g", SUPERUSER]);
    return { uid: Number(stdout.trim()), gid: Number(gid.trim()) };
  } catch (error) {
    throw new RewindError("UNAVAILABLE", `running as root but the '${SUPERUSER}' OS user does not exist: apt-get install -y postgresql`, { cause: error });
  }
}

function asOwner(asPostgres: boolean, file: string, args: string[]): Promise<{ stdout: string; stderr: string }> {
  return asPostgres ? run("runuser", ["-u", SUPERUSER, "--", file, ...args]) : run(file, args);
}

export async function startPostgres(): Promise<PgCluster> {
  await requirePostgresBinaries();
  const user = await owner();
  const root = await mkdtemp(path.join(tmpdir(), PG_TEMP_PREFIX));
  const dataDir = path.join(root, "data");
  const logFile = path.join(root, "server.log");
  if (user) await chown(root, user.uid, user.gid);
  const bin = PG_BIN;
  const asPostgres = user !== undefined;
  try {
    await asOwner(asPostgres, path.join(bin, "initdb"), ["-D", dataDir, "-U", SUPERUSER, "--auth=trust", "--encoding=UTF8", "--locale=C", "--no-sync"]);
    const port = await startOnFreePort(asPostgres, bin, dataDir, root, logFile);
    const host = "127.0.0.1";
    const urlFor = (db: string): string => `postgresql://${SUPERUSER}@${host}:${port}/${encodeURIComponent(db)}`;
    return {
      host,
      port,
      user: SUPERUSER,
      dataDir,
      adminUrl: urlFor("postgres"),
      urlFor,
      bin,
      async stop() {
        await asOwner(asPostgres, path.join(bin, "pg_ctl"), ["stop", "-D", dataDir, "-m", "fast", "-w"]);
        await rm(root, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await rm(root, { recursive: true, force: true });
    throw error;
  }
}

/** A free port can be taken by someone else between probing and binding: retry a few times. */
async function startOnFreePort(asPostgres: boolean, bin: string, dataDir: string, socketDir: string, logFile: string): Promise<number> {
  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    const options = [
      `-p ${port}`,
      `-k ${socketDir}`,
      "-c listen_addresses=127.0.0.1",
      // Durability is pointless for a cluster deleted after the run; these make tests faster.
      "-c fsync=off",
      "-c full_page_writes=off",
      "-c synchronous_commit=off",
    ].join(" ");
    try {
      await asOwner(asPostgres, path.join(bin, "pg_ctl"), ["start", "-D", dataDir, "-l", logFile, "-w", "-t", "60", "-o", options]);
      return port;
    } catch (error) {
      lastError = error;
    }
  }
  const log = await readFile(logFile, "utf8").catch(() => "(no server log)");
  throw new RewindError("UNAVAILABLE", `PostgreSQL did not start:\n${log.slice(-2000)}`, { cause: lastError });
}

/** Stops and deletes throwaway clusters older than `olderThanMs`, left behind by killed test runs. */
/**
 * Whether the cluster's postmaster still runs: a run killed with its cluster (a reboot, a killed
 * container) leaves postmaster.pid naming a process that is gone, which pg_ctl stop refuses.
 */
async function postmasterAlive(dataDir: string): Promise<boolean> {
  const pidFile = await readFile(path.join(dataDir, "postmaster.pid"), "utf8").catch(() => undefined);
  const pid = Number(pidFile?.split("\n")[0]);
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

export async function removeStaleClusters(olderThanMs: number): Promise<number> {
  const cutoff = Date.now() - olderThanMs;
  const asPostgres = (await owner()) !== undefined;
  let removed = 0;
  for (const entry of await readdir(tmpdir())) {
    if (!entry.startsWith(PG_TEMP_PREFIX)) continue;
    const root = path.join(tmpdir(), entry);
    if ((await stat(root)).mtimeMs >= cutoff) continue;
    const dataDir = path.join(root, "data");
    if (await postmasterAlive(dataDir)) await asOwner(asPostgres, path.join(PG_BIN, "pg_ctl"), ["stop", "-D", dataDir, "-m", "immediate"]);
    await rm(root, { recursive: true, force: true });
    removed++;
  }
  return removed;
}
