// For end-to-end tests (the rollback test among them): export the control plane's audit log through
// the auditor API, as `rewind audit export` does, and verify it offline, as `rewind audit verify` does.
import path from "node:path";
import type { VerifyResult } from "../../shared/audit/verify.ts";
import { verifyAuditExport } from "../../shared/audit/verify.ts";
import { fetchExport } from "../../agent/src/audit/fetch-export.ts";
import { loadVerifyInput } from "../../agent/src/audit/read-export.ts";
import type { ControlPlaneWorld } from "../world/control-plane.ts";

/** Mints an auditor token with the world's admin token, exports into `dir` and verifies the export. */
export async function exportAndVerifyAudit(world: ControlPlaneWorld, dir: string): Promise<VerifyResult> {
  const response = await world.api("/v1/tokens", { method: "POST", body: JSON.stringify({ role: "auditor", label: "audit check" }) });
  if (response.status !== 201) throw new Error(`creating an auditor token answered HTTP ${response.status}: ${await response.text()}`);
  const { token } = (await response.json()) as { token: string };
  await fetchExport(world.url, token, dir);
  return verifyAuditExport(await loadVerifyInput({ export: dir, key: path.join(dir, "jwks.json") }));
}
