// Offline verification of an audit export, trusting only the control plane's public keys and the
// agents' keys: every line parses and is canonical, seq = line index, every embedded agent report
// verifies with its host's key and matches the entry (actor host = issuer; details.report,
// details.reportId = jti, details.kind and a `command:<id>` subject agree with it), the Merkle tree recomputed from the lines
// matches every signed checkpoint (the per-append series, the newest one, and an older one the
// auditor kept). Checks run in seq order, so the first failure names the first bad sequence number.
import { canonicalJson, isCanonicalJsonText } from "../canonical-json.ts";
import { isCanonicalJsonQuick } from "../canonical-scan.ts";
import { isRewindError, RewindError } from "../errors.ts";
import { type AuditEntry, auditEntry } from "../schemas/audit.ts";
import type { ReportClaims } from "../schemas/report.ts";
import { describeIssues } from "../schemas/zod-error.ts";
import { type PublicJwk, verifyReport } from "../signing.ts";
import { type Checkpoint, type Ed25519Verify, type ParsedCheckpoint, parseCheckpoint, verifyCheckpoint } from "./checkpoint.ts";
import type { AgentKeys, CheckpointLine } from "./export.ts";
import { emptyRoot, equalHashes, type Hash, type MerkleHashes, portableHashes, TreeBuilder, toHex } from "./merkle.ts";
import { isAuditEntryShape } from "./entry-shape.ts";
import { OrderedChecks } from "./ordered-checks.ts";

export type AuditProblem =
  | "CHECKPOINT_INVALID"
  | "MALFORMED_ENTRY"
  | "NOT_CANONICAL"
  | "SEQUENCE_BROKEN"
  | "AGENT_REPORT_INVALID"
  | "ROOT_MISMATCH"
  | "TRUNCATED"
  | "UNCOVERED_ENTRIES"
  | "INCONSISTENT_HISTORY";

export interface VerifyInput {
  /**
   * The export's lines in order (blank lines are not allowed: each line is one leaf), one by one or
   * in batches (a reader of a large file hands them over a chunk at a time).
   */
  entries: Iterable<string> | AsyncIterable<string | readonly string[]>;
  /** The control plane's public keys (its JWKS): the only keys checkpoints may be signed with. */
  logKeys: readonly PublicJwk[];
  agentKeys: AgentKeys;
  /** The newest signed checkpoint; when absent, the last of `checkpoints`. */
  checkpoint?: string;
  /** An older checkpoint the auditor kept: the export must extend it. */
  previousCheckpoint?: string;
  /** Every checkpoint the log signed (one per append), to name exactly which entry was changed. */
  checkpoints?: readonly CheckpointLine[];
  /** The RFC 9162 hashes to recompute the tree with (default: the portable ones), in whatever form they keep a hash. */
  hashes?: MerkleHashes<unknown>;
  /** The Ed25519 check for checkpoint signatures (default: WebCrypto's). */
  ed25519?: Ed25519Verify;
  /** The check of an embedded agent report (default: `verifyReport`, on WebCrypto). */
  reports?: ReportVerify;
}

/** Verifies an agent's signed report as `verifyReport` does, with the same verdicts and errors. */
export type ReportVerify = (jws: string, options: { key: PublicJwk; host: string }) => Promise<ReportClaims>;

export interface VerifyResult {
  ok: boolean;
  entries: number;
  /** Hex root recomputed from the entries. */
  root: string;
  checkpointSize?: number;
  previousCheckpointSize?: number;
  agentReports: number;
  checkpointsChecked: number;
  firstBadSeq?: number;
  problem?: AuditProblem;
  reason?: string;
}

class Failure extends Error {
  constructor(
    readonly problem: AuditProblem,
    readonly seq: number | undefined,
    message: string,
  ) {
    super(message);
  }
}

interface Progress {
  entries: number;
  root: string;
  agentReports: number;
  checkpointsChecked: number;
}

/** A checkpoint parsed once, or why it does not parse (a failure reported in its turn). */
type Note = ParsedCheckpoint | RewindError;

function parseNote(text: string): Note {
  try {
    return parseCheckpoint(text);
  } catch (error) {
    if (!isRewindError(error)) throw error;
    return error;
  }
}

async function checkpointOrFail(note: string | Note, input: VerifyInput, what: string, seq: number | undefined): Promise<Checkpoint> {
  try {
    if (note instanceof RewindError) throw note;
    return await verifyCheckpoint(note, input.logKeys, input.ed25519);
  } catch (error) {
    if (!isRewindError(error)) throw error;
    throw new Failure("CHECKPOINT_INVALID", seq, `${what} is not genuine: ${error.message}`);
  }
}

async function checkAgentReport(entry: AuditEntry, jws: string, agentKeys: AgentKeys, verify: ReportVerify): Promise<void> {
  const fail = (why: string) => new Failure("AGENT_REPORT_INVALID", entry.seq, `embedded agent report ${why}`);
  if (entry.actor.kind !== "host") throw fail(`is recorded with actor '${entry.actor.kind}', not the host that signed it`);
  const host = entry.actor.host;
  const keys = agentKeys.hosts[host] ?? [];
  if (keys.length === 0) throw fail(`cannot be checked: no public key for host '${host}' in the agent keys`);
  let lastError = "";
  for (const key of keys) {
    try {
      const claims = await verify(jws, { key, host });
      const recorded = entry.details.report;
      if (recorded !== undefined && canonicalJson(recorded) !== canonicalJson(claims.report)) {
        throw fail(`says something else than details.report (signed ${claims.report.kind} report differs)`);
      }
      const reportId = entry.details.reportId;
      if (reportId !== undefined && reportId !== claims.jti) throw fail(`has id ${claims.jti}, details.reportId says ${String(reportId)}`);
      const kind = entry.details.kind;
      if (entry.action === "agent.report" && kind !== undefined && kind !== claims.report.kind) {
        throw fail(`is a ${claims.report.kind} report, details.kind says ${String(kind)}`);
      }
      const commandId = "commandId" in claims.report ? claims.report.commandId : undefined;
      if (entry.subject.startsWith("command:") && commandId !== undefined && entry.subject !== `command:${commandId}`) {
        throw fail(`is about command ${commandId}, the entry's subject is ${entry.subject}`);
      }
      return;
    } catch (error) {
      if (error instanceof Failure) throw error;
      if (!isRewindError(error)) throw error;
      lastError = `${error.code}: ${error.message}`;
    }
  }
  throw fail(`does not verify with host '${host}''s key (${lastError})`);
}

function parseEntry(line: string, index: number): AuditEntry {
  let json: unknown;
  try {
    json = JSON.parse(line);
  } catch {
    throw new Failure("MALFORMED_ENTRY", index, "line is not JSON");
  }
  let entry: AuditEntry;
  if (isAuditEntryShape(json)) {
    entry = json;
  } else {
    const parsed = auditEntry.safeParse(json);
    if (!parsed.success) throw new Failure("MALFORMED_ENTRY", index, `line is not an audit entry: ${describeIssues(parsed.error)}`);
    entry = parsed.data;
  }
  // The schema is strict and transforms nothing, so the parsed JSON is what the entry holds. The
  // quick check settles the lines the log writes from the text alone; the rest are re-serialized.
  if (!isCanonicalJsonQuick(line) && !isCanonicalJsonText(json, line))
    throw new Failure("NOT_CANONICAL", index, "line is not in canonical JSON form (re-encoded?)");
  if (entry.seq !== index) {
    throw new Failure("SEQUENCE_BROKEN", index, `line ${index + 1} holds seq ${entry.seq}, expected ${index}`);
  }
  return entry;
}

function describeRange(from: number, size: number): string {
  return from === size - 1 ? `entry ${from} does not` : `entries ${from}..${size - 1} do not`;
}

async function run(input: VerifyInput, progress: Progress): Promise<{ newest: Checkpoint; previous?: Checkpoint }> {
  const series = new Map<number, string>();
  for (const line of input.checkpoints ?? []) series.set(line.size, line.note);
  const newestText = input.checkpoint ?? input.checkpoints?.at(-1)?.note;
  if (newestText === undefined) throw new TypeError("verification needs a signed checkpoint (or the checkpoint series)");
  // The auditor's own copy of an older checkpoint must itself be genuine before it can judge anything.
  const previous =
    input.previousCheckpoint === undefined ? undefined : await checkpointOrFail(input.previousCheckpoint, input, "the older checkpoint you kept", undefined);

  const hashes = input.hashes ?? portableHashes;
  const tree = new TreeBuilder(hashes);
  const checks = new OrderedChecks(
    (error): error is Failure => error instanceof Failure,
    (counts) => {
      progress.checkpointsChecked += counts.checkpoints;
      progress.agentReports += counts.agentReports;
    },
    (entriesBefore) => {
      progress.entries = entriesBefore;
    },
  );
  /** Entries below this size are covered by a checkpoint whose root matched (its signature may still be in flight). */
  let matched = 0;
  // A checkpoint's signature is judged before its size and root, so a failure names the first entry
  // no genuine checkpoint vouches for. `from` is that entry, fixed when the check is queued.
  const vouch = async (note: Note, what: string, kind: string, root: Hash, from: number, size?: number): Promise<Checkpoint> => {
    const head = await checkpointOrFail(note, input, what, from);
    if (size !== undefined && head.size !== size) {
      throw new Failure("CHECKPOINT_INVALID", from, `${what} is listed at size ${size} but signed for size ${head.size}`);
    }
    if (!equalHashes(root, head.root)) {
      throw new Failure("ROOT_MISMATCH", from, `${describeRange(from, head.size)} match the ${kind} signed at size ${head.size}`);
    }
    return head;
  };
  /** Moves `matched` on when the (not yet verified) checkpoint agrees with the tree. */
  const advance = (note: Note, root: Hash, size: number): void => {
    // A malformed one moves nothing: its queued check fails and is reported in order.
    if (!(note instanceof RewindError) && note.head.size === size && equalHashes(note.head.root, root)) matched = size;
  };
  const newestNote = parseCheckpoint(newestText);
  const newestSize = newestNote.head.size;
  let newest: Promise<Checkpoint> | undefined;
  const queueNewest = async (root: Hash, entriesBefore: number): Promise<void> => {
    const from = matched;
    newest = vouch(newestNote, "newest checkpoint", "newest checkpoint", root, from);
    advance(newestNote, root, newestSize);
    await checks.add(newest, { checkpoints: 1, agentReports: 0 }, entriesBefore);
  };
  if (newestSize === 0) await queueNewest(tree.root(), 0);

  let index = 0;
  for await (const batch of input.entries) {
    for (const line of typeof batch === "string" ? [batch] : batch) {
      let entry: AuditEntry;
      try {
        entry = parseEntry(line, index);
      } catch (error) {
        throw await checks.first(error);
      }
      if (entry.agentJws !== undefined) {
        await checks.add(checkAgentReport(entry, entry.agentJws, input.agentKeys, input.reports ?? verifyReport), { checkpoints: 0, agentReports: 1 }, index);
      }
      tree.push(hashes.leaf(line));
      const size = index + 1;
      const listed = series.get(size);
      const needsRoot = listed !== undefined || previous?.size === size || newestSize === size;
      const root = needsRoot ? tree.root() : emptyRoot;
      if (listed !== undefined) {
        const note = parseNote(listed);
        const from = matched;
        await checks.add(vouch(note, `checkpoint at size ${size}`, "checkpoint", root, from, size), { checkpoints: 1, agentReports: 0 }, index);
        advance(note, root, size);
      }
      if (previous?.size === size && !equalHashes(root, previous.root)) {
        throw await checks.first(
          new Failure("INCONSISTENT_HISTORY", 0, `history was rewritten: entries 0..${size - 1} do not match the older checkpoint you kept (size ${size})`),
        );
      }
      if (newestSize === size) await queueNewest(root, index);
      index = size;
      progress.entries = size;
    }
  }
  await checks.drain();
  progress.root = toHex(tree.root());
  // Not reached by the lines (a cut-off export): still judged genuine or not before anything else.
  const head = await (newest ?? checkpointOrFail(newestNote, input, "newest checkpoint", matched));
  if (newest === undefined) progress.checkpointsChecked += 1;
  if (previous !== undefined && previous.size > index) {
    throw new Failure("TRUNCATED", index, `history is cut off: the older checkpoint you kept covers ${previous.size} entries, the export has ${index}`);
  }
  if (head.size > index) {
    throw new Failure("TRUNCATED", index, `the export ends at ${index} entries but the checkpoint covers ${head.size}`);
  }
  if (head.size < index) {
    throw new Failure("UNCOVERED_ENTRIES", head.size, `entries ${head.size}..${index - 1} are not covered by the signed checkpoint (size ${head.size})`);
  }
  return previous === undefined ? { newest: head } : { newest: head, previous };
}

export async function verifyAuditExport(input: VerifyInput): Promise<VerifyResult> {
  const progress: Progress = { entries: 0, root: toHex(emptyRoot), agentReports: 0, checkpointsChecked: 0 };
  try {
    const { newest, previous } = await run(input, progress);
    return {
      ok: true,
      ...progress,
      checkpointSize: newest.size,
      ...(previous === undefined ? {} : { previousCheckpointSize: previous.size }),
    };
  } catch (error) {
    if (!(error instanceof Failure)) throw error;
    return {
      ok: false,
      ...progress,
      ...(error.seq === undefined ? {} : { firstBadSeq: error.seq }),
      problem: error.problem,
      reason: error.message,
    };
  }
}
