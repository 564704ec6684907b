// What `rewind status --local` prints: every set-aside copy and image hold the host keeps, with its
// rollback, age and when retention may remove it, then any source it could not read. Pure.
import type { KeptForUndo, KeptThing } from "../../rollback/kept-for-undo.ts";
import { formatAge, table } from "../format.ts";

const kinds: Record<KeptThing["kind"], string> = { database: "database", minio: "MinIO data", image: "image hold" };

const rollbacks = (n: number): string => (n === 1 ? "1 rollback" : `${n} rollbacks`);

const day = (iso: string | undefined): string => (iso === undefined ? "" : `${iso.slice(0, 16).replace("T", " ")} UTC`);

function whenPrunable(thing: KeptThing, keep: number): string {
  switch (thing.prunable) {
    case "now":
      return "now: the next successful rollback removes it";
    case "from":
      return `from ${day(thing.prunableFrom)}`;
    case "after-newer":
      return `once ${keep === 1 ? "a newer rollback keeps its own" : `${keep} newer rollbacks keep theirs`}, not before ${day(thing.prunableFrom)}`;
    case "unfinished":
      return "not while its rollback is unfinished (running, or killed: rewind rollback --local --resume)";
    case "by-hand":
      return "never by retention: no rollback on this host dates it; remove it by hand once no undo needs it";
  }
}

export function keptSummary(view: KeptForUndo, now: number): { stdout: string; stderr: string } {
  const { setAside, setAsideMinAgeDays } = view.retention;
  const rules = `retention: the copies of the newest ${rollbacks(setAside)}, and none younger than ${setAsideMinAgeDays} days`;
  let stdout: string;
  if (view.kept.length === 0) stdout = `nothing kept for an undo on ${view.host} (${rules})\n`;
  else {
    const rows = view.kept.map((thing) => [
      kinds[thing.kind],
      thing.location,
      thing.rollbackId ?? "-",
      thing.setAsideAt === undefined ? "-" : formatAge(thing.setAsideAt, now),
      whenPrunable(thing, setAside),
    ]);
    stdout = `kept for an undo on ${view.host} (${rules}):\n${table(["KIND", "KEPT", "ROLLBACK", "SET ASIDE", "MAY BE PRUNED"], rows)}`;
  }
  const stderr = view.unreadable.map((u) => `rewind: ${u.code}: could not list the set-aside ${u.source}: ${u.message}\n`).join("");
  return { stdout, stderr };
}
