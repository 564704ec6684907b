// @ts-check
// Checks the audit log in the browser, trusting only the published keys: the checkpoint's Ed25519
// signature, then the Merkle root recomputed from the exported entries against the signed root.
// Uses shared/audit's checkpoint and Merkle code, bundled into the page; the full offline check
// (canonical form, agents' signed reports, every per-append checkpoint) is `rewind audit verify`,
// whose zod and jose dependencies would not fit the page's size budget.
import { verifyCheckpoint } from "../../../../shared/audit/checkpoint.ts";
import { equalHashes, leafHash, TreeBuilder } from "../../../../shared/audit/merkle.ts";

/** @typedef {import("../../../../shared/audit/checkpoint.ts").Checkpoint} Checkpoint */
/** @typedef {{ ok: true, checkpoint: Checkpoint } | { ok: false, problem: string }} SignatureVerdict */
/** @typedef {{ ok: true } | { ok: false, problem: string }} EntriesVerdict */

/**
 * @param {unknown} error
 * @returns {string}
 */
function signatureProblem(error) {
  const code = typeof error === "object" && error !== null && "code" in error ? error.code : undefined;
  if (code === "UNKNOWN_KEY") return "The checkpoint is not signed by any published key.";
  if (code === "SIGNATURE_INVALID") return "The checkpoint's signature does not verify: it was altered or forged.";
  if (code === "MALFORMED") return "The checkpoint is malformed.";
  return "The checkpoint could not be checked in this browser.";
}

/**
 * @param {string} text the signed note from /v1/audit/checkpoint
 * @param {import("../../../../shared/signing.ts").PublicJwk[]} keys from /.well-known/jwks.json
 * @returns {Promise<SignatureVerdict>}
 */
export async function checkSignature(text, keys) {
  try {
    return { ok: true, checkpoint: await verifyCheckpoint(text, keys) };
  } catch (error) {
    return { ok: false, problem: signatureProblem(error) };
  }
}

/**
 * @param {string} line
 * @returns {unknown} the entry's `seq`, or undefined when the line is not an entry
 */
function sequenceOf(line) {
  try {
    const entry = JSON.parse(line);
    return typeof entry === "object" && entry !== null ? entry.seq : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Do the first `checkpoint.size` exported lines hash to the signed root?
 * @param {Checkpoint} checkpoint already signature-checked
 * @param {string[]} lines the NDJSON export, one entry per line, from seq 0
 * @returns {EntriesVerdict}
 */
export function checkEntries(checkpoint, lines) {
  if (lines.length < checkpoint.size) {
    return { ok: false, problem: `The checkpoint covers ${checkpoint.size} entries but the log returned only ${lines.length}: entries are missing.` };
  }
  const tree = new TreeBuilder();
  for (const [index, line] of lines.slice(0, checkpoint.size).entries()) {
    if (sequenceOf(line) !== index) return { ok: false, problem: `Entry ${index} is out of sequence: an entry was removed or reordered.` };
    tree.push(leafHash(line));
  }
  if (!equalHashes(tree.root(), checkpoint.root)) {
    return { ok: false, problem: `The first ${checkpoint.size} entries do not match the signed checkpoint: the log was altered.` };
  }
  return { ok: true };
}
