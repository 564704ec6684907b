// Signed reports waiting for the control plane's `report-ack`, one file each under
// <stateDir>/outbox, named by a sequence number so they are resent in the order they were made.
// A report made while offline, or sent just before the socket died, is never lost.
import { mkdir, readdir, readFile, rm } from "node:fs/promises";
import path from "node:path";
import { writeFileDurably } from "../host/durable-file.ts";

export interface PendingReport {
  reportId: string;
  jws: string;
}

const entryName = /^(\d{12})\.([A-Za-z0-9_-]{8,64})\.jws$/;

export class Outbox {
  readonly dir: string;
  /** reportId → file name, in sequence order (Map keeps insertion order). */
  readonly #files = new Map<string, string>();
  readonly #jws = new Map<string, string>();
  #nextSeq: number;

  private constructor(dir: string, nextSeq: number) {
    this.dir = dir;
    this.#nextSeq = nextSeq;
  }

  static async open(stateDir: string): Promise<Outbox> {
    const dir = path.join(stateDir, "outbox");
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const entries = (await readdir(dir))
      .map((name) => ({ name, match: entryName.exec(name) }))
      .filter((e): e is { name: string; match: RegExpExecArray } => e.match !== null)
      .sort((a, b) => a.name.localeCompare(b.name));
    const last = entries.at(-1);
    const outbox = new Outbox(dir, last === undefined ? 1 : Number(last.match[1]) + 1);
    for (const { name, match } of entries) {
      const reportId = match[2] ?? "";
      outbox.#files.set(reportId, name);
      outbox.#jws.set(reportId, (await readFile(path.join(dir, name), "utf8")).trim());
    }
    return outbox;
  }

  /** Persists a report; resolves once it is on disk. */
  async add(report: PendingReport): Promise<void> {
    const name = `${String(this.#nextSeq++).padStart(12, "0")}.${report.reportId}.jws`;
    this.#files.set(report.reportId, name);
    this.#jws.set(report.reportId, report.jws);
    await writeFileDurably(path.join(this.dir, name), report.jws, 0o600);
  }

  /** The control plane stored the report: forget it. Unknown ids (a duplicate ack) are ignored. */
  async ack(reportId: string): Promise<boolean> {
    const name = this.#files.get(reportId);
    if (name === undefined) return false;
    this.#files.delete(reportId);
    this.#jws.delete(reportId);
    await rm(path.join(this.dir, name), { force: true });
    return true;
  }

  pending(): PendingReport[] {
    return [...this.#jws].map(([reportId, jws]) => ({ reportId, jws }));
  }

  size(): number {
    return this.#jws.size;
  }
}
