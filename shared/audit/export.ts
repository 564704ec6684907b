// The audit export an auditor takes away (one directory):
//   audit.ndjson        one canonical-JSON AuditEntry per line, line i = seq i (the exact leaf bytes)
//   checkpoints.ndjson  every signed checkpoint, one `{"size":N,"note":"<signed note>"}` per line
//   checkpoint.txt      the newest signed checkpoint (compare with the copy in S3/R2)
//   jwks.json           the control plane's public keys `{ "keys": [...] }` (signs checkpoints)
//   agent-keys.json     `{ "hosts": { "<host>": [<public JWK>, ...] } }` (verifies embedded reports)
import * as z from "../schemas/zod.ts";
import { hostName } from "../schemas/common.ts";
import { publicJwk } from "../signing.ts";

export const exportFiles = {
  entries: "audit.ndjson",
  checkpoints: "checkpoints.ndjson",
  checkpoint: "checkpoint.txt",
  jwks: "jwks.json",
  agentKeys: "agent-keys.json",
} as const;

export const agentKeysFile = z.strictObject({ hosts: z.record(hostName, z.array(publicJwk)) });
export type AgentKeys = z.output<typeof agentKeysFile>;

export const jwksFile = z.object({ keys: z.array(publicJwk).check(z.minLength(1)) });

export const checkpointLine = z.strictObject({ size: z.number().check(z.int(), z.nonnegative()), note: z.string().check(z.minLength(1)) });
export type CheckpointLine = z.output<typeof checkpointLine>;

/** What `GET /v1/audit/keys` returns: both key sets an offline verification needs. */
export const auditKeysResponse = z.object({ jwks: jwksFile, hosts: agentKeysFile.shape.hosts });

export function toNdjson(lines: Iterable<string>): string {
  let out = "";
  for (const line of lines) out += `${line}\n`;
  return out;
}
export type AuditKeysResponse = z.output<typeof auditKeysResponse>;
