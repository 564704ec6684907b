// @ts-check
// Checks the audit log in the browser, trusting only the published keys: the checkpoint's Ed25519
// signature, then the Merkle root recomputed from the exported entries against the signed root.
// Uses the same shared/audit code as `rewind audit verify`, bundled into the page.
import { verifyCheckpoint } from "../../../../shared/audit/checkpoint.ts";
import { equalHashes, leafHash, TreeBuilder } from "../../../../shared/audit/merkle.ts";

/**
 * @typedef {{ ok: true, origin: string, size: number } | { ok: false, problem: string }} AuditVerdict
 */

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
 * @param {string} checkpointText the signed note from /v1/audit/checkpoint
 * @param {import("../../../../shared/signing.ts").PublicJwk[]} keys from /.well-known/jwks.json
 * @param {string[]} lines the NDJSON export, one entry per line, from seq 0
 * @returns {Promise<AuditVerdict>}
 */
export async function verifyAuditLog(checkpointText, keys, lines) {
  /** @type {import("../../../../shared/audit/checkpoint.ts").Checkpoint} */
  let checkpoint;
  try {
    checkpoint = await verifyCheckpoint(checkpointText, keys);
  } catch (error) {
    return { ok: false, problem: signatureProblem(error) };
  }
  if (lines.length < checkpoint.size) {
    return { ok: false, problem: `The checkpoint covers ${checkpoint.size} entries but the log returned only ${lines.length}: entries are missing.` };
  }
  const tree = new TreeBuilder();
  for (const line of lines.slice(0, checkpoint.size)) tree.push(leafHash(line));
  if (!equalHashes(tree.root(), checkpoint.root)) {
    return { ok: false, problem: `The first ${checkpoint.size} entries do not match the signed checkpoint: the log was altered.` };
  }
  return { ok: true, origin: checkpoint.origin, size: checkpoint.size };
}
